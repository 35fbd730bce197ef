"""The life of a unit: one event per step, written with the change it records.

Every service that moves a unit (receives, sells, registers, swaps, returns, packs, ships,
transfers or counts it) calls ``record`` inside its own transaction, so the life and the
unit's status never disagree; "where is this unit" then reads one table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from peewee import JOIN

from .. import clock
from ..models import Device, DeviceEvent, Product, Staff, Store
from . import DomainError


def record(
    devices: Iterable[Device | int],
    event: str,
    *,
    store: Store | int,
    staff: Staff | int | None,
    status: str,
    subject: Any = None,
    reference: str = "",
    at: datetime | None = None,
) -> int:
    """One event for each unit, in the caller's transaction; returns how many were written."""
    when = at or clock.now_utc()
    rows = [
        {
            "device": device,
            "event": event,
            "store": store,
            "staff": staff,
            "status": status,
            "subject_type": type(subject).__name__.lower() if subject is not None else "",
            "subject_id": getattr(subject, "id", None),
            "reference": reference,
            "created_at": when,
        }
        for device in devices
    ]
    if rows:
        DeviceEvent.insert_many(rows).execute()
    return len(rows)


def life_of(device: Device | int) -> list[DeviceEvent]:
    """Every step of one unit, oldest first, with the store and the person of each."""
    return list(
        DeviceEvent.select(DeviceEvent, Store, Staff)
        .join(Store)
        .switch(DeviceEvent)
        .join(Staff, on=(DeviceEvent.staff == Staff.id), join_type=JOIN.LEFT_OUTER)
        .where(DeviceEvent.device == device)
        .order_by(DeviceEvent.created_at, DeviceEvent.id)
    )


def scanned_unit(raw_serial: str, *, field: str = "serial") -> Device:
    """The unit a desk scanned (any store's), with its model; a DomainError at ``field``."""
    from .swaps import typed_serial  # swaps imports this module: import at call time

    serial = typed_serial(raw_serial, field=field)
    device = Device.select(Device, Product).join(Product).where(Device.serial == serial).first()
    if device is None:
        raise DomainError(
            _("No device with serial %(serial)s.", serial=serial), field=field, status=404
        )
    return device
