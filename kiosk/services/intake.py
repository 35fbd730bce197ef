"""Stock coming in: a delivery scanned serial by serial (receiving.py takes it into stock).

The draft lives in the database, one open delivery per store. A delivery is a pile of boxes
in the back room, not one person's work: whoever is at a tablet of the store carries on
where the last person stopped, after a reload, the idle lock or a change of person. Each
scan is its own small transaction whose first statement touches the delivery's row, so two
scans of one delivery queue on both databases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from peewee import IntegrityError, Select, fn

from .. import clock, policy
from ..db import write_transaction
from ..extensions import db
from ..formatting import status_label
from ..models import Delivery, DeliveryLine, Device, Product, Staff, Store
from . import DomainError, audit, catalog

MAX_LINES = 5000  # more than a pallet holds; it bounds the one transaction of "Receive"
MAX_QUANTITY = 9999
MAX_SCANNED = 64  # what a line keeps of a scan


@dataclass(frozen=True)
class Scanned:
    """What one scan did: the line it wrote (kept or refused) and what to tell the person."""

    line: DeliveryLine
    message: str
    refused: bool
    status: int
    created: bool = True  # False: a counted product's line grew


def open_delivery(store: Store) -> Delivery | None:
    return Delivery.get_or_none((Delivery.store == store) & (Delivery.status == "open"))


def delivery_of(store: Store, delivery_id: int) -> Delivery | None:
    """A delivery of this store (another store's is not there, whatever its number)."""
    return Delivery.get_or_none((Delivery.id == delivery_id) & (Delivery.store == store))


def _reference(raw: str) -> str:
    reference = " ".join((raw or "").split())
    if not reference:
        raise DomainError(
            _("Type the delivery reference from the supplier's delivery note."),
            field="reference",
            status=422,
        )
    if len(reference) > 64:
        raise DomainError(
            _("A delivery reference is at most 64 characters."), field="reference", status=422
        )
    return reference


def start(store: Store, member: Staff, reference: str) -> Delivery:
    """Open the store's delivery; the one already open when a colleague got there first."""
    reference = _reference(reference)
    now = clock.now_utc()
    try:
        with write_transaction():
            return Delivery.create(
                store=store, reference=reference, opened_by=member, created_at=now, updated_at=now
            )
    except IntegrityError:
        # One open delivery per store: the other tablet's is the one to carry on.
        found = open_delivery(store)
        if found is None:
            raise
        return found


def _touch(delivery: Delivery, *, room_for_a_line: bool = False) -> None:
    """Refuse a change to a delivery received or discarded meanwhile (on another tablet), to
    one that is not the store's at all, or (``room_for_a_line``) to one that is full.

    One conditional UPDATE checks it all, and on PostgreSQL it also locks the row until the
    change commits; a scan pays one round trip for it, the reason is read only on refusal."""
    where = (
        (Delivery.id == delivery.id)
        & (Delivery.store == delivery.store_id)
        & (Delivery.status == "open")
    )
    if room_for_a_line:
        lines = DeliveryLine.select(fn.COUNT(DeliveryLine.id)).where(
            DeliveryLine.delivery == delivery.id
        )
        where &= lines < MAX_LINES
    if Delivery.update(updated_at=clock.now_utc()).where(where).execute() == 1:
        return
    status = (
        Delivery.select(Delivery.status)
        .where((Delivery.id == delivery.id) & (Delivery.store == delivery.store_id))
        .scalar()
    )
    if status is None:
        raise DomainError(_("That delivery is not this store's."), status=404)
    if status != "open":
        raise DomainError(
            _("This delivery is no longer open: it was received or discarded."), status=409
        )
    _room_for_a_line(delivery)


def set_reference(delivery: Delivery, reference: str) -> None:
    reference = _reference(reference)
    with write_transaction():
        _touch(delivery)
        Delivery.update(reference=reference).where(Delivery.id == delivery.id).execute()
    delivery.reference = reference


def _room_for_a_line(delivery: Delivery) -> None:
    if DeliveryLine.select().where(DeliveryLine.delivery == delivery).count() >= MAX_LINES:
        raise DomainError(
            _(
                "A delivery holds at most %(max)d lines: receive this one and start another.",
                max=MAX_LINES,
            ),
            field="code",
            status=409,
        )


def _add_count(
    delivery: Delivery, member: Staff, product: Product, quantity: int
) -> tuple[DeliveryLine, bool]:
    """Add to the product's count line, in the caller's transaction; True when it is new."""
    line = DeliveryLine.get_or_none(
        (DeliveryLine.delivery == delivery)
        & (DeliveryLine.product == product)
        & DeliveryLine.serial.is_null()
        & (DeliveryLine.refusal == "")
    )
    if line is None:
        _room_for_a_line(delivery)
        line = DeliveryLine.create(
            delivery=delivery,
            product=product,
            scanned=product.sku,
            quantity=quantity,
            staff=member,
            created_at=clock.now_utc(),
        )
        return line, True
    if line.quantity + quantity > MAX_QUANTITY:
        raise DomainError(
            _("A delivery line holds at most %(max)d.", max=MAX_QUANTITY),
            field="quantity",
            status=422,
        )
    DeliveryLine.update(quantity=DeliveryLine.quantity + quantity).where(
        DeliveryLine.id == line.id
    ).execute()
    line.quantity += quantity
    return line, False


def counted_product(product_id: int) -> Product:
    """A consumable or accessory that may come in by quantity."""
    product = Product.get_or_none((Product.id == product_id) & (Product.is_active == True))  # noqa: E712
    if product is None:
        raise DomainError(_("That product is not in the catalog."), field="product", status=404)
    if product.kind == "device":
        raise DomainError(
            _("Devices come in one by one: scan each serial."), field="product", status=422
        )
    return product


def add_quantity(delivery: Delivery, member: Staff, product_id: int, quantity: int) -> DeliveryLine:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(
            _("A quantity is from 1 to %(max)d.", max=MAX_QUANTITY), field="quantity", status=422
        )
    product = counted_product(product_id)
    with write_transaction():
        _touch(delivery)
        return _add_count(delivery, member, product, quantity)[0]


def _catalog_for(code: str) -> tuple[Product | None, dict[int, str | None]]:
    """The product whose SKU was scanned, if any, and the serial format of each device model
    a delivery may hold (the active ones): one query, as a scan must answer fast."""
    sku = code.upper() if len(code) <= 32 else None
    active_device = (Product.kind == "device") & (Product.is_active == True)  # noqa: E712
    found = Product.select(
        Product.id, Product.sku, Product.kind, Product.is_active, Product.serial_pattern
    ).where(active_device | (Product.sku == sku) if sku else active_device)
    product = None
    formats: dict[int, str | None] = {}
    for row in found:
        if row.sku == sku:
            product = row
        if row.kind == "device" and row.is_active:
            formats[row.id] = row.serial_pattern
    return product, formats


def _names(product_ids: Iterable[int], language: str) -> list[str]:
    query = catalog.with_local_name(
        Product.select(catalog.local_name().alias("name")), language
    ).where(Product.id.in_(list(product_ids)))
    return sorted(row.name for row in query.objects())


def where_it_is(serial: str) -> str | None:
    """Where a serial already is in the chain, in words; None for a serial we never had."""
    known = (
        Device.select(Device.status, Store.name)
        .join(Store)
        .where(Device.serial == serial)
        .objects()
        .first()
    )
    return None if known is None else _known_at(serial, known.status, known.name)


def _known_at(serial: str, status: str, store: str) -> str:
    return _("%(serial)s is already known: %(status)s at %(store)s.") % {
        "serial": serial,
        "status": status_label(status),
        "store": store,
    }


def _serial_refusal(
    delivery: Delivery,
    serial: str,
    formats: dict[int, str | None],
    chosen: int | None,
    language: str,
) -> tuple[str, int] | int:
    """Why a serial cannot come in with this delivery (message, status), or its model's id."""
    # Where it is in the chain, and whether this delivery has it, in one round trip.
    status, store, twice = (
        Select(
            columns=[
                Device.select(Device.status).where(Device.serial == serial).alias("status"),
                Store.select(Store.name)
                .join(Device, on=(Device.store == Store.id))
                .where(Device.serial == serial)
                .alias("store"),
                fn.EXISTS(
                    DeliveryLine.select(DeliveryLine.id).where(
                        (DeliveryLine.delivery == delivery) & (DeliveryLine.serial == serial)
                    )
                ).alias("twice"),
            ]
        )
        .bind(db)
        .tuples()
        .get()
    )
    if status is not None:
        return _known_at(serial, status, store), 409
    if twice:
        return _(
            "%(serial)s was scanned twice: it is already in this delivery.", serial=serial
        ), 409
    found = policy.model_for_serial(serial, formats, chosen)
    if found.code == "ambiguous":
        return _(
            "%(serial)s fits several models (%(models)s): choose the model, then scan it again.",
            serial=serial,
            models=", ".join(_names(found.candidates, language)),
        ), 422
    if found.product_id is None:
        return _(
            "%(serial)s is in a format no model has: check the serial, or the model's serial "
            "format in the catalog.",
            serial=serial,
        ), 422
    return found.product_id


def scan(
    delivery: Delivery, member: Staff, code: str, *, chosen: int | None = None, language: str
) -> Scanned:
    """Check one scan at once and write its line: a unit, one more of a counted product's
    SKU, or a refusal that names why (a wrong format, a serial the chain already has, one
    scanned twice). A refusal is a line of its own; the rest of the delivery is kept.

    ``delivery`` needs only its id and store: its first statement checks that it is the
    store's and open, so the hot path reads it no second time."""
    raw = (code or "").strip()
    if not raw:
        raise DomainError(_("Scan or type a serial or SKU."), field="code", status=422)
    with write_transaction():
        _touch(delivery, room_for_a_line=True)
        product, formats = _catalog_for(raw)
        if product is not None and product.kind != "device" and product.is_active:
            line, created = _add_count(delivery, member, product, 1)
            return Scanned(line, _("One more %(sku)s.", sku=product.sku), False, 200, created)
        serial = None
        if product is not None and product.kind == "device":
            verdict: tuple[str, int] | int = (
                _("%(sku)s is the model's code: scan the serial under the box.", sku=raw.upper()),
                422,
            )
        else:
            try:
                serial = policy.normalise_serial(raw)
            except ValueError:
                verdict = (
                    _("%(code)s is not a serial: a serial has only letters A-Z and digits.")
                    % {"code": raw[:MAX_SCANNED]},
                    422,
                )
            else:
                verdict = _serial_refusal(delivery, serial, formats, chosen, language)
        now = clock.now_utc()
        if isinstance(verdict, tuple):
            message, status = verdict
            line = DeliveryLine.create(
                delivery=delivery,
                scanned=raw[:MAX_SCANNED],
                refusal=message[:300],
                staff=member,
                created_at=now,
            )
            return Scanned(line, message, True, status)
        line = DeliveryLine.create(
            delivery=delivery,
            product=verdict,
            serial=serial,
            scanned=raw[:MAX_SCANNED],
            staff=member,
            created_at=now,
        )
        return Scanned(line, _("Kept %(serial)s.", serial=serial), False, 200)


def remove_line(delivery: Delivery, line_id: int) -> None:
    with write_transaction():
        _touch(delivery)
        DeliveryLine.delete().where(
            (DeliveryLine.id == line_id) & (DeliveryLine.delivery == delivery)
        ).execute()


def discard(delivery: Delivery, member: Staff) -> None:
    """Throw the draft away: nothing of it reaches the stock."""
    with write_transaction():
        _touch(delivery)
        Delivery.update(status="discarded").where(Delivery.id == delivery.id).execute()
        audit.record(
            "stock.delivery_discarded",
            store=delivery.store_id,
            staff=member,
            subject=delivery,
            reference=delivery.reference,
        )
