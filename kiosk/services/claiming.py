"""Claiming a sale's devices into an account: by the receipt's QR, or linked at the counter."""

from __future__ import annotations

from flask_babel import gettext as _
from peewee import Expression, IntegrityError, fn

from .. import clock
from ..db import write_transaction
from ..models import (
    Claim,
    ClaimToken,
    Customer,
    Device,
    Registration,
    Sale,
    SaleLine,
    Staff,
    Store,
)
from . import DomainError, audit, claims, ratelimit, unit_life
from .claims import CODE_LENGTH, digest, find_open, normalise_code
from .registrations import issue_welcome_voucher
from .swaps import typed_serial

CLAIM_LIMIT_PER_CLIENT = 30
CLAIM_LIMIT_PER_CODE = 10
WINDOW_SECONDS = 600


def guard(secret: str, *, client: str) -> None:
    """Guessing is rate-limited per client and per code; a success never resets it."""
    # The client first: once it is over its limit, its new guesses add no code rows. The
    # code is counted as the look-up reads it (case and dashes ignored), by its hash: the
    # counter table keeps no claim secret.
    limits = {
        f"claim:client:{client}": CLAIM_LIMIT_PER_CLIENT,
        f"claim:code:{claims.digest(claims.lookup_form(secret))[:32]}": CLAIM_LIMIT_PER_CODE,
    }
    if not ratelimit.within_limits(limits, window_seconds=WINDOW_SECONDS):
        raise DomainError(_("Too many attempts. Wait a few minutes and try again."), status=429)


def _register_unit(
    unit: Device, sale: Sale, customer: Customer, *, source: str, staff: Staff | None
) -> Registration | None:
    """Register one sold unit of ``sale`` to ``customer``, in the caller's transaction.

    None when it is theirs already; a unit registered to someone else stops everything.
    """
    if unit.registration_id is not None:
        current = Registration.get_by_id(unit.registration_id)
        if current.ended_at is None:
            if current.customer_id == customer.id:
                return None
            raise DomainError(
                _("A device of this purchase is registered to another account already."),
                status=409,
            )
    today = clock.today_in(sale.store.timezone)
    registration = Registration.create(
        customer=customer,
        store=sale.store_id,
        purchase_date=sale.local_date,
        registration_date=max(today, sale.local_date),
        source=source,
        registered_by=staff,
        created_at=clock.now_utc(),
    )
    moved = (
        Device.update(registration=registration, first_registered_at=clock.now_utc())
        .where((Device.id == unit.id) & (Device.registration == unit.registration_id))
        .execute()
    )
    if moved != 1:
        raise DomainError(_("A device of this purchase was registered a moment ago."), status=409)
    unit_life.record(
        [unit.id],
        "registered",
        store=sale.store_id,
        staff=staff,
        status="sold",
        subject=registration,
    )
    return registration


def _sold_again_since(line: type[SaleLine]) -> Expression:
    """The unit of ``line`` was sold again after it (a sealed return goes back on the shelf):
    that later sale's buyer holds it now, not whoever has the earlier receipt."""
    later = SaleLine.alias()
    return fn.EXISTS(
        later.select(later.id).where((later.device == line.device) & (later.id > line.id))
    )


def _register_sale_devices(
    sale: Sale, customer: Customer, *, source: str, staff: Staff | None
) -> tuple[list[Registration], list[Registration]]:
    """Register every device of the sale to ``customer``, in the caller's transaction.

    Returns the new chains, and those of them whose unit was never registered before
    (only those earn the welcome offer).
    """
    units = list(
        Device.select()
        .join(SaleLine)
        .where((SaleLine.sale == sale) & ~_sold_again_since(SaleLine))
        .order_by(Device.id)
    )
    chains = []
    first_time = []
    for unit in units:
        if unit.status != "sold":
            continue  # refunded or swapped out since the sale: it left the customer's hands
        registration = _register_unit(unit, sale, customer, source=source, staff=staff)
        if registration is None:
            continue
        chains.append(registration)
        if unit.first_registered_at is None:
            first_time.append(registration)
    if sale.customer_id is None:
        Sale.update(customer=customer).where(Sale.id == sale.id).execute()
    return chains, first_time


