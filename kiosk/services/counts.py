"""Stock counts: scan a store's shelf of serial units, then settle what differs.

Expected is what the database says is on the shelf *at the close*, not at the start: a unit
sold (or sent away) while the count is open is no longer expected, so it is not missing.
The manager gives a reason for each missing unit; lost and damaged units are written off.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from peewee import JOIN, Expression, IntegrityError

from .. import clock, policy
from ..db import is_postgres, write_transaction
from ..models import Device, Product, Staff, StockCount, StockCountUnit, Store
from . import DomainError, audit, unit_life


@dataclass(frozen=True)
class Differences:
    scanned: list[Device]
    missing: list[Device]  # expected on the shelf now, not scanned
    unexpected: list[Device]  # scanned, not expected on this shelf


def open_count(store: Store) -> StockCount | None:
    return (
        StockCount.select(StockCount, Product)
        .join(Product, JOIN.LEFT_OUTER)
        .where((StockCount.store == store) & (StockCount.status == "open"))
        .first()
    )


def count_of(store: Store, count_id: int) -> StockCount | None:
    return (
        StockCount.select(StockCount, Product)
        .join(Product, JOIN.LEFT_OUTER)
        .where((StockCount.id == count_id) & (StockCount.store == store))
        .first()
    )


def recent(store: Store, limit: int = 20) -> list[StockCount]:
    return list(
        StockCount.select(StockCount, Product)
        .join(Product, JOIN.LEFT_OUTER)
        .where(StockCount.store == store)
        .order_by(StockCount.id.desc())
        .limit(limit)
    )


def start(store: Store, member: Staff, product_id: int | None) -> StockCount:
    product = None
    if product_id:
        product = Product.get_or_none((Product.id == product_id) & (Product.kind == "device"))
        if product is None:
            raise DomainError(_("Choose a device model, or all."), field="product_id", status=422)
    try:
        with write_transaction():
            count = StockCount.create(
                store=store, product=product, started_by=member, started_at=clock.now_utc()
            )
            audit.record("stock_count.started", store=store, staff=member, subject=count)
            return count
    except IntegrityError as err:
        raise DomainError(
            _("A count is already open in this store: finish it first."),
            field="product_id",
            status=409,
        ) from err


def _open(store: Store, count_id: int) -> StockCount:
    count = count_of(store, count_id)
    if count is None:
        raise DomainError(_("No such count in this store."), status=404)
    if count.status != "open":
        raise DomainError(_("This count is closed."))
    return count


def scan(store: Store, member: Staff, count_id: int, raw_serial: str) -> Device:
    try:
        with write_transaction():
            count = _open(store, count_id)
            device = unit_life.scanned_unit(raw_serial)
            StockCountUnit.create(
                count=count, device=device, scanned_by=member, scanned_at=clock.now_utc()
            )
            return device
    except IntegrityError as err:
        raise DomainError(_("That unit is already counted."), field="serial", status=409) from err


def _on_the_shelf(count: StockCount) -> Expression:
    where = (Device.store == count.store_id) & (Device.status == "in_stock")
    if count.product_id:
        where &= Device.product == count.product_id
    return where


def _expected_now(count: StockCount) -> list[Device]:
    return list(Device.select(Device, Product).join(Product).where(_on_the_shelf(count)))


def _hold_still(count: StockCount) -> None:
    """PostgreSQL: lock the units the close will judge (the shelf and every scanned unit)
    before reading them, so a sale committing meanwhile is either seen by the close or waits
    for it; otherwise its unit would be written off as lost while a customer holds it, and
    its life would say "lost" over "sold". SQLite's BEGIN IMMEDIATE queues writers already."""
    if not is_postgres():
        return
    scanned = StockCountUnit.select(StockCountUnit.device).where(StockCountUnit.count == count)
    list(
        Device.select(Device.id)
        .where(_on_the_shelf(count) | Device.id.in_(scanned))
        .order_by(Device.id)
        .for_update()
    )


