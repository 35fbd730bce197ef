"""Carts, age checks, sales and the claim tokens printed on receipts."""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    CharField,
    Check,
    DateField,
    ForeignKeyField,
    IntegerField,
)

from .base import BaseModel, UTCDateTimeField
from .customers import Customer, Voucher
from .devices import Device
from .store import Product, Staff, Store


class Cart(BaseModel):
    """A staff member's sale in progress, kept on the server.

    It survives a reload, the idle lock and a staff switch; its idempotency key
    makes a double tap on "Complete" a no-op instead of a second sale.
    """

    id = AutoField()
    store = ForeignKeyField(Store, on_delete="CASCADE")
    staff = ForeignKeyField(Staff, on_delete="CASCADE")
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    status = CharField(
        max_length=16,
        default="open",
        constraints=[Check("status IN ('open', 'completed', 'abandoned')")],
    )
    idempotency_key = CharField(max_length=64, unique=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


# One open cart per person per store: "their unfinished work" is never ambiguous.
Cart.add_index(
    Cart.index(
        Cart.staff, Cart.store, unique=True, where=SQL("status = 'open'"), name="cart_one_open"
    )
)


class CartLine(BaseModel):
    id = AutoField()
    cart = ForeignKeyField(Cart, backref="lines", on_delete="CASCADE")
    product = ForeignKeyField(Product, on_delete="RESTRICT")
    device = ForeignKeyField(Device, null=True, on_delete="CASCADE")
    voucher = ForeignKeyField(Voucher, null=True, on_delete="CASCADE")
    quantity = IntegerField(default=1, constraints=[Check("quantity BETWEEN 1 AND 999")])
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("cart", "device"), True), (("cart", "voucher"), True))


class AgeCheck(BaseModel):
    """Proof of age seen for one cart. Keeps no date of birth and no document number."""

    id = AutoField()
    store = ForeignKeyField(Store, on_delete="CASCADE")
    staff = ForeignKeyField(Staff, on_delete="RESTRICT")
    cart = ForeignKeyField(Cart, null=True, on_delete="SET NULL")
    method = CharField(
        max_length=16, constraints=[Check("method IN ('document', 'visual', 'no_id')")]
    )
    document_type = CharField(max_length=24, null=True)
    result = CharField(max_length=8, constraints=[Check("result IN ('passed', 'refused')")])
    refusal_reason = CharField(max_length=16, null=True)
    required_age = IntegerField()
    created_at = UTCDateTimeField()
    local_date = DateField()  # store-local day, for the manager's refusal report

    class Meta:
        # (cart, id): a cart's latest check in one index step (migration 0002).
        indexes = ((("store", "local_date", "result"), False), (("cart", "id"), False))


class Sale(BaseModel):
    id = AutoField()
    store = ForeignKeyField(Store, on_delete="RESTRICT")
    staff = ForeignKeyField(Staff, on_delete="RESTRICT")
    customer = ForeignKeyField(Customer, backref="sales", null=True, on_delete="SET NULL")
    cart = ForeignKeyField(Cart, null=True, unique=True, on_delete="SET NULL")
    idempotency_key = CharField(max_length=64, unique=True)
    age_check = ForeignKeyField(AgeCheck, null=True, unique=True, on_delete="RESTRICT")
    tender = CharField(max_length=8, constraints=[Check("tender IN ('card', 'cash')")])
    subtotal = IntegerField()
    discount_total = IntegerField(default=0)
    total = IntegerField(constraints=[Check("total >= 0")])
    vat_total = IntegerField()
    created_at = UTCDateTimeField()
    local_date = DateField()

    class Meta:
        indexes = ((("store", "local_date"), False),)


class SaleLine(BaseModel):
    id = AutoField()
    sale = ForeignKeyField(Sale, backref="lines", on_delete="CASCADE")
    kind = CharField(
        max_length=16,
        default="item",
        constraints=[Check("kind IN ('item', 'discount', 'voucher')")],
    )
    product = ForeignKeyField(Product, null=True, on_delete="RESTRICT")
    # A unit is sold again only after it came back sealed (money back, then restocked); the
    # sale's conditional update of the unit from in_stock to sold keeps two sales apart.
    device = ForeignKeyField(Device, null=True, on_delete="RESTRICT")
    # A voucher is redeemed once, ever.
    voucher = ForeignKeyField(Voucher, null=True, unique=True, on_delete="SET NULL")
    description = CharField(max_length=160)
    quantity = IntegerField(default=1)
    unit_price = IntegerField()
    line_total = IntegerField()  # VAT included; negative for a discount line
    vat_rate = IntegerField()
    vat_amount = IntegerField()

    class Meta:
        # A period's totals by VAT rate and kind from the index alone (migration 0010).
        indexes = ((("sale", "product", "vat_rate", "line_total", "vat_amount"), False),)


class ClaimToken(BaseModel):
    """The secret behind a receipt's claim QR. Only hashes and a nonce are stored."""

    id = AutoField()
    sale = ForeignKeyField(Sale, backref="claim_tokens", unique=True, on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    code_hash = CharField(max_length=64, unique=True)
    # The secret is derived from this and the sale under the app's key (services.claims):
    # without the key, the nonce tells nothing.
    secret_nonce = CharField(max_length=32, default="")
    created_at = UTCDateTimeField()
    expires_at = UTCDateTimeField()
    claimed_at = UTCDateTimeField(null=True)
    claimed_by = ForeignKeyField(Customer, null=True, on_delete="SET NULL")


class Claim(BaseModel):
    """A token's one use: the unique key makes a second claim fail in the database."""

    id = AutoField()
    claim_token = ForeignKeyField(ClaimToken, unique=True, on_delete="CASCADE")
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField()
