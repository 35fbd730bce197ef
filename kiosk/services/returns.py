"""Back to the maker: the units waiting to go back, and the shipments they go back in.

A unit waits when it was swapped out, or returned under money back and judged opened or
faulty, and is not packed yet. A shipment is opened under the maker's RMA reference, filled
by scanning, shipped, and later credited. A unit is in one shipment ever: the unique
``shipment_unit.device_id`` settles two tablets packing it at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from peewee import JOIN, IntegrityError, fn

from .. import clock, policy
from ..db import is_postgres, write_transaction
from ..formatting import status_label
from ..models import Device, Product, Shipment, ShipmentUnit, Staff, Store, Swap
from . import DomainError, audit, unit_life


@dataclass(frozen=True)
class WaitingUnit:
    device: Device
    store: Store
    fault: str  # the fault code of a swap, or the state of a money-back unit
    note: str
    since: date  # the store-local day of the swap or return
    today: date  # the store's
    outcome: str

    @property
    def days_waiting(self) -> int:
        return policy.days_waiting(self.since, self.today)

    @property
    def overdue(self) -> bool:
        return policy.overdue_for_maker(self.since, self.today)


def _units_with_their_swap(where: object) -> list[tuple[Device, Swap]]:
    """Units and the swap that took each back (the latest: a resold unit may have had two)."""
    rows = (
        Device.select(Device, Product, Swap)
        .join(Product)
        .switch(Device)
        .join(Swap, JOIN.LEFT_OUTER, on=(Swap.old_device == Device.id), attr="swap")
        .where(where)
        .order_by(Device.id, Swap.id)
    )
    latest: dict[int, tuple[Device, Swap]] = {}
    for device in rows:
        # No swap (a unit marked so by hand or by a count): an empty one, id None.
        latest[device.id] = (device, getattr(device, "swap", None) or Swap())
    return list(latest.values())


def waiting(stores: Iterable[Store]) -> list[WaitingUnit]:
    """Every unit of these stores waiting to go back, the longest waiting first."""
    by_id = {s.id: s for s in stores}
    packed = ShipmentUnit.select(ShipmentUnit.device)
    units = _units_with_their_swap(
        Device.store.in_(list(by_id))
        & Device.status.in_(policy.WAITING_FOR_MAKER)
        & Device.id.not_in(packed)
    )
    result = []
    for device, swap in units:
        store = by_id[device.store_id]
        today = clock.today_in(store.timezone)
        since = swap.local_date if swap.id else clock.today_in(store.timezone, device.received_at)
        result.append(
            WaitingUnit(
                device=device,
                store=store,
                fault=(swap.unit_state if swap.unit_state else device.fault_code) or "",
                note=device.notes or swap.note or "",
                since=since,
                today=today,
                outcome=swap.outcome or "",
            )
        )
    result.sort(key=lambda unit: (-unit.days_waiting, unit.device.serial))
    return result


def overdue_count(stores: Iterable[Store]) -> int:
    """How many units of these stores have waited more than 14 days to go back.

    The units and days of ``waiting``, read as bare values: the manager's home asks on every
    view, and a unit, its product and its swap built as objects cost more than the rest of
    the page's reads together. ``NOT EXISTS`` finds a packed unit by its unique index where
    ``NOT IN`` reads every unit ever shipped; with no ORDER BY, SQLite reads the store's
    waiting units by the (store, status) index instead of all its units in id order.
    """
    by_id = {s.id: s for s in stores}
    packed = ShipmentUnit.select(ShipmentUnit.id).where(ShipmentUnit.device == Device.id)
    rows = (
        Device.select(Device.id, Device.store, Device.received_at, Swap.id, Swap.local_date)
        .join(Swap, JOIN.LEFT_OUTER, on=(Swap.old_device == Device.id))
        .where(
            Device.store.in_(list(by_id))
            & Device.status.in_(policy.WAITING_FOR_MAKER)
            & ~fn.EXISTS(packed)
        )
        .tuples()
    )
    # The latest swap's day counts (a resold unit may have had two); no swap: the day it came.
    latest: dict[int, tuple[int, int, date]] = {}
    for device_id, store_id, received_at, swap_id, swap_day in rows:
        if swap_id is None:
            latest[device_id] = (0, store_id, clock.today_in(by_id[store_id].timezone, received_at))
        elif swap_id > latest.get(device_id, (0,))[0]:
            latest[device_id] = (swap_id, store_id, swap_day)
    today = {store_id: clock.today_in(store.timezone) for store_id, store in by_id.items()}
    return sum(policy.overdue_for_maker(day, today[store]) for _id, store, day in latest.values())


def _reference(raw: str, field: str) -> str:
    reference = " ".join((raw or "").split())
    if not reference:
        raise DomainError(_("Type the maker's reference."), field=field, status=422)
    if len(reference) > 64:
        raise DomainError(_("A reference is at most 64 characters."), field=field, status=422)
    return reference


def open_shipment(store: Store, member: Staff, rma_reference: str) -> Shipment:
    reference = _reference(rma_reference, "rma_reference")
    try:
        with write_transaction():
            shipment = Shipment.create(
                store=store,
                rma_reference=reference,
                created_by=member,
                created_at=clock.now_utc(),
            )
            audit.record("shipment.opened", store=store, staff=member, subject=shipment)
            return shipment
    except IntegrityError as err:
        raise DomainError(
            _("This store already has a shipment under %(ref)s.", ref=reference),
            field="rma_reference",
            status=409,
        ) from err


def shipment_of(store: Store, shipment_id: int) -> Shipment | None:
    return Shipment.select().where((Shipment.id == shipment_id) & (Shipment.store == store)).first()


def shipments(store: Store, limit: int = 50) -> list[Shipment]:
    """The store's shipments, newest first, each with ``unit_count``."""
    return list(
        Shipment.select(Shipment, fn.COUNT(ShipmentUnit.id).alias("unit_count"))
        .join(ShipmentUnit, JOIN.LEFT_OUTER)
        .where(Shipment.store == store)
        .group_by(Shipment.id)
        .order_by(Shipment.id.desc())
        .limit(limit)
    )


