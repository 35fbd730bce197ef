"""Stock moving between stores: prepared by scanning, sent, received by scanning, or cancelled.

While a transfer is on the road its units are ``in_transit``: sellable nowhere. A unit is on
the road in one transfer at a time: sending moves it from ``in_stock`` with a conditional
update, and a partial unique index on the units in state ``sent`` backs that up.
"""

from __future__ import annotations

from flask_babel import gettext as _
from peewee import JOIN, IntegrityError, fn

from .. import clock, policy
from ..db import is_postgres, write_transaction
from ..formatting import status_label
from ..models import (
    Device,
    Product,
    Staff,
    StockLevel,
    Store,
    Transfer,
    TransferLine,
    TransferUnit,
)
from . import DomainError, audit, unit_life

MAX_QUANTITY = 999


def transfer_of(store: Store, transfer_id: int) -> Transfer | None:
    """A transfer this store sends or receives, with both stores."""
    To = Store.alias()
    return (
        Transfer.select(Transfer, Store, To)
        .join(Store, on=(Transfer.from_store == Store.id))
        .switch(Transfer)
        .join(To, on=(Transfer.to_store == To.id), attr="to_store")
        .where(
            (Transfer.id == transfer_id)
            & ((Transfer.from_store == store) | (Transfer.to_store == store))
        )
        .first()
    )


def transfers(store: Store, limit: int = 50) -> list[Transfer]:
    """Transfers from and to this store, open ones first, each with ``unit_count``."""
    To = Store.alias()
    return list(
        Transfer.select(Transfer, Store, To, fn.COUNT(TransferUnit.id).alias("unit_count"))
        .join(Store, on=(Transfer.from_store == Store.id))
        .switch(Transfer)
        .join(To, on=(Transfer.to_store == To.id), attr="to_store")
        .switch(Transfer)
        .join(
            TransferUnit,
            JOIN.LEFT_OUTER,
            on=(
                (TransferUnit.transfer == Transfer.id)
                & TransferUnit.state.in_(("draft", "sent", "received", "missing"))
            ),
        )
        .where((Transfer.from_store == store) | (Transfer.to_store == store))
        .group_by(Transfer.id, Store.id, To.id)
        .order_by(Transfer.status.in_(("received", "cancelled")), Transfer.id.desc())
        .limit(limit)
    )


def units_of(transfer: Transfer) -> list[TransferUnit]:
    return list(
        TransferUnit.select(TransferUnit, Device, Product)
        .join(Device)
        .join(Product)
        .where(TransferUnit.transfer == transfer)
        .order_by(TransferUnit.state, Device.serial)
    )


def lines_of(transfer: Transfer) -> list[TransferLine]:
    return list(
        TransferLine.select(TransferLine, Product)
        .join(Product)
        .where(TransferLine.transfer == transfer)
        .order_by(Product.name)
    )


def start(store: Store, member: Staff, to_store_id: int | None) -> Transfer:
    destination = Store.get_or_none(Store.id == to_store_id) if to_store_id else None
    if destination is None or destination.id == store.id:
        raise DomainError(_("Choose the store to send to."), field="to_store", status=422)
    with write_transaction():
        transfer = Transfer.create(
            from_store=store, to_store=destination, created_by=member, created_at=clock.now_utc()
        )
        audit.record("transfer.started", store=store, staff=member, subject=transfer)
        return transfer


def _locked(store: Store, transfer_id: int) -> Transfer | None:
    """``transfer_of`` with the transfer's row locked (PostgreSQL) until the caller commits.

    Every change to a transfer reads it through here, so two tablets on one transfer take
    turns: a unit scanned into the box while it is being sent, or received while the
    receipt is being closed, would otherwise be judged on what was read before the other
    committed (a unit marked sent that never left the shelf, or 'lost' once it was back in
    stock). SQLite's BEGIN IMMEDIATE already queues them."""
    if is_postgres():
        locked = Transfer.select(Transfer.id).where(Transfer.id == transfer_id).for_update()
        if locked.first() is None:
            return None
    return transfer_of(store, transfer_id)


