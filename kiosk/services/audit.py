"""Writing the audit log: every sensitive action leaves one event."""

from __future__ import annotations

import json
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
        store=store,
        staff=staff,
        customer=customer,
        subject_type=type(subject).__name__.lower() if subject is not None else "",
        subject_id=getattr(subject, "id", None),
        details=json.dumps(details, default=str, sort_keys=True),
    )
    return _WRITE_EVENT.insert(event)


# Nearly every tap that matters writes one: composed once (db.Prepared).
_WRITE_EVENT = Prepared.insert_of(
    AuditEvent,
    "created_at",
    "action",
    "store",
    "staff",
    "customer",
    "subject_type",
    "subject_id",
    "details",
)
