"""Markets, stores, their staff, the catalog with its prices, and the stock."""

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


class Market(BaseModel):
    """A country the chain sells in: its currency and the VAT rates its prices may carry."""

    id = AutoField()
    code = CharField(max_length=2, unique=True)  # ISO 3166-1 alpha-2: SE, GB, ...
    name = CharField(max_length=80)
    currency = CharField(max_length=3)  # ISO 4217
    # Basis points, comma-separated, the standard rate first: "2500,1200,600,0".
    vat_rates = CharField(max_length=80)
    created_at = UTCDateTimeField()

    @property
    def rates(self) -> list[int]:
        return [int(rate) for rate in self.vat_rates.split(",") if rate.strip()]


class Store(BaseModel):
    id = AutoField()
    code = CharField(max_length=16, unique=True)
    name = CharField(max_length=120)
    # Shown on receipts and screens; the maker's brand is never hard-coded.
    brand_name = CharField(max_length=120, default="")
    market = ForeignKeyField(Market, backref="stores", on_delete="RESTRICT")
    timezone = CharField(max_length=64, default="Europe/Stockholm")
    language = CharField(max_length=8, default="en")
    legal_age = IntegerField(default=18, constraints=[Check("legal_age BETWEEN 16 AND 25")])
    challenge_age = IntegerField(null=True)
    idle_lock_seconds = IntegerField(default=300, constraints=[Check("idle_lock_seconds >= 30")])
    claim_token_days = IntegerField(default=30, constraints=[Check("claim_token_days >= 1")])
    benefit_discount_percent = IntegerField(default=10)
    money_back_limit = IntegerField(default=3)
    refusal_retention_days = IntegerField(default=730)
    # The seller a VAT receipt must name.
    address = CharField(max_length=300, default="")
    org_number = CharField(max_length=32, default="")
    vat_number = CharField(max_length=32, default="")
    created_at = UTCDateTimeField()
    # The customer's help page: how to reach the store.
    contact_phone = CharField(max_length=32, default="")
    contact_email = CharField(max_length=254, default="")
    opening_hours = CharField(max_length=500, default="")

    @property
    def currency(self) -> str:
        """The market's currency: a store prices and reports in it."""
        return self.market.currency


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
    """A catalog item. Its prices are per market (ProductPrice), its names per language."""

    id = AutoField()
    sku = CharField(max_length=32, unique=True)
    name = CharField(max_length=120)  # the chain's own name; ProductName holds translations
    kind = CharField(
        max_length=16, constraints=[Check("kind IN ('device', 'consumable', 'accessory')")]
    )
    age_restricted = BooleanField()
    min_age = IntegerField(null=True)  # None: the store's legal age
    # A device model's "device number" as a regular expression over the normalised serial.
    serial_pattern = CharField(max_length=200, null=True)
    is_active = BooleanField(default=True)

    class Meta:
        indexes = ((("kind", "name"), False),)


class ProductPrice(BaseModel):
    """What a product costs in one market, VAT included, and the VAT rate it carries there."""

    id = AutoField()
    product = ForeignKeyField(Product, backref="prices", on_delete="CASCADE")
    market = ForeignKeyField(Market, on_delete="RESTRICT")
    price = IntegerField(constraints=[Check("price >= 0")])  # minor units, VAT included
    vat_rate = IntegerField(constraints=[Check("vat_rate BETWEEN 0 AND 10000")])  # basis points

    class Meta:
        indexes = ((("product", "market"), True),)


class ProductName(BaseModel):
    """A product's name in one of the languages the chain's stores speak."""

    id = AutoField()
    product = ForeignKeyField(Product, backref="names", on_delete="CASCADE")
    language = CharField(max_length=8)
    name = CharField(max_length=120)

    class Meta:
        indexes = ((("product", "language"), True),)


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
