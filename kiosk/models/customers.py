"""Customers, their device registrations (chains) and vouchers."""

from __future__ import annotations

from flask_login import UserMixin
from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    Check,
    DateField,
    ForeignKeyField,
)

from .base import BaseModel, UTCDateTimeField
from .store import Staff, Store


class Customer(UserMixin, BaseModel):
    id = AutoField()
    email = CharField(max_length=254, unique=True)  # stored lower-cased
    password_hash = CharField(max_length=255, null=True)  # None until set (counter sign-up)
    name = CharField(max_length=120)
    birth_date = DateField()
    activated_at = UTCDateTimeField(null=True)
    pending_email = CharField(max_length=254, null=True)
    marketing_consent = BooleanField(default=False)
    consent_changed_at = UTCDateTimeField(null=True)
    terms_accepted_at = UTCDateTimeField()
    # Bumped on password change: old sessions and links stop working.
    session_version = CharField(max_length=32, default="1")
    created_at = UTCDateTimeField()

    def get_id(self) -> str:
        return f"customer:{self.id}:{self.session_version}"


class Registration(BaseModel):
    """A registration chain: one customer's claim on one purchased device.

    A swap moves the chain to the replacement unit; the dates and the one
    accident claim stay with the chain, so the warranty never restarts.
    """

    id = AutoField()
    customer = ForeignKeyField(Customer, backref="registrations", null=True, on_delete="SET NULL")
    store = ForeignKeyField(Store, on_delete="RESTRICT")
    purchase_date = DateField()
    registration_date = DateField()
    accident_claim_used = BooleanField(default=False)
    money_back_used = BooleanField(default=False)
    source = CharField(
        max_length=16,
        constraints=[Check("source IN ('claim', 'counter', 'staff_entered', 'account')")],
    )
    registered_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    ended_at = UTCDateTimeField(null=True)
    end_reason = CharField(max_length=32, null=True)
    created_at = UTCDateTimeField()

    class Meta:
        constraints = [Check("registration_date >= purchase_date")]


class Voucher(BaseModel):
    id = AutoField()
    code = CharField(max_length=16, unique=True)
    customer = ForeignKeyField(Customer, backref="vouchers", null=True, on_delete="CASCADE")
    kind = CharField(max_length=16, default="welcome", constraints=[Check("kind IN ('welcome')")])
    registration = ForeignKeyField(Registration, null=True, on_delete="SET NULL")
    issued_at = UTCDateTimeField()
    redeemed_at = UTCDateTimeField(null=True)


# The welcome offer is given once per customer, whatever the requests race.
Voucher.add_index(
    Voucher.index(
        Voucher.customer, unique=True, where=SQL("kind = 'welcome'"), name="voucher_one_welcome"
    )
)
