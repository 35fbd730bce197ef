"""Age checks and completing a sale: one atomic transaction, once per cart."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce

from flask_babel import gettext as _
from peewee import JOIN, Case, IntegrityError

from .. import clock, policy
from ..db import Prepared, write_transaction
from ..models import (
    AgeCheck,
    Cart,
    ClaimToken,
    Customer,
    Device,
    Sale,
    SaleLine,
    Staff,
    StockLevel,
    Store,
    Voucher,
)
from . import DomainError, audit, claims, unit_life
from .cart import PricedCart, price
from .claiming import link_in_transaction
from .registrations import check_birth_date

DOCUMENT_TYPES = ("id_card", "passport", "driving_licence", "other_official")
TENDERS = ("card", "cash")


@dataclass(frozen=True)
class AgeCheckResult:
    passed: bool
    message: str
    check: AgeCheck
    priced: PricedCart  # the cart as it stands after the check, for the screen


@dataclass(frozen=True)
class CompletedSale:
    sale: Sale
    claim: claims.ClaimSecret | None  # shown once, on the kiosk and the receipt


def birth_date_from(day: str, month: str, year: str, today: date) -> date:
    """The typed date of birth, or a DomainError for a typing error (never a refusal)."""
    try:
        birth = policy.parse_birth_date(day, month, year)
    except ValueError as err:
        raise DomainError(
            _("That date does not exist. Check the document and type it again (DD MM YYYY)."),
            field="birth_date",
            status=422,
        ) from err
    check_birth_date(birth, today)
    return birth


# The rows every age check and every sale write: composed once (db.Prepared).
_WRITE_AGE_CHECK = Prepared.insert_of(
    AgeCheck,
    "store",
    "staff",
    "cart",
    "method",
    "document_type",
    "result",
    "refusal_reason",
    "required_age",
    "created_at",
    "local_date",
)
_WRITE_SALE = Prepared.insert_of(
    Sale,
    "store",
    "staff",
    "customer",
    "cart",
    "idempotency_key",
    "age_check",
    "tender",
    "subtotal",
    "discount_total",
    "total",
    "vat_total",
    "created_at",
    "local_date",
)
_CLOSE_CART = Prepared(
    lambda cart_id, now: Cart.update(status="completed", updated_at=now).where(
        (Cart.id == cart_id) & (Cart.status == "open")
    ),
    cart_id=int,
    now=datetime,
)


def record_age_check(
    cart: Cart,
    member: Staff,
    *,
    method: str,
    document_type: str | None = None,
    birth: date | None = None,
) -> AgeCheckResult:
    """Decide and record an age check for this cart. The date of birth is not stored."""
    store = cart.store
    priced = price(cart)
    if priced.required_age is None:
        raise DomainError(_("Nothing in the cart needs an age check."), status=409)
    today = clock.today_in(store.timezone)
    if method == "document" and document_type not in DOCUMENT_TYPES:
        raise DomainError(_("Choose the document you saw."), field="document_type", status=422)
    if method == "visual" and policy.visual_check_overruled(_refusal_reasons(cart)):
        raise DomainError(
            _("A document showed this customer under age: only a document check can follow."),
            field="method",
            status=409,
        )
    try:
        decision = policy.decide_age_check(
            birth, today, priced.required_age, method=method, challenge_age=store.challenge_age
        )
    except ValueError as err:
        if method == "visual":
            raise DomainError(
                _("Check an ID document: this store or this cart needs one."),
                field="method",
                status=422,
            ) from err
        raise DomainError(
            _("Type the date of birth from the document."), field="birth_date", status=422
        ) from err
    with write_transaction():
        check = _WRITE_AGE_CHECK.insert(
            AgeCheck(
                store=store,
                staff=member,
                cart=cart,
                method=method,
                document_type=document_type if method == "document" else None,
                result="passed" if decision.passed else "refused",
                refusal_reason=decision.refusal_reason,
                required_age=priced.required_age,
                created_at=clock.now_utc(),
                local_date=today,
            )
        )
        if decision.passed:
            audit.record("age_check.passed", store=store, staff=member, subject=check)
        else:
            audit.record(
                "age_check.refused",
                store=store,
                staff=member,
                subject=check,
                reason=decision.refusal_reason,
            )
    if decision.passed:
        message = _("Age check passed for this sale.")
    elif decision.refusal_reason == "no_id":
        message = _("No ID shown: the sale cannot be completed. The refusal is recorded.")
    else:
        message = _(
            "Under %(age)d: the sale cannot be completed. The refusal is recorded.",
            age=priced.required_age,
        )
    if decision.passed:
        priced.age_check = check  # what pricing the cart would now find, without asking again
    return AgeCheckResult(passed=decision.passed, message=message, check=check, priced=priced)


def _refusal_reasons(cart: Cart) -> list[str | None]:
    refused = AgeCheck.select(AgeCheck.refusal_reason).where(
        (AgeCheck.cart == cart) & (AgeCheck.result == "refused")
    )
    return [check.refusal_reason for check in refused]


def _existing(idempotency_key: str) -> Sale | None:
    return Sale.get_or_none(Sale.idempotency_key == idempotency_key)


def complete_sale(cart: Cart, member: Staff, *, tender: str, idempotency_key: str) -> CompletedSale:
    """Write the sale, its lines, stock, serials, age check and claim token, or nothing.

    The cart's idempotency key makes a double tap, a retry or a resubmitted form
    return the first sale instead of making a second.
    """
    if tender not in TENDERS:
        raise DomainError(_("Choose card or cash."), field="tender", status=422)
    if idempotency_key != cart.idempotency_key:
        done = _existing(idempotency_key)
        if done is not None:
            return CompletedSale(sale=done, claim=None)
        raise DomainError(_("This sale was changed on another screen. Check the cart."))
    try:
        with write_transaction():
            return _write_sale(cart, member, tender)
    except _UnitsGone as gone:
        raise _unit_gone(gone.units, cart.store) from None
    except IntegrityError as err:
        # A racing request won: either it made this very sale, or it sold a serial first.
        done = _existing(idempotency_key)
        if done is not None:
            return CompletedSale(sale=done, claim=None)
        raise DomainError(
            _("A device in the cart was sold on another tablet a moment ago. Check the cart.")
        ) from err


def _write_sale(cart: Cart, member: Staff, tender: str) -> CompletedSale:
    """The sale in as many statements for one line as for fifty (test_sale_queries.py)."""
    store = cart.store
    now = clock.now_utc()
    # Close the cart first: the row count says whether it was still open (on PostgreSQL the
    # row stays locked, so a scan on another tablet waits and the lines read next are all
    # there are), and any refusal below rolls the close back with everything else.
    closed = _CLOSE_CART.write(cart_id=cart.id, now=now)
    if closed != 1:
        # The twin of a double tap may have finished this very cart a moment ago.
        done = _existing(cart.idempotency_key)
        if done is not None:
            return CompletedSale(sale=done, claim=None)
        raise DomainError(_("This sale is already finished. Start a new one."))
    priced = price(cart)
    if priced.is_empty:
        raise DomainError(_("The cart is empty."), status=422)
    if priced.age_check_needed:
        raise DomainError(
            _("An age check is needed before this sale can be completed."), status=422
        )
    if priced.unpriced:
        raise DomainError(
            _(
                "%(name)s has no price in this store's market any more. Remove it from the cart.",
                name=priced.unpriced[0].description,
            ),
            status=409,
        )
    sale = _WRITE_SALE.insert(
        Sale(
            store=store,
            staff=member,
            customer=cart.customer_id,
            cart=cart,
            idempotency_key=cart.idempotency_key,
            age_check=priced.age_check,
            tender=tender,
            subtotal=priced.subtotal,
            discount_total=priced.discount_total,
            total=priced.total,
            vat_total=priced.vat_total,
            created_at=now,
            local_date=clock.today_in(store.timezone, now),
        )
    )
    units = [line.device for line in priced.lines if line.device is not None]
    _sell_units(units, store)
    _take_from_stock(priced, store)
    SaleLine.insert_many(
        [
            {
                "sale": sale,
                "kind": line.kind,
                "product": line.product,
                "device": line.device,
                "voucher": line.voucher,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "line_total": line.line_total,
                "vat_rate": line.vat_rate,
                "vat_amount": line.vat_amount,
            }
            for line in priced.lines
        ]
    ).execute()
    for line in priced.lines:
        if line.voucher is not None:
            _redeem(line.voucher, sale, store, member, now)
    sold_units = [unit.id for unit in units]
    unit_life.record(sold_units, "sold", store=store, staff=member, status="sold", subject=sale)
    has_devices = bool(sold_units)
    claim = (
        claims.issue(sale, lifetime_days=store.claim_token_days, new_sale=True)
        if has_devices
        else None
    )
    if has_devices and cart.customer_id is not None:
        # Linked by the account QR: the devices are registered now, the QR is not needed.
        link_in_transaction(sale, Customer.get_by_id(cart.customer_id), member)
        claim = None
    audit.record(
        "sale.completed",
        store=store,
        staff=member,
        subject=sale,
        total=sale.total,
        lines=len(priced.lines),
    )
    return CompletedSale(sale=sale, claim=claim)


class _UnitsGone(Exception):
    """Some unit of the sale left the shelf since it was scanned: the sale rolls back."""

    def __init__(self, units: list[Device]) -> None:
        super().__init__()
        self.units = units


def _sell_units(units: list[Device], store: Store) -> None:
    """Every serial of the sale from in stock here to sold, in one statement, or none."""
    if not units:
        return
    sold = (
        Device.update(status="sold")
        .where(
            Device.id.in_([unit.id for unit in units])
            & (Device.status == "in_stock")
            & (Device.store == store)
        )
        .execute()
    )
    if sold != len(units):
        raise _UnitsGone(units)


def _unit_gone(units: list[Device], store: Store) -> DomainError:
    """Which unit another tablet sold: read after the rollback, when the others are back."""
    on_shelf = {
        unit.id
        for unit in Device.select(Device.id).where(
            Device.id.in_([unit.id for unit in units])
            & (Device.status == "in_stock")
            & (Device.store == store)
        )
    }
    gone = next((unit for unit in units if unit.id not in on_shelf), units[0])
    return DomainError(
        _(
            "Serial %(serial)s was sold on another tablet a moment ago. Remove it from the cart.",
            serial=gone.serial,
        )
    )


def _take_from_stock(priced: PricedCart, store: Store) -> None:
    """The counted products (not serials) off the shelf in one statement, never below zero."""
    wanted: dict[int, int] = {}
    names: dict[int, str] = {}
    for line in priced.lines:
        if line.device is None and line.product is not None and line.kind in ("item", "voucher"):
            wanted[line.product.id] = wanted.get(line.product.id, 0) + line.quantity
            names.setdefault(line.product.id, line.description)
    if not wanted:
        return
    taken = (
        StockLevel.update(
            quantity=StockLevel.quantity - Case(StockLevel.product, list(wanted.items()))
        )
        .where(
            (StockLevel.store == store)
            & reduce(
                operator.or_,
                [
                    (StockLevel.product == product) & (StockLevel.quantity >= quantity)
                    for product, quantity in wanted.items()
                ],
            )
        )
        .execute()
    )
    if taken != len(wanted):
        # Only when the count is short: name the first product it is short of.
        on_shelf = dict(
            StockLevel.select(StockLevel.product, StockLevel.quantity)
            .where((StockLevel.store == store) & StockLevel.product.in_(list(wanted)))
            .tuples()
        )
        short = next(p for p, n in wanted.items() if on_shelf.get(p, 0) < n)
        raise DomainError(
            _(
                "The stock count has fewer than %(n)d of %(name)s. "
                "Count the shelf or ask a manager.",
                n=wanted[short],
                name=names[short],
            )
        )


def _redeem(voucher: Voucher, sale: Sale, store: Store, member: Staff, now: datetime) -> None:
    redeemed = (
        Voucher.update(redeemed_at=now)
        .where((Voucher.id == voucher.id) & Voucher.redeemed_at.is_null())
        .execute()
    )
    if redeemed != 1:
        raise DomainError(_("Voucher %(code)s was used a moment ago.", code=voucher.code))
    audit.record(
        "voucher.redeemed",
        store=store,
        staff=member,
        customer=voucher.customer_id,
        subject=voucher,
        sale=sale.id,
    )


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    quantity: int
    line_total: int
    vat_rate: int
    vat_amount: int
    serial: str | None  # the unit's, for a device line


@dataclass(frozen=True)
class Receipt:
    """What a printed receipt shows, read in one statement."""

    sale_id: int
    created_at: datetime
    total: int
    tender: str
    served_by: str
    lines: list[ReceiptLine]
    claim: ClaimToken | None  # None for a sale without devices

    @property
    def vat_by_rate(self) -> dict[int, int]:
        by_rate: dict[int, int] = {}
        for line in self.lines:
            by_rate[line.vat_rate] = by_rate.get(line.vat_rate, 0) + line.vat_amount
        return by_rate


# The receipt's one statement: the sale and its claim token repeat on each line's row,
# which costs less than a second round trip to PostgreSQL.
_RECEIPT_COLUMNS = (
    Sale.id,
    Sale.created_at,
    Sale.total,
    Sale.tender,
    Staff.display_name,
    ClaimToken.id,
    ClaimToken.secret_nonce,
    ClaimToken.token_hash,
    ClaimToken.expires_at,
    ClaimToken.claimed_at,
    SaleLine.description,
    SaleLine.quantity,
    SaleLine.line_total,
    SaleLine.vat_rate,
    SaleLine.vat_amount,
    Device.serial,
)


# Composed once per kind of database and prepared on PostgreSQL (db.Prepared): composing it
# in Peewee took some 25 times what SQLite takes to run it (350 us against 15).
_RECEIPT = Prepared(
    lambda sale_id, store_id: (
        Sale.select(*_RECEIPT_COLUMNS)
        .join(Staff, on=(Sale.staff == Staff.id))
        .switch(Sale)
        .join(ClaimToken, JOIN.LEFT_OUTER, on=(ClaimToken.sale == Sale.id))
        .switch(Sale)
        .join(SaleLine, JOIN.LEFT_OUTER, on=(SaleLine.sale == Sale.id))
        .join(Device, JOIN.LEFT_OUTER, on=(SaleLine.device == Device.id))
        .where((Sale.id == sale_id) & (Sale.store == store_id))
        .order_by(SaleLine.id)
        .tuples()
    ),
    sale_id=int,
    store_id=int,
)


def receipt(sale_id: int, store_id: int) -> Receipt | None:
    """A sale of this store as its receipt shows it: lines, serials, seller and claim token."""
    rows = _RECEIPT.rows(sale_id=sale_id, store_id=store_id)
    if not rows:
        return None
    sale, created_at, total, tender, served_by = rows[0][:5]
    token_id, nonce, token_hash, expires_at, claimed_at = rows[0][5:10]
    lines = [
        ReceiptLine(
            description=description,
            quantity=quantity,
            line_total=line_total,
            vat_rate=vat_rate,
            vat_amount=vat_amount,
            serial=serial,
        )
        for description, quantity, line_total, vat_rate, vat_amount, serial in (
            row[10:] for row in rows
        )
        if description is not None  # never a sale without lines, but LEFT JOIN says so
    ]
    claim = (
        ClaimToken(
            id=token_id,
            sale=sale,
            secret_nonce=nonce,
            token_hash=token_hash,
            expires_at=ClaimToken.expires_at.python_value(expires_at),
            claimed_at=ClaimToken.claimed_at.python_value(claimed_at),
        )
        if token_id is not None and any(line.serial is not None for line in lines)
        else None
    )
    return Receipt(
        sale_id=sale,
        created_at=Sale.created_at.python_value(created_at),
        total=total,
        tender=tender,
        served_by=served_by,
        lines=lines,
        claim=claim,
    )
