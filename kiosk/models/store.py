"""Stores, their staff, the catalog and the stock."""

from __future__ import annotations

from flask_login import UserMixin
from peewee import (
    AutoField,
    BooleanField,
    CharField,
    Check,
    ForeignKeyField,
    IntegerField,
)

from .base import BaseModel, UTCDateTimeField

ROLES = ("staff", "manager", "admin")
PRODUCT_KINDS = ("device", "consumable", "accessory")


class Store(BaseModel):
    id = AutoField()
    code = CharField(max_length=16, unique=True)
    name = CharField(max_length=120)
    # Shown on receipts and screens; the maker's brand is never hard-coded.
    brand_name = CharField(max_length=120, default="")
    timezone = CharField(max_length=64, default="Europe/Stockholm")
    language = CharField(max_length=8, default="en")
    currency = CharField(max_length=3, default="SEK")
    legal_age = IntegerField(default=18, constraints=[Check("legal_age BETWEEN 16 AND 25")])
    challenge_age = IntegerField(null=True)
    idle_lock_seconds = IntegerField(default=300, constraints=[Check("idle_lock_seconds >= 30")])
    claim_token_days = IntegerField(default=30, constraints=[Check("claim_token_days >= 1")])
    benefit_discount_percent = IntegerField(default=10)
    money_back_limit = IntegerField(default=3)
    refusal_retention_days = IntegerField(default=730)
    created_at = UTCDateTimeField()
    # The customer's help page: how to reach the store.
    contact_phone = CharField(max_length=32, default="")
    contact_email = CharField(max_length=254, default="")
    opening_hours = CharField(max_length=500, default="")


class Staff(UserMixin, BaseModel):
    id = AutoField()
    # An admin belongs to a home store but may look at every store.
    store = ForeignKeyField(Store, backref="staff", on_delete="RESTRICT")
    username = CharField(max_length=64, unique=True)
    display_name = CharField(max_length=120)
    role = CharField(max_length=16, constraints=[Check("role IN ('staff', 'manager', 'admin')")])
    password_hash = CharField(max_length=255)
    # Salted hash; uniqueness within the store is checked by the staff service.
    pin_hash = CharField(max_length=255)
    is_active = BooleanField(default=True)
    failed_pin_attempts = IntegerField(default=0)
    pin_locked_until = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField()

    def get_id(self) -> str:
        # Staff and customers share one login manager; the prefix keeps them apart.
        return f"staff:{self.id}"

    def has_role(self, role: str) -> bool:
        """Roles nest: an admin is a manager, a manager is staff."""
        return ROLES.index(self.role) >= ROLES.index(role)


class Product(BaseModel):
    id = AutoField()
    sku = CharField(max_length=32, unique=True)
    name = CharField(max_length=120)
    kind = CharField(
        max_length=16, constraints=[Check("kind IN ('device', 'consumable', 'accessory')")]
    )
    price = IntegerField(constraints=[Check("price >= 0")])  # minor units, VAT included
    vat_rate = IntegerField(constraints=[Check("vat_rate BETWEEN 0 AND 10000")])  # basis points
    age_restricted = BooleanField()
    min_age = IntegerField(null=True)  # None: the store's legal age
    is_active = BooleanField(default=True)

    class Meta:
        indexes = ((("kind", "name"), False),)


class ModelSuccessor(BaseModel):
    """A device model an admin allows as replacement for an older one."""

    id = AutoField()
    product = ForeignKeyField(Product, backref="successors", on_delete="CASCADE")
    successor = ForeignKeyField(Product, on_delete="CASCADE")

    class Meta:
        indexes = ((("product", "successor"), True),)


class StockLevel(BaseModel):
    """Counted stock of consumables and accessories (devices are counted as units)."""

    id = AutoField()
    store = ForeignKeyField(Store, on_delete="CASCADE")
    product = ForeignKeyField(Product, on_delete="CASCADE")
    quantity = IntegerField(default=0, constraints=[Check("quantity >= 0")])

    class Meta:
        indexes = ((("store", "product"), True),)
