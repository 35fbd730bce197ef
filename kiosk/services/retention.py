"""Purging what the spec says we must not keep: old refusals, spent rate-limit counters,
stale sessions, and SMS codes past use (a pending sign-up's name and date of birth among them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from peewee import fn

from .. import clock
from ..db import write_transaction
from ..models import AgeCheck, OneTimeCode, RateLimitHit, Sale, Store
from . import audit, sessions

# Rate-limit rows store only where their window starts, not how long it is. The longest
# window any caller uses is an hour (password reset), so a row that started more than a day
# and an hour ago belongs to a window that ended more than a day ago, whatever its length.
LONGEST_RATE_LIMIT_WINDOW = timedelta(hours=1)
RATE_LIMIT_KEPT_AFTER_WINDOW = timedelta(days=1)
# An expired code's row still lets its page send a new one for the same sign-up for a day.
CODES_KEPT_AFTER_EXPIRY = timedelta(days=1)


@dataclass(frozen=True)
class StorePurge:
    store_code: str
    older_than: date  # refusals of store-local days before this one were removed
    refusals_removed: int


@dataclass(frozen=True)
class PurgeResult:
    stores: list[StorePurge]
    rate_limit_hits_removed: int
    sessions_removed: int = 0
    codes_removed: int = 0


def purge_expired() -> PurgeResult:
    """Delete refusals past each store's retention and rate-limit rows of long-ended windows.

    Each store is purged in its own transaction, with its audit event (counts only), so
    a chain of many stores never holds the write lock for long.
    """
    now = clock.now_utc()
    stores = [_purge_refusals(store, clock.today_in(store.timezone, now)) for store in _stores()]
    with write_transaction():
        hits_removed = (
            RateLimitHit.delete()
            .where(
                RateLimitHit.window_start
                < now - RATE_LIMIT_KEPT_AFTER_WINDOW - LONGEST_RATE_LIMIT_WINDOW
            )
            .execute()
        )
        codes_removed = (
            OneTimeCode.delete()
            .where(OneTimeCode.expires_at < now - CODES_KEPT_AFTER_EXPIRY)
            .execute()
        )
    return PurgeResult(
        stores=stores,
        rate_limit_hits_removed=hits_removed,
        codes_removed=codes_removed,
        sessions_removed=sessions.purge_stale(),
    )


def _stores() -> list[Store]:
    return list(
        Store.select(Store.id, Store.code, Store.timezone, Store.refusal_retention_days).order_by(
            Store.code
        )
    )


def _purge_refusals(store: Store, today: date) -> StorePurge:
    # A negative retention would reach into the future and remove today's refusals too; a
    # retention longer than the calendar keeps everything rather than overflowing.
    days = min(max(store.refusal_retention_days, 0), (today - date.min).days)
    older_than = today - timedelta(days=days)
    # Only passed checks are attached to a sale, but a sale's check is evidence for that
    # sale (and the foreign key restricts the delete), so it stays whatever its result.
    on_a_sale = Sale.select(Sale.id).where(Sale.age_check == AgeCheck.id)
    with write_transaction():
        removed = (
            AgeCheck.delete()
            .where(
                (AgeCheck.store == store.id)
                & (AgeCheck.result == "refused")
                & (AgeCheck.local_date < older_than)
                & ~fn.EXISTS(on_a_sale)
            )
            .execute()
        )
        if removed:
            audit.record(
                "age_check.purged", store=store.id, refusals=removed, older_than=older_than
            )
    return StorePurge(store_code=store.code, older_than=older_than, refusals_removed=removed)
