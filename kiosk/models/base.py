"""The base model and the field types every table shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from peewee import DateTimeField, Model

from ..extensions import db


class UTCDateTimeField(DateTimeField):
    """Aware UTC datetimes in Python, plain UTC timestamps in the database.

    Both SQLite and PostgreSQL then store the same thing, and nothing ever
    compares a naive time with an aware one.
    """

    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC field")
            value = value.astimezone(UTC).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value: Any) -> Any:
        if isinstance(value, str):
            # SQLite hands back text; Peewee would try strptime formats in turn (~5 us a value,
            # tens of values a cart), ISO parsing is ~50 times faster.
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                value = super().python_value(value)
        else:
            value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False
