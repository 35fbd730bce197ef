"""Time in one place: "now" in UTC, "today" in a store's time zone.

Tests move time by setting ``app.config["CLOCK_NOW"]`` (an aware datetime);
nothing else in the code calls ``datetime.now()``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def now_utc() -> datetime:
    if has_app_context():
        frozen = current_app.config.get("CLOCK_NOW")
        if frozen is not None:
            return frozen.astimezone(UTC)
    return datetime.now(UTC)


def local_now(tz_name: str, at: datetime | None = None) -> datetime:
    return (at or now_utc()).astimezone(ZoneInfo(tz_name))


def today_in(tz_name: str, at: datetime | None = None) -> date:
    """The calendar date in the store's time zone (for ages, windows and reports)."""
    return local_now(tz_name, at).date()
