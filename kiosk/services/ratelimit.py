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
    start = _window_start(clock.now_utc(), window_seconds)
    with write_transaction():
        (
            RateLimitHit.insert(key=key[:200], window_start=start, hits=1)
            .on_conflict(
                conflict_target=[RateLimitHit.key, RateLimitHit.window_start],
                update={RateLimitHit.hits: RateLimitHit.hits + 1},
            )
            .execute()
        )
        hits = (
            RateLimitHit.select(RateLimitHit.hits)
            .where((RateLimitHit.key == key[:200]) & (RateLimitHit.window_start == start))
            .scalar()
        )
    return hits <= limit
