"""Claiming a sale's devices into an account: by the receipt's QR, or linked at the counter."""

from __future__ import annotations

from flask_babel import gettext as _
from peewee import IntegrityError

from .. import clock
from ..db import write_transaction
from ..models import Claim, ClaimToken, Customer, Device, Registration, Sale, SaleLine, Staff
from . import DomainError, audit, claims, ratelimit, unit_life
from .claims import find_open
from .registrations import issue_welcome_voucher

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


def _register_sale_devices(
    sale: Sale, customer: Customer, *, source: str, staff: Staff | None
) -> tuple[list[Registration], list[Registration]]:
    """Register every device of the sale to ``customer``, in the caller's transaction.

    Returns the new chains, and those of them whose unit was never registered before
    (only those earn the welcome offer).
    """
    store = sale.store
    today = clock.today_in(store.timezone)
    units = list(Device.select().join(SaleLine).where(SaleLine.sale == sale).order_by(Device.id))
    chains = []
    first_time = []
    for unit in units:
        if unit.status != "sold":
            continue  # refunded or swapped out since the sale: it left the customer's hands
        if unit.registration_id is not None:
            current = Registration.get_by_id(unit.registration_id)
            if current.ended_at is None:
                if current.customer_id == customer.id:
                    continue
                raise DomainError(
                    _("A device of this purchase is registered to another account already."),
                    status=409,
                )
        registration = Registration.create(
            customer=customer,
            store=store,
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
            raise DomainError(
                _("A device of this purchase was registered a moment ago."), status=409
            )
        unit_life.record(
            [unit.id], "registered", store=store, staff=staff, status="sold", subject=registration
        )
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
