"""Registering a device to a customer at the counter or the swap desk, and the welcome offer."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from peewee import IntegrityError

from .. import clock, policy
from ..db import write_transaction
from ..models import Customer, Device, Product, Registration, Sale, SaleLine, Staff, Store, Voucher
from . import DomainError, audit, unit_life
from .accounts import normalise_email
from .claims import CODE_ALPHABET
from .signup import create_customer, send_activation
from .swaps import typed_serial


def check_birth_date(birth: date, today: date) -> None:
    """A date of birth staff typed from a document: a typing error is a DomainError."""
    try:
        policy.validate_birth_date(birth, today)
    except ValueError as err:
        raise DomainError(
            _("That date is in the future or over 120 years ago. Check the document."),
            field="birth_date",
            status=422,
        ) from err


def customer_for(store: Store, email: str, name: str, birth: date, marketing: bool) -> Customer:
    """A new account made at the desk, or the customer's own when email and birth date match.

    Both must match: an email typed one letter wrong must never hand a sale's devices, and
    their welcome offer, to a stranger's account.
    """
    today = clock.today_in(store.timezone)
    check_birth_date(birth, today)
    customer = Customer.get_or_none(Customer.email == normalise_email(email))
    if customer is not None:
        if customer.birth_date != birth:
            raise DomainError(
                _(
                    "This email has an account with another date of birth: check both, "
                    "or scan the customer's account QR."
                ),
                field="email",
                status=409,
            )
        return customer
    if not policy.is_of_legal_age(birth, today, store.legal_age):
        raise DomainError(
            _("A customer must be %(age)d or over to register.", age=store.legal_age),
            field="birth_date",
            status=422,
        )
    return create_customer(email=email, name=name, birth=birth, marketing=marketing, store=store)


def issue_welcome_voucher(customer: Customer, registration: Registration) -> Voucher | None:
    """The first-ever device registration earns one free consumables pack, once, ever.

    The partial unique index decides a race: the loser's insert fails and it gets none.
    """
    code = "W" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(9))
    try:
        with write_transaction():
            voucher = Voucher.create(
                code=code,
                customer=customer,
                kind="welcome",
                registration=registration,
                issued_at=clock.now_utc(),
            )
    except IntegrityError:
        return None
    audit.record("voucher.issued", customer=customer, subject=voucher)
    return voucher


def register_device(
    store: Store,
    member: Staff,
    *,
    serial: str,
    email: str,
    name: str,
    birth: date,
    marketing_consent: bool,
    purchase_date: date | None = None,
    product_id: int | None = None,
) -> Registration:
    """Register a unit to a customer at the counter (found or created by email).

    A unit we sold takes the sale's date as its purchase date; a unit bought
    elsewhere needs the date from the customer's receipt and is marked
    staff-entered in the chain and the audit log.
    """
    serial = typed_serial(serial)
    today = clock.today_in(store.timezone)
    with write_transaction():
        device = Device.get_or_none(Device.serial == serial)
        sold = (
            Sale.select(Sale.local_date)
            .join(SaleLine)
            .where(SaleLine.device == device)
            .order_by(Sale.id.desc())  # a sealed return may have been sold again since
            .first()
            if device
            else None
        )
        if sold is None:
            if purchase_date is None:
                raise DomainError(
                    _("We have no sale of this unit: type the purchase date from the receipt."),
                    field="purchase_date",
                    status=422,
                )
            if purchase_date > today:
                raise DomainError(
                    _("The purchase date cannot be in the future."),
                    field="purchase_date",
                    status=422,
                )
        if device is None:
            product = Product.get_or_none((Product.id == product_id) & (Product.kind == "device"))
            if product is None:
                raise DomainError(_("Choose the device model."), field="product_id", status=422)
            device = Device.create(
                serial=serial,
                product=product,
                store=store,
                status="sold",
                received_at=clock.now_utc(),
            )
            # Bought elsewhere: its life with us starts here, as a unit a customer holds.
            unit_life.record([device.id], "received", store=store, staff=member, status="sold")
        elif device.status == "in_stock":
            raise DomainError(
                _("Serial %(serial)s is still in stock: sell it first.", serial=serial),
                field="serial",
                status=409,
            )
        elif device.status != "sold":
            # Refunded or swapped out: registering it again would restart its benefits.
            raise DomainError(
                _(
                    "Serial %(serial)s was returned or swapped out: it cannot be registered.",
                    serial=serial,
                ),
                field="serial",
                status=409,
            )
        if device.registration_id is not None:
            current = Registration.get_by_id(device.registration_id)
            if current.ended_at is None:
                raise DomainError(
                    _("This device is already registered to an account."),
                    field="serial",
                    status=409,
                )
        customer = customer_for(store, email, name, birth, marketing_consent)
        first_time = device.first_registered_at is None
        staff_entered = sold is None
        registration = Registration.create(
            customer=customer,
            store=store,
            purchase_date=sold.local_date if sold else purchase_date,
            registration_date=today,
            source="staff_entered" if staff_entered else "counter",
            registered_by=member,
            created_at=clock.now_utc(),
        )
        claimed = (
            Device.update(registration=registration, first_registered_at=clock.now_utc())
            .where((Device.id == device.id) & (Device.registration == device.registration_id))
            .execute()
        )
        if claimed != 1:
            raise DomainError(_("This device is already registered to an account."), status=409)
        unit_life.record(
            [device.id],
            "registered",
            store=store,
            staff=member,
            status="sold",
            subject=registration,
        )
        audit.record(
            "registration.created",
            store=store,
            staff=member,
            customer=customer,
            subject=registration,
            staff_entered=staff_entered,
            device=device.id,
        )
        if first_time:
            issue_welcome_voucher(customer, registration)
    if customer.activated_at is None:
        send_activation(customer)
    return registration


@dataclass(frozen=True)
class CounterRegistration:
    customer: Customer
    activation_sent: bool | None  # None: their own account, active already, needs no mail


def register_customer_for_sale(
    sale: Sale,
    member: Staff,
    *,
    email: str,
    name: str,
    birth: date,
    marketing_consent: bool,
) -> CounterRegistration:
    """Register the customer at the counter right after the sale; the activation mail goes."""
    from .claiming import link_in_transaction

    with write_transaction():
        customer = customer_for(sale.store, email, name, birth, marketing_consent)
        link_in_transaction(sale, customer, member)
    sent = send_activation(customer) if customer.activated_at is None else None
    return CounterRegistration(customer=customer, activation_sent=sent)