def claim(secret: str, customer: Customer) -> list[Registration]:
    """One claim per token: two phones at once, exactly one wins (unique claim row)."""
    purchase = find_open(secret)
    if purchase is None:
        raise DomainError(_("This code cannot be used."), status=404)
    token = purchase.token
    try:
        with write_transaction():
            Claim.create(claim_token=token, customer=customer, created_at=clock.now_utc())
            taken = (
                ClaimToken.update(claimed_at=clock.now_utc(), claimed_by=customer)
                .where((ClaimToken.id == token.id) & ClaimToken.claimed_at.is_null())
                .execute()
            )
            if taken != 1:
                raise DomainError(_("This code cannot be used."), status=409)
            sale = Sale.get_by_id(token.sale_id)
            registrations, first_time = _register_sale_devices(
                sale, customer, source="claim", staff=None
            )
            audit.record(
                "claim.completed",
                store=sale.store_id,
                customer=customer,
                subject=sale,
                devices=len(registrations),
            )
    except IntegrityError as err:
        raise DomainError(
            _("This purchase was just claimed from another phone."), status=409
        ) from err
    if first_time:
        issue_welcome_voucher(customer, first_time[0])
    return registrations


def link_in_transaction(sale: Sale, customer: Customer, staff: Staff) -> list[Registration]:
    """Register a sale's devices to the account staff scanned, in the caller's transaction."""
    registrations, first_time = _register_sale_devices(
        sale, customer, source="counter", staff=staff
    )
    ClaimToken.update(claimed_at=clock.now_utc(), claimed_by=customer).where(
        (ClaimToken.sale == sale) & ClaimToken.claimed_at.is_null()
    ).execute()
    audit.record(
        "sale.linked",
        store=sale.store_id,
        staff=staff,
        customer=customer,
        subject=sale,
        devices=len(registrations),
    )
    if first_time:
        issue_welcome_voucher(customer, first_time[0])
    return registrations


def link_sale(sale: Sale, customer: Customer, staff: Staff) -> list[Registration]:
    """The counter links a finished sale to an account by its QR: devices registered at once."""
    with write_transaction():
        return link_in_transaction(sale, customer, staff)


def _receipt_matches(sale: Sale, reference: str) -> bool:
    """The receipt's 8-character claim code, or its receipt number (the sale's number)."""
    typed = reference.strip().lstrip("#").strip()
    if typed.isascii() and typed.isdigit() and len(typed) <= 10 and int(typed) == sale.id:
        return True
    code = normalise_code(typed)
    return len(code) == CODE_LENGTH and (
        ClaimToken.select()
        .where((ClaimToken.sale == sale) & (ClaimToken.code_hash == digest(code)))
        .exists()
    )


def add_device(customer: Customer, *, serial: str, reference: str, client: str) -> Registration:
    """ "Add device" under My devices: the serial and the receipt's code or number.

    The rules of a claim: nothing registered to someone else moves, the welcome offer is for a
    first-ever registration only, and the same per-client limit counts every try (with one
    per serial), so a box in hand is no way to guess a receipt.
    """
    serial = typed_serial(serial)[:64]
    limits = {
        f"claim:client:{client}": CLAIM_LIMIT_PER_CLIENT,
        f"add-device:serial:{serial}": CLAIM_LIMIT_PER_CODE,
    }
    if not ratelimit.within_limits(limits, window_seconds=WINDOW_SECONDS):
        raise DomainError(
            _("Too many attempts. Wait a few minutes and try again."), field="serial", status=429
        )
    with write_transaction():
        found = (
            SaleLine.select(SaleLine, Device, Sale, Store)
            .join(Device)
            .switch(SaleLine)
            .join(Sale)
            .join(Store)
            .where((Device.serial == serial) & ~_sold_again_since(SaleLine))
            .first()
        )
        if found is None or not _receipt_matches(found.sale, reference):
            raise DomainError(
                _(
                    "We found no purchase with this serial and receipt. Check both: the serial "
                    "is under the box and on the receipt."
                ),
                field="reference",
                status=404,
            )
        unit, sale = found.device, found.sale
        if unit.status != "sold":
            raise DomainError(
                _("This device was returned or swapped out: it cannot be added."),
                field="serial",
                status=409,
            )
        try:
            registration = _register_unit(unit, sale, customer, source="account", staff=None)
        except DomainError as err:
            raise DomainError(
                _("This device is registered to another account."), field="serial", status=409
            ) from err
        if registration is None:
            raise DomainError(
                _("This device is in your devices already."), field="serial", status=409
            )
        if sale.customer_id is None:
            Sale.update(customer=customer).where(Sale.id == sale.id).execute()
        audit.record(
            "registration.added_by_customer",
            store=sale.store_id,
            customer=customer,
            subject=registration,
            device=unit.id,
        )
    if unit.first_registered_at is None:
        issue_welcome_voucher(customer, registration)
    return registration