def _draft(store: Store, transfer_id: int) -> Transfer:
    transfer = _locked(store, transfer_id)
    if transfer is None or transfer.from_store_id != store.id:
        raise DomainError(_("No such transfer from this store."), status=404)
    if transfer.status != "draft":
        raise DomainError(_("This transfer has been sent: nothing more goes in."))
    return transfer


def add_unit(store: Store, member: Staff, transfer_id: int, raw_serial: str) -> Device:
    """Scan a unit from this store's shelf into the box."""
    try:
        with write_transaction():
            transfer = _draft(store, transfer_id)
            device = unit_life.scanned_unit(raw_serial)
            if device.store_id != store.id or device.status != "in_stock":
                raise DomainError(
                    _(
                        "Serial %(serial)s is not on this store's shelf (it is %(status)s).",
                        serial=device.serial,
                        status=status_label(device.status),
                    ),
                    field="serial",
                    status=409,
                )
            TransferUnit.create(
                transfer=transfer, device=device, state="draft", updated_at=clock.now_utc()
            )
            return device
    except IntegrityError as err:
        raise DomainError(
            _("That unit is already on this transfer."), field="serial", status=409
        ) from err


def remove_unit(store: Store, transfer_id: int, device_id: int) -> None:
    with write_transaction():
        transfer = _draft(store, transfer_id)
        TransferUnit.delete().where(
            (TransferUnit.transfer == transfer) & (TransferUnit.device == device_id)
        ).execute()


def add_items(store: Store, transfer_id: int, product_id: int | None, quantity: int | None) -> None:
    """Items without a serial: how many go in the box (scanned again, the count adds up)."""
    product = Product.get_or_none(Product.id == product_id) if product_id else None
    if product is None or product.kind == "device":
        raise DomainError(_("Choose an item without a serial."), field="product_id", status=422)
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(
            _("A quantity from 1 to %(max)d.", max=MAX_QUANTITY), field="quantity", status=422
        )
    with write_transaction():
        transfer = _draft(store, transfer_id)
        line = TransferLine.get_or_none(
            (TransferLine.transfer == transfer) & (TransferLine.product == product)
        )
        if line is None:
            TransferLine.create(transfer=transfer, product=product, quantity=quantity)
        elif line.quantity + quantity > MAX_QUANTITY:
            raise DomainError(
                _("A quantity from 1 to %(max)d.", max=MAX_QUANTITY), field="quantity", status=422
            )
        else:
            line.quantity += quantity
            line.save()


def _stock(store: Store | int, product: Product | int, change: int) -> bool:
    """Move a stock level by ``change``; False when it would go below zero."""
    if change < 0:
        return (
            StockLevel.update(quantity=StockLevel.quantity + change)
            .where(
                (StockLevel.store == store)
                & (StockLevel.product == product)
                & (StockLevel.quantity >= -change)
            )
            .execute()
            == 1
        )
    added = (
        StockLevel.update(quantity=StockLevel.quantity + change)
        .where((StockLevel.store == store) & (StockLevel.product == product))
        .execute()
    )
    if not added:
        StockLevel.create(store=store, product=product, quantity=change)
    return True


