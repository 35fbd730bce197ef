"""Peewee models: the whole data model of SPEC sections 2-7."""

from .audit import AuditEvent, RateLimitHit
from .base import BaseModel, UTCDateTimeField
from .customers import Address, Customer, OneTimeCode, Registration, Voucher
from .devices import DEVICE_STATUSES, Device
from .sales import AgeCheck, Cart, CartLine, Claim, ClaimToken, Sale, SaleLine
from .store import PRODUCT_KINDS, ROLES, ModelSuccessor, Product, Staff, StockLevel, Store
from .swaps import Swap, SwapRefusal

# In dependency order: create in this order, drop in reverse.
MODELS = [
    Store,
    Staff,
    Product,
    ModelSuccessor,
    StockLevel,
    Customer,
    Registration,
    Voucher,
    Device,
    Cart,
    CartLine,
    AgeCheck,
    Sale,
    SaleLine,
    ClaimToken,
    Claim,
    Swap,
    SwapRefusal,
    AuditEvent,
    RateLimitHit,
    Address,
    OneTimeCode,
]

__all__ = [m.__name__ for m in MODELS] + [
    "BaseModel",
    "UTCDateTimeField",
    "DEVICE_STATUSES",
    "PRODUCT_KINDS",
    "ROLES",
    "MODELS",
]
