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
    IntegerField,
    TextField,
)

from .base import BaseModel, UTCDateTimeField
from .store import Staff, Store


class Customer(UserMixin, BaseModel):
    id = AutoField()
    # Stored lower-cased; None for an account made with a mobile number alone.
    email = CharField(max_length=254, unique=True, null=True)
    # E.164 (+46701740605), only once verified with a code: the number signs in.
    mobile = CharField(max_length=16, unique=True, null=True)
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


class Address(BaseModel):
    """One of a customer's postal addresses ("My details"); at most one is the default."""

    id = AutoField()
    customer = ForeignKeyField(Customer, backref="addresses", on_delete="CASCADE")
    recipient = CharField(max_length=120)
    street = CharField(max_length=200)
    extra = CharField(max_length=200, default="")  # c/o, floor, door code
    postal_code = CharField(max_length=16)
    city = CharField(max_length=100)
    country = CharField(max_length=2)  # ISO 3166 alpha-2
    is_default = BooleanField(default=False)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


# One default address per customer, whatever two tabs send at once.
Address.add_index(
    Address.index(
        Address.customer, unique=True, where=SQL("is_default"), name="address_one_default"
    )
)


class OneTimeCode(BaseModel):
    """A code sent by SMS: sign in, sign up or add a number. Only a keyed hash is stored.

    ``customer`` is the account the code is for (None for a sign-up, and for a sign-in
    asked for a number with no account: that row can never be used, but it is written all
    the same, so both answers cost the same). ``details`` holds a pending sign-up's name and
    date of birth until the code is typed; the daily purge removes expired rows.
    """

    id = AutoField()
    purpose = CharField(
        max_length=16, constraints=[Check("purpose IN ('signin', 'signup', 'add_mobile')")]
    )
    mobile = CharField(max_length=16)
    customer = ForeignKeyField(Customer, null=True, on_delete="CASCADE")
    code_hash = CharField(max_length=100)
    details = TextField(default="{}")
    attempts = IntegerField(default=0)
    created_at = UTCDateTimeField()
    expires_at = UTCDateTimeField()
    used_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("expires_at",), False),)
