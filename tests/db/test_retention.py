"""Refusals leave after each store's retention, in its own time zone; spent rate limits go too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import Flask

from kiosk.models import AgeCheck, AuditEvent, RateLimitHit, Sale, Staff, Store
from kiosk.services import ratelimit
from kiosk.services.retention import PurgeResult, purge_expired
from tests import factories as make

# 23:30 in London is already the next day in Stockholm.
NOW = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
STOCKHOLM_TODAY = date(2026, 3, 11)
LONDON_TODAY = date(2026, 3, 10)


@pytest.fixture
def two_stores(shop):  # noqa: ANN201
    london = make.store(name="London", timezone="Europe/London", code="LON9")
    london_manager = make.staff(london, role="manager", username="lena", display_name="Lena")
    return SimpleNamespace(stockholm=shop.store, london=london, london_manager=london_manager)


def _check(store: Store, seller: Staff, day: date, result: str = "refused") -> AgeCheck:
    return AgeCheck.create(
        store=store,
        staff=seller,
        method="document",
        document_type="passport",
        result=result,
        refusal_reason="under_age" if result == "refused" else None,
        required_age=18,
        created_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12),
        local_date=day,
    )


def _purge(app: Flask, now: datetime = NOW) -> PurgeResult:
    app.config["CLOCK_NOW"] = now
    with app.app_context():
        return purge_expired()


def _remaining(store: Store) -> set[date]:
    return {c.local_date for c in AgeCheck.select().where(AgeCheck.store == store)}


def test_refusal_one_day_past_retention_goes_boundary_and_recent_stay(app: Flask, shop) -> None:
    Store.update(refusal_retention_days=730).where(Store.id == shop.store.id).execute()
    boundary = STOCKHOLM_TODAY - timedelta(days=730)
    for day in (boundary - timedelta(days=1), boundary, STOCKHOLM_TODAY - timedelta(days=3)):
        _check(shop.store, shop.erik, day)

    result = _purge(app)

    assert _remaining(shop.store) == {boundary, STOCKHOLM_TODAY - timedelta(days=3)}
    [purged] = result.stores
    assert (purged.store_code, purged.older_than, purged.refusals_removed) == (
        shop.store.code,
        boundary,
        1,
    )
    event = AuditEvent.get(AuditEvent.action == "age_check.purged")
    assert event.store_id == shop.store.id
    assert '"refusals": 1' in event.details


def test_passed_checks_stay_whatever_their_age(app: Flask, shop) -> None:
    old = STOCKHOLM_TODAY - timedelta(days=3650)
    _check(shop.store, shop.erik, old, result="passed")
    _check(shop.store, shop.erik, old, result="refused")

    _purge(app)

    left = AgeCheck.select().where(AgeCheck.store == shop.store)
    assert [c.result for c in left] == ["passed"]


def test_a_refusal_a_sale_points_at_stays_instead_of_breaking_the_purge(app: Flask, shop) -> None:
    old = STOCKHOLM_TODAY - timedelta(days=3650)
    on_sale = _check(shop.store, shop.erik, old)
    Sale.create(
        store=shop.store,
        staff=shop.erik,
        idempotency_key="sale-with-check",
        age_check=on_sale,
        tender="card",
        subtotal=0,
        total=0,
        vat_total=0,
        created_at=NOW,
        local_date=old,
    )
    _check(shop.store, shop.erik, old)

    [purged] = _purge(app).stores

    assert purged.refusals_removed == 1
    assert [c.id for c in AgeCheck.select()] == [on_sale.id]


def test_each_store_counts_days_in_its_own_time_zone(app: Flask, two_stores) -> None:
    Store.update(refusal_retention_days=30).execute()
    # Stockholm's day is already the 11th, so the 9 February is past 30 days there;
    # London is still on the 10th, so it is London's boundary day.
    day = date(2026, 2, 8)
    _check(two_stores.stockholm, two_stores.london_manager, day)
    _check(two_stores.london, two_stores.london_manager, day)

    result = _purge(app)

    assert _remaining(two_stores.stockholm) == set()
    assert _remaining(two_stores.london) == {day}
    assert {s.store_code: s.older_than for s in result.stores} == {
        two_stores.stockholm.code: STOCKHOLM_TODAY - timedelta(days=30),
        two_stores.london.code: LONDON_TODAY - timedelta(days=30),
    }


def test_each_store_keeps_refusals_for_its_own_retention(app: Flask, two_stores) -> None:
    Store.update(refusal_retention_days=60).where(Store.id == two_stores.stockholm.id).execute()
    Store.update(refusal_retention_days=10).where(Store.id == two_stores.london.id).execute()
    day = date(2026, 2, 20)
    _check(two_stores.stockholm, two_stores.london_manager, day)
    _check(two_stores.london, two_stores.london_manager, day)

    _purge(app)

    assert _remaining(two_stores.stockholm) == {day}
    assert _remaining(two_stores.london) == set()
    purged = AuditEvent.select().where(AuditEvent.action == "age_check.purged")
    assert [e.store_id for e in purged] == [two_stores.london.id]


def test_purge_command_prints_what_it_removed_per_store(app: Flask, two_stores) -> None:
    Store.update(refusal_retention_days=30).execute()
    for day in (date(2026, 1, 1), date(2026, 1, 2), date(2026, 3, 1)):
        _check(two_stores.stockholm, two_stores.london_manager, day)
    _check(two_stores.london, two_stores.london_manager, date(2026, 3, 1))
    RateLimitHit.create(key="pw:client:old", window_start=NOW - timedelta(days=3), hits=4)
    app.config["CLOCK_NOW"] = NOW

    result = app.test_cli_runner().invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"{two_stores.stockholm.code}: 2 refusals older than 2026-02-09 removed" in lines
    assert f"{two_stores.london.code}: 0 refusals older than 2026-02-08 removed" in lines
    assert "1 rate-limit entries removed" in lines
    assert _remaining(two_stores.stockholm) == {date(2026, 3, 1)}
    assert _remaining(two_stores.london) == {date(2026, 3, 1)}
    assert RateLimitHit.select().count() == 0


def test_rate_limit_rows_go_a_day_after_their_window_ends(app: Flask) -> None:
    started = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    app.config["CLOCK_NOW"] = started
    with app.app_context():
        ratelimit.hit("reset:client:198.51.100.7", limit=10, window_seconds=3600)
        ratelimit.hit("pw:client:198.51.100.7", limit=10, window_seconds=300)
    # The hour-long window ended at 13:00; a day later it may go, not a minute before.
    next_day = datetime(2026, 3, 11, 12, 59, tzinfo=UTC)
    app.config["CLOCK_NOW"] = next_day
    with app.app_context():
        ratelimit.hit("pw:client:198.51.100.7", limit=10, window_seconds=300)

    assert _purge(app, next_day).rate_limit_hits_removed == 0
    assert RateLimitHit.select().count() == 3

    later = datetime(2026, 3, 11, 13, 1, tzinfo=UTC)
    assert _purge(app, later).rate_limit_hits_removed == 2
    [current] = RateLimitHit.select()
    assert current.window_start == datetime(2026, 3, 11, 12, 55, tzinfo=UTC)


def test_purge_removes_sessions_of_browsers_that_never_signed_out(app: Flask, shop) -> None:
    from kiosk.models import WebSession
    from kiosk.services import sessions

    app.config["CLOCK_NOW"] = NOW - sessions.STALE_AFTER - timedelta(minutes=1)
    with app.app_context():
        sessions.start(staff=shop.erik)
    app.config["CLOCK_NOW"] = NOW - sessions.STALE_AFTER + timedelta(minutes=1)
    with app.app_context():
        kept = sessions.start(staff=shop.sara)
    app.config["CLOCK_NOW"] = NOW

    result = app.test_cli_runner().invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    assert "1 stale sessions removed" in result.output.splitlines()
    [left] = WebSession.select()
    assert left.staff_id == shop.sara.id
    with app.app_context():
        assert sessions.live_staff(kept, shop.sara.id) is not None
