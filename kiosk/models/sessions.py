"""Signed-in sessions, kept in the database so that signing out ends them for good."""

from __future__ import annotations

from peewee import AutoField, CharField, ForeignKeyField

from .base import BaseModel, UTCDateTimeField
from .customers import Customer
from .store import Staff


class WebSession(BaseModel):
    """One live sign-in: a tablet (with or without a person at it) or a customer's phone.

    The session cookie is signed, not stored, so a copy taken before signing out would
    otherwise keep working. The cookie carries a random key; a request is signed in only
    while a row with that key's hash exists. Signing out, locking and switching delete it.
    """

    id = AutoField()
    key_hash = CharField(max_length=64, unique=True)  # SHA-256 of the cookie's key
    staff = ForeignKeyField(Staff, null=True, on_delete="CASCADE")
    customer = ForeignKeyField(Customer, null=True, on_delete="CASCADE")
    created_at = UTCDateTimeField(index=True)  # stale rows are purged by age