def send(store: Store, member: Staff, transfer_id: int) -> Transfer:
    """The box leaves: its units go in transit, its items leave this store's stock."""
    try:
        with write_transaction():
            transfer = _draft(store, transfer_id)
            units = units_of(transfer)
            lines = lines_of(transfer)
            if not units and not lines:
                raise DomainError(_("Scan at least one unit or add items first."))
            now = clock.now_utc()
            for row in units:
                moved = (
                    Device.update(status="in_transit")
                    .where(
                        (Device.id == row.device_id)
                        & (Device.store == store)
                        & (Device.status == "in_stock")
                    )
                    .execute()
                )
                if moved != 1:
                    raise DomainError(
                        _(
                            "Serial %(serial)s is no longer on this store's shelf: "
                            "take it off the transfer.",
                            serial=row.device.serial,
                        )
                    )
            TransferUnit.update(state="sent", updated_at=now).where(
                (TransferUnit.transfer == transfer) & (TransferUnit.state == "draft")
            ).execute()
            for line in lines:
                if not _stock(store, line.product_id, -line.quantity):
                    raise DomainError(
                        _(
                            "The stock count has fewer than %(n)d of %(name)s.",
                            n=line.quantity,
                            name=line.product.name,
                        )
                    )
            sent = (
                Transfer.update(status="in_transit", sent_by=member, sent_at=now)
                .where((Transfer.id == transfer.id) & (Transfer.status == "draft"))
                .execute()
            )
            if sent != 1:
                raise DomainError(_("This transfer was just sent on another tablet."))
            unit_life.record(
                [row.device_id for row in units],
                "transfer_sent",
                store=store,
                staff=member,
                status="in_transit",
                subject=transfer,
                reference=transfer.to_store.code,
                at=now,
            )
            audit.record(
                "transfer.sent",
                store=store,
                staff=member,
                subject=transfer,
                to_store=transfer.to_store_id,
                units=[row.device_id for row in units],
                items={line.product_id: line.quantity for line in lines},
            )
    except IntegrityError as err:
        raise DomainError(_("A unit of this transfer was just sent on another tablet.")) from err
    return transfer_of(store, transfer.id)


def _incoming(store: Store, transfer_id: int) -> Transfer:
    transfer = _locked(store, transfer_id)
    if transfer is None or transfer.to_store_id != store.id:
        raise DomainError(_("No such transfer to this store."), status=404)
    if transfer.status != "in_transit":
        raise DomainError(_("This transfer is not on its way here."))
    return transfer


def receive_unit(store: Store, member: Staff, transfer_id: int, raw_serial: str) -> TransferUnit:
    """A unit out of the box: on the transfer, it is received; not on it, it is an extra."""
    with write_transaction():
        transfer = _incoming(store, transfer_id)
        device = unit_life.scanned_unit(raw_serial)
        row = TransferUnit.get_or_none(
            (TransferUnit.transfer == transfer) & (TransferUnit.device == device)
        )
        now = clock.now_utc()
        if row is not None and row.state != "sent":
            raise DomainError(
                _("Serial %(serial)s is already received.", serial=device.serial),
                field="serial",
                status=409,
            )
        if row is not None:
            moved = (
                Device.update(status="in_stock", store=store)
                .where((Device.id == device.id) & (Device.status == "in_transit"))
                .execute()
            )
            row.state, row.updated_at = "received", now
            reference = ""
        else:
            # In the box but not sent with it: only a unit on some other store's shelf can be.
            if device.status != "in_stock" or device.store_id == store.id:
                raise DomainError(
                    _(
                        "Serial %(serial)s was not sent with this transfer and cannot be "
                        "received here (it is %(status)s).",
                        serial=device.serial,
                        status=status_label(device.status),
                    ),
                    field="serial",
                    status=409,
                )
            moved = (
                Device.update(store=store)
                .where((Device.id == device.id) & (Device.status == "in_stock"))
                .execute()
            )
            row = TransferUnit(transfer=transfer, device=device, state="extra", updated_at=now)
            reference = "extra"
        if moved != 1:
            raise DomainError(_("This unit was just moved on another tablet."), field="serial")
        row.save()
        unit_life.record(
            [device.id],
            "transfer_received",
            store=store,
            staff=member,
            status="in_stock",
            subject=transfer,
            reference=reference,
            at=now,
        )
        return row