def differences(count: StockCount) -> Differences:
    """Scanned, missing and unexpected units, against what is expected right now."""
    scanned = list(
        Device.select(Device, Product)
        .join(Product)
        .switch(Device)
        .join(StockCountUnit)
        .where((StockCountUnit.count == count) & StockCountUnit.scanned_at.is_null(False))
        .order_by(StockCountUnit.id.desc())
    )
    expected = {device.id: device for device in _expected_now(count)}
    missing_ids, unexpected_ids = policy.compare_units(expected, [d.id for d in scanned])
    by_id = {device.id: device for device in scanned}
    return Differences(
        scanned=scanned,
        missing=sorted((expected[i] for i in missing_ids), key=lambda d: d.serial),
        unexpected=sorted((by_id[i] for i in unexpected_ids), key=lambda d: d.serial),
    )


def close(store: Store, member: Staff, count_id: int, reasons: dict[int, str]) -> Differences:
    """Settle the count: a reason for every missing unit, found units back on this shelf.

    ``reasons`` maps a missing unit's id to one of ``policy.COUNT_REASONS``.
    """
    with write_transaction():
        count = _open(store, count_id)
        _hold_still(count)
        found = differences(count)
        for device in found.missing:
            if reasons.get(device.id) not in policy.COUNT_REASONS:
                raise DomainError(
                    _("Say what became of %(serial)s.", serial=device.serial),
                    field=f"reason-{device.id}",
                    status=422,
                )
        now = clock.now_utc()
        closed = (
            StockCount.update(status="closed", closed_by=member, closed_at=now)
            .where((StockCount.id == count.id) & (StockCount.status == "open"))
            .execute()
        )
        if closed != 1:
            raise DomainError(_("This count was just closed on another tablet."))

        def counted(devices: list[Device], status: str, reference: str) -> None:
            unit_life.record(
                [d.id for d in devices],
                "counted",
                store=store,
                staff=member,
                status=status,
                subject=count,
                reference=reference,
                at=now,
            )

        unexpected_ids = {d.id for d in found.unexpected}
        seen = [d for d in found.scanned if d.id not in unexpected_ids]
        StockCountUnit.update(result="counted", status_before="in_stock").where(
            (StockCountUnit.count == count) & StockCountUnit.device.in_([d.id for d in seen] or [0])
        ).execute()
        counted(seen, "in_stock", "counted")
        for reason in policy.COUNT_REASONS:
            units = [d for d in found.missing if reasons[d.id] == reason]
            if not units:
                continue
            status = policy.count_write_off_status(reason)
            if status != "in_stock":
                Device.update(status=status).where(
                    Device.id.in_([d.id for d in units])
                    & (Device.store == store)
                    & (Device.status == "in_stock")
                ).execute()
            StockCountUnit.insert_many(
                [
                    {
                        "count": count,
                        "device": d.id,
                        "result": reason,
                        "status_before": "in_stock",
                    }
                    for d in units
                ]
            ).execute()
            counted(units, status, reason)
        for device in found.unexpected:
            # On this shelf for real: a unit written off as lost, or booked to another
            # store's shelf, is on this one now. Anything else (sold, swapped out, in
            # transit, damaged) is listed for the manager and left as it is.
            back = device.status == "lost" or (
                device.status == "in_stock" and device.store_id != store.id
            )
            StockCountUnit.update(result="unexpected", status_before=device.status).where(
                (StockCountUnit.count == count) & (StockCountUnit.device == device.id)
            ).execute()
            if back:
                Device.update(status="in_stock", store=store).where(
                    (Device.id == device.id) & (Device.status == device.status)
                ).execute()
                counted([device], "in_stock", "found")
        audit.record(
            "stock_count.closed",
            store=store,
            staff=member,
            subject=count,
            counted=len(seen),
            missing={d.id: reasons[d.id] for d in found.missing},
            unexpected=sorted(unexpected_ids),
        )
    return found


def results(count: StockCount) -> list[StockCountUnit]:
    """A closed count's outcome per unit: the differences first, then the units counted."""
    rows = (
        StockCountUnit.select(StockCountUnit, Device, Product)
        .join(Device)
        .join(Product)
        .where(StockCountUnit.count == count)
    )
    return sorted(
        rows, key=lambda row: (row.result == "counted", row.result or "", row.device.serial)
    )
