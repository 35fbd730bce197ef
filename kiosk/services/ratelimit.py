"""Fixed-window attempt counters in the database, shared by every worker and host."""

from __future__ import annotations

from datetime import datetime

from .. import clock
from ..db import write_transaction
from ..models import RateLimitHit


def _window_start(now: datetime, window_seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=now.tzinfo)


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt for ``key``; True while the key is within its limit.

    Counted in its own transaction and never reset by a success, so a guesser
    gains nothing from a lucky hit in between.
    """
    return within_limits({key: limit}, window_seconds=window_seconds)


def within_limits(limits: dict[str, int], *, window_seconds: int) -> bool:
    """Count one attempt for each key (key -> its limit) in one transaction, in order.

    True while every key is within its limit. Each key costs one upsert that returns
    the new count, so a page guarded by two keys takes the write lock once. The first key
    over its limit ends the count: a client already refused (its key comes first) adds no
    row for each new code it tries, so a guesser cannot fill the table.
    """
    start = _window_start(clock.now_utc(), window_seconds)
    with write_transaction():
        for key, limit in limits.items():
            # Read to the end: SQLite finishes a RETURNING statement only when stepped out.
            [(hits,)] = list(
                RateLimitHit.insert(key=key[:200], window_start=start, hits=1)
                .on_conflict(
                    conflict_target=[RateLimitHit.key, RateLimitHit.window_start],
                    update={RateLimitHit.hits: RateLimitHit.hits + 1},
                )
                .returning(RateLimitHit.hits)
                .tuples()
                .execute()
            )
            if hits > limit:
                return False
    return True
