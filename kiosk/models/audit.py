"""The audit log and the shared counters behind rate limits."""

from __future__ import annotations

from peewee import AutoField, CharField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, UTCDateTimeField
from .customers import Customer
from .store import Staff, Store


class AuditEvent(BaseModel):
    id = AutoField()
    created_at = UTCDateTimeField()
    action = CharField(max_length=48)
    store = ForeignKeyField(Store, null=True, on_delete="SET NULL")
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    subject_type = CharField(max_length=32, default="")
    subject_id = IntegerField(null=True)
    details = TextField(default="{}")  # JSON; never personal data beyond ids

    class Meta:
        indexes = ((("store", "created_at"), False), (("action", "created_at"), False))


class RateLimitHit(BaseModel):
    """Attempts per key and fixed window, shared by every worker and host."""

    id = AutoField()
    key = CharField(max_length=200)
    window_start = UTCDateTimeField()
    hits = IntegerField(default=0)

    class Meta:
        indexes = ((("key", "window_start"), True),)