def finish(
    store: Store, member: Staff, transfer_id: int, received: dict[int, int]
) -> tuple[list[TransferUnit], list[TransferUnit]]:
    """Close the receipt: units not scanned are missing (lost), items arrive as counted.

    ``received`` maps each item line's id to the quantity that arrived. Returns the missing
    and the extra units.
    """
    with write_transaction():
        transfer = _incoming(store, transfer_id)
        units = units_of(transfer)
        lines = lines_of(transfer)
        for line in lines:
            count = received.get(line.id)
            if count is None or not 0 <= count <= MAX_QUANTITY:
                raise DomainError(
                    _("How many of %(name)s arrived?", name=line.product.name),
                    field=f"line-{line.id}",
                    status=422,
                )
        now = clock.now_utc()
        closed = (
            Transfer.update(status="received", closed_by=member, closed_at=now)
            .where((Transfer.id == transfer.id) & (Transfer.status == "in_transit"))
            .execute()
        )
        if closed != 1:
            raise DomainError(_("This transfer was just closed on another tablet."))
        missing = [row for row in units if row.state == "sent"]
        missing_ids = [row.device_id for row in missing]
        if missing_ids:
            TransferUnit.update(state="missing", updated_at=now).where(
                (TransferUnit.transfer == transfer) & (TransferUnit.state == "sent")
            ).execute()
            Device.update(status="lost").where(
                Device.id.in_(missing_ids) & (Device.status == "in_transit")
            ).execute()
            unit_life.record(
                missing_ids,
                "transfer_received",
                store=store,
                staff=member,
                status="lost",
                subject=transfer,
                reference="missing",
                at=now,
            )
        for line in lines:
            line.received = received[line.id]
            line.save()
            if line.received:
                _stock(store, line.product_id, line.received)
        extra = [row for row in units if row.state == "extra"]
        audit.record(
            "transfer.received",
            store=store,
            staff=member,
            subject=transfer,
            missing=missing_ids,
            extra=[row.device_id for row in extra],
            items={line.product_id: [line.quantity, line.received] for line in lines},
        )
    return missing, extra


def cancel(store: Store, member: Staff, transfer_id: int) -> None:
    """Call a transfer back before anything of it was received: all returns to the sender."""
    with write_transaction():
        transfer = _locked(store, transfer_id)
        if transfer is None or transfer.from_store_id != store.id:
            raise DomainError(_("No such transfer from this store."), status=404)
        if transfer.status not in ("draft", "in_transit"):
            raise DomainError(_("A received or cancelled transfer cannot be cancelled."))
        units = units_of(transfer)
        if any(row.state in ("received", "extra") for row in units):
            raise DomainError(_("Part of this transfer has been received: it cannot be cancelled."))
        now = clock.now_utc()
        was = transfer.status
        cancelled = (
            Transfer.update(status="cancelled", closed_by=member, closed_at=now)
            .where((Transfer.id == transfer.id) & (Transfer.status == was))
            .execute()
        )
        if cancelled != 1:
            raise DomainError(_("This transfer was just changed on another tablet."))
        travelling = [row.device_id for row in units if row.state == "sent"]
        TransferUnit.update(state="cancelled", updated_at=now).where(
            TransferUnit.transfer == transfer
        ).execute()
        if travelling:
            Device.update(status="in_stock").where(
                Device.id.in_(travelling) & (Device.status == "in_transit")
            ).execute()
            unit_life.record(
                travelling,
                "transfer_cancelled",
                store=store,
                staff=member,
                status="in_stock",
                subject=transfer,
                at=now,
            )
        if was == "in_transit":
            for line in lines_of(transfer):
                _stock(store, line.product_id, line.quantity)
        audit.record(
            "transfer.cancelled", store=store, staff=member, subject=transfer, units=travelling
        )


def compare(transfer: Transfer) -> tuple[list[int], list[int]]:
    """(sent but not received yet, received but not sent) device ids."""
    units = units_of(transfer)
    sent = [row.device_id for row in units if row.state in ("sent", "received", "missing")]
    seen = [row.device_id for row in units if row.state in ("received", "extra")]
    return policy.compare_units(sent, seen)
