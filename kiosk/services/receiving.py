"""Receiving a delivery: every unit, its first step in life, the counted quantities and one
audit event in one transaction, or nothing at all.

A serial is unique in the database, so of two tablets receiving one unit at once exactly
one wins: on SQLite the second waits for the write lock and then finds the unit, on
PostgreSQL its insert waits for the first to commit and then fails. Either way the loser's
whole delivery rolls back, the clashing lines are marked refused with where the unit is, and
the rest stays in the draft to receive again.
"""

from __future__ import annotations

from flask_babel import gettext as _
from peewee import EXCLUDED, IntegrityError, chunked

from .. import clock
from ..db import write_transaction
from ..models import Delivery, DeliveryLine, Device, Staff, StockLevel, Store
from . import DomainError, audit, unit_life
from .intake import where_it_is

CHUNK = 500  # rows per statement: SQLite allows 32,766 parameters in one


class _AlreadyInTheChain(Exception):
    def __init__(self, serials: list[str]) -> None:
        super().__init__(serials)
        self.serials = serials


def _known(serials: list[str]) -> list[str]:
    found: list[str] = []
    for part in chunked(serials, CHUNK):
        found += [d.serial for d in Device.select(Device.serial).where(Device.serial.in_(part))]
    return sorted(found)


def receive(delivery: Delivery, store: Store, member: Staff) -> Delivery:
    """Write the whole delivery into the store's stock, or nothing.

    A serial that reached the chain meanwhile (another tablet received it first) stops the
    whole delivery; its line is then marked refused with where the unit is, and the rest
    stays in the draft to receive again.
    """
    try:
        with write_transaction():
            return _receive(delivery, store, member)
    except _AlreadyInTheChain as err:
        clash = err.serials
    except IntegrityError:
        # PostgreSQL: another transaction committed one of our serials while we wrote.
        serials = [
            line.serial
            for line in DeliveryLine.select(DeliveryLine.serial).where(
                (DeliveryLine.delivery == delivery) & DeliveryLine.serial.is_null(False)
            )
        ]
        clash = _known(serials)
        if not clash:
            raise
    raise DomainError(_refuse_lines(delivery, clash), status=409)


def _refuse_lines(delivery: Delivery, serials: list[str]) -> str:
    """Mark the lines of serials the chain already has as refused; say where the first is."""
    with write_transaction():
        for serial in serials:
            where = where_it_is(serial) or ""
            DeliveryLine.update(refusal=where[:300], serial=None, product=None).where(
                (DeliveryLine.delivery == delivery) & (DeliveryLine.serial == serial)
            ).execute()
    first = where_it_is(serials[0]) or serials[0]
    more = len(serials) - 1
    if more:
        return _(
            "Nothing was received: %(first)s %(more)d more serials are also already known. "
            "Their lines are now refused; receive again to take in the rest.",
            first=first,
            more=more,
        )
    return _(
        "Nothing was received: %(first)s Its line is now refused; receive again to take in "
        "the rest.",
        first=first,
    )


def _receive(delivery: Delivery, store: Store, member: Staff) -> Delivery:
    now = clock.now_utc()
    today = clock.today_in(store.timezone)
    received = (
        Delivery.update(
            status="received", received_by=member, received_at=now, local_date=today, updated_at=now
        )
        .where((Delivery.id == delivery.id) & (Delivery.status == "open"))
        .execute()
    )
    if received != 1:
        raise DomainError(
            _("This delivery is no longer open: it was received or discarded."), status=409
        )
    kept = list(
        DeliveryLine.select(DeliveryLine.product, DeliveryLine.serial, DeliveryLine.quantity).where(
            (DeliveryLine.delivery == delivery) & (DeliveryLine.refusal == "")
        )
    )
    if not kept:
        raise DomainError(_("Nothing to receive yet: scan a serial or add a quantity."), status=422)
    units = [line for line in kept if line.serial]
    serials = [line.serial for line in units]
    clash = _known(serials)
    if clash:
        raise _AlreadyInTheChain(clash)
    for part in chunked(units, CHUNK):
        Device.insert_many(
            [
                {
                    "serial": line.serial,
                    "product": line.product_id,
                    "store": store.id,
                    "status": "in_stock",
                    "received_at": now,
                }
                for line in part
            ]
        ).execute()
    for part in chunked(serials, CHUNK):
        ids = [d.id for d in Device.select(Device.id).where(Device.serial.in_(part))]
        unit_life.record(
            ids,
            "received",
            store=store,
            staff=member,
            status="in_stock",
            subject=delivery,
            reference=delivery.reference,
            at=now,
        )
    counted = [line for line in kept if not line.serial]
    for line in counted:
        StockLevel.insert(store=store, product=line.product_id, quantity=line.quantity).on_conflict(
            conflict_target=[StockLevel.store, StockLevel.product],
            update={StockLevel.quantity: StockLevel.quantity + EXCLUDED.quantity},
        ).execute()
    audit.record(
        "stock.received",
        store=store,
        staff=member,
        subject=delivery,
        reference=delivery.reference,
        units=len(units),
        items=sum(line.quantity for line in counted),
    )
    delivery.status, delivery.received_at, delivery.local_date = "received", now, today
    delivery.received_by = member
    return delivery