def packed(shipment: Shipment) -> list[WaitingUnit]:
    """The units in a shipment, in the order they were packed, with their fault and swap."""
    store = shipment.store
    in_box = ShipmentUnit.select(ShipmentUnit.device).where(ShipmentUnit.shipment == shipment)
    units = _units_with_their_swap(Device.id.in_(in_box))
    today = clock.today_in(store.timezone)
    result = [
        WaitingUnit(
            device=device,
            store=store,
            fault=(swap.unit_state if swap.unit_state else device.fault_code) or "",
            note=device.notes or swap.note or "",
            since=swap.local_date if swap.id else today,
            today=today,
            outcome=swap.outcome or "",
        )
        for device, swap in units
    ]
    result.sort(key=lambda unit: unit.device.serial)
    return result


def _locked_open(store: Store, shipment_id: int) -> Shipment:
    """The store's open shipment, its row locked (PostgreSQL) until the caller commits: a
    unit packed while the box is being shipped would otherwise land in a shipped box without
    being shipped. SQLite's BEGIN IMMEDIATE already queues the two."""
    query = Shipment.select().where((Shipment.id == shipment_id) & (Shipment.store == store))
    shipment = (query.for_update() if is_postgres() else query).first()
    if shipment is None:
        raise DomainError(_("No such shipment in this store."), status=404)
    if shipment.status != "open":
        raise DomainError(_("This shipment has left the store: nothing more goes in."))
    return shipment


