"""Catalog files an admin uploaded: previewed first, imported later, kept as the record."""

from __future__ import annotations

from peewee import AutoField, BlobField, CharField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, UTCDateTimeField
from .store import Staff


class CatalogImport(BaseModel):
    """The bytes of one uploaded catalog CSV, as they were previewed.

    Kept in the database, not on one host's disk: the preview and the "Import" that follows
    may be served by different workers or hosts. The import reads these bytes again (never a
    second upload), checks their hash and validates them again, so what is written is what
    was previewed. An imported file stays as the record of what changed the catalog.
    """

    id = AutoField()
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    filename = CharField(max_length=200, default="")
    sha256 = CharField(max_length=64)
    content = BlobField()
    created_at = UTCDateTimeField()
    imported_at = UTCDateTimeField(null=True)
    summary = TextField(default="")  # what the import did, as JSON counts
    row_count = IntegerField(default=0)
