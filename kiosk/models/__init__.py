"""Peewee models: the whole data model of SPEC sections 2-7."""

from .audit import AuditEvent, RateLimitHit
from .base import BaseModel, UTCDateTimeField
from .customers import Address, Customer, OneTimeCode, Registration, Voucher
from .devices import DEVICE_EVENTS, DEVICE_STATUSES, Device, DeviceEvent
from .imports import CatalogImport
from .movements import (
    Shipment,
    ShipmentUnit,
    StockCount,
    StockCountUnit,
    Transfer,
    TransferLine,
    TransferUnit,
)
from .sales import AgeCheck, Cart, CartLine, Claim, ClaimToken, Sale, SaleLine
from .sessions import WebSession
from .stock import DELIVERY_STATUSES, Delivery, DeliveryLine, LowStockLevel
from .store import (
    PRODUCT_KINDS,
    ROLES,
    Market,
    ModelSuccessor,
    Product,
    ProductName,
    ProductPrice,
    Staff,
    StockLevel,
    Store,
)
from .swaps import Swap, SwapRefusal

# In dependency order: create in this order, drop in reverse.
MODELS = [
    Market,
    Store,
    Staff,
    Product,
    ProductPrice,
    ProductName,
    ModelSuccessor,
    StockLevel,
    Customer,
    Registration,
    Voucher,
    Device,
    DeviceEvent,
    Cart,
    CartLine,
    AgeCheck,
    Sale,
    SaleLine,
    ClaimToken,
    Claim,
    Swap,
    SwapRefusal,
    Shipment,
    ShipmentUnit,
    Transfer,
    TransferUnit,
    TransferLine,
    StockCount,
    StockCountUnit,
    AuditEvent,
    RateLimitHit,
    WebSession,
    CatalogImport,
    Delivery,
    DeliveryLine,
    LowStockLevel,
    Address,
    OneTimeCode,
]

__all__ = [m.__name__ for m in MODELS] + [
    "BaseModel",
    "UTCDateTimeField",
    "DEVICE_EVENTS",
    "DELIVERY_STATUSES",
    "DEVICE_STATUSES",
    "PRODUCT_KINDS",
    "ROLES",
    "MODELS",
]