def pack(store: Store, member: Staff, shipment_id: int, raw_serial: str) -> Device:
    """Scan one waiting unit into an open shipment."""
    try:
        with write_transaction():
            shipment = _locked_open(store, shipment_id)
            device = unit_life.scanned_unit(raw_serial)
            if device.store_id != store.id or device.status not in policy.WAITING_FOR_MAKER:
                raise DomainError(
                    _(
                        "Serial %(serial)s is not waiting to go back to the maker here "
                        "(it is %(status)s).",
                        serial=device.serial,
                        status=status_label(device.status),
                    ),
                    field="serial",
                    status=409,
                )
            if ShipmentUnit.select().where(ShipmentUnit.device == device).exists():
                raise _already_packed(device)
            ShipmentUnit.create(
                shipment=shipment, device=device, packed_by=member, packed_at=clock.now_utc()
            )
            unit_life.record(
                [device.id],
                "packed",
                store=store,
                staff=member,
                status=device.status,
                subject=shipment,
                reference=shipment.rma_reference,
            )
            audit.record(
                "shipment.packed", store=store, staff=member, subject=shipment, device=device.id
            )
            return device
    except IntegrityError as err:
        # Another tablet packed it a moment ago (into this shipment or another).
        raise _already_packed(None) from err


def _already_packed(device: Device | None) -> DomainError:
    if device is None:
        message = _("That unit was just packed on another tablet.")
    else:
        message = _("Serial %(serial)s is already in a shipment.", serial=device.serial)
    return DomainError(message, field="serial", status=409)


def unpack(store: Store, member: Staff, shipment_id: int, device_id: int) -> None:
    with write_transaction():
        shipment = _locked_open(store, shipment_id)
        device = Device.get_or_none(Device.id == device_id)
        removed = (
            ShipmentUnit.delete()
            .where((ShipmentUnit.shipment == shipment) & (ShipmentUnit.device == device_id))
            .execute()
        )
        if device is None or removed != 1:
            raise DomainError(_("That unit is not in this shipment."), status=404)
        unit_life.record(
            [device.id],
            "unpacked",
            store=store,
            staff=member,
            status=device.status,
            subject=shipment,
            reference=shipment.rma_reference,
        )
        audit.record(
            "shipment.unpacked", store=store, staff=member, subject=shipment, device=device.id
        )


def ship(store: Store, member: Staff, shipment_id: int) -> Shipment:
    """The box leaves: its units are shipped to the maker."""
    with write_transaction():
        shipment = _locked_open(store, shipment_id)
        units = [row.device_id for row in shipment.units]
        if not units:
            raise DomainError(_("Scan at least one unit into the shipment first."))
        now = clock.now_utc()
        left = (
            Shipment.update(status="shipped", shipped_by=member, shipped_at=now)
            .where((Shipment.id == shipment.id) & (Shipment.status == "open"))
            .execute()
        )
        moved = (
            Device.update(status="shipped")
            .where(Device.id.in_(units) & Device.status.in_(policy.WAITING_FOR_MAKER))
            .execute()
        )
        if left != 1 or moved != len(units):
            raise DomainError(_("This shipment was just changed on another tablet."))
        unit_life.record(
            units,
            "shipped",
            store=store,
            staff=member,
            status="shipped",
            subject=shipment,
            reference=shipment.rma_reference,
            at=now,
        )
        audit.record("shipment.shipped", store=store, staff=member, subject=shipment, units=units)
    return Shipment.get_by_id(shipment.id)


def credit(store: Store, member: Staff, shipment_id: int, credit_reference: str) -> Shipment:
    """The maker credited the shipment: its reference is kept, the units' lives end here."""
    reference = _reference(credit_reference, "credit_reference")
    with write_transaction():
        shipment = shipment_of(store, shipment_id)
        if shipment is None:
            raise DomainError(_("No such shipment in this store."), status=404)
        now = clock.now_utc()
        credited = (
            Shipment.update(
                status="credited", credited_by=member, credited_at=now, credit_reference=reference
            )
            .where((Shipment.id == shipment.id) & (Shipment.status == "shipped"))
            .execute()
        )
        if credited != 1:
            raise DomainError(
                _("Only a shipped shipment can be credited, and only once."),
                field="credit_reference",
                status=409,
            )
        units = [row.device_id for row in shipment.units]
        unit_life.record(
            units,
            "credited",
            store=store,
            staff=member,
            status="shipped",
            subject=shipment,
            reference=reference,
            at=now,
        )
        audit.record(
            "shipment.credited", store=store, staff=member, subject=shipment, units=len(units)
        )
    return Shipment.get_by_id(shipment.id)
