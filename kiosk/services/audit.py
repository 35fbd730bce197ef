"""Writing the audit log: every sensitive action leaves one event."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .. import clock
from ..db import Prepared
from ..models import AuditEvent, Customer, Staff, Store


def record(
    action: str,
    *,
    store: Store | int | None = None,
    staff: Staff | int | None = None,
    customer: Customer | int | None = None,
    subject: Any = None,
    **details: Any,
) -> AuditEvent:
    """Write one audit event in the caller's transaction.

    ``details`` must hold ids and codes, never personal data: the log outlives
    an account deletion.
    """
    event = AuditEvent(
        created_at=clock.now_utc(),
        action=action,
        store=_id_of(store),
        staff=_id_of(staff),
        customer=_id_of(customer),
        subject_type=type(subject).__name__.lower() if subject is not None else "",
        subject_id=getattr(subject, "id", None),
        details=json.dumps(details, default=str, sort_keys=True),
    )
    event.id = _WRITE_EVENT.write(**{name: event.__data__[name] for name in _COLUMNS})
    return event


def _id_of(row: Any) -> int | None:
    return getattr(row, "id", row)


_COLUMNS = {
    "created_at": datetime,
    "action": str,
    "store": int,
    "staff": int,
    "customer": int,
    "subject_type": str,
    "subject_id": int,
    "details": str,
}
# Nearly every tap that matters writes one: composed once (db.Prepared).
_WRITE_EVENT = Prepared(lambda **row: AuditEvent.insert(**row), **_COLUMNS)
