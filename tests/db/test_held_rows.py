"""Two writers interleaved on PostgreSQL, on purpose and every time.

Another connection changes a unit and holds its row lock uncommitted; the service under
test runs in a thread until PostgreSQL shows it waiting for that lock; then the other
connection commits. Read committed lets a statement that read before the commit act after
it: the service must still leave each unit's status and its life (device_event) agreeing,
which `flask --app kiosk check` proves. SQLite's BEGIN IMMEDIATE queues whole writers, so
there is no such interleaving to provoke there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg2
import pytest
from flask import Flask

from kiosk import clock
from kiosk.db import is_postgres
from kiosk.extensions import db
from kiosk.models import (
    Device,
    DeviceEvent,
    Shipment,
    ShipmentUnit,
    StockCount,
    StockCountUnit,
    Transfer,
    TransferUnit,
)
from kiosk.services import DomainError, counts, returns, transfers
from kiosk.services.integrity import run_checks
from tests import factories as make
from tests.conftest import MIGRATIONS

LIFE = "unit_life_matches_status"


@pytest.fixture
def postgres_only(app: Flask) -> None:
    if not is_postgres():
        pytest.skip("SQLite's BEGIN IMMEDIATE lets no second writer in: nothing to interleave")


@contextmanager
def other_connection(app: Flask) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(app.config["DATABASE_URL"])
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


def lock_waiters(app: Flask) -> int:
    """How many sessions of this database wait for a lock right now."""
    watcher = psycopg2.connect(app.config["DATABASE_URL"])
    watcher.autocommit = True
    try:
        with watcher.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return cur.fetchone()[0]
    finally:
        watcher.close()


def waiting_for_a_lock(app: Flask, timeout: float = 20.0) -> None:
    """Until some session of this database waits for a lock (the service, blocked)."""
    deadline = time.monotonic() + timeout
    while not lock_waiters(app):
        if time.monotonic() > deadline:
            pytest.fail("the service never waited for the held row")
        time.sleep(0.02)


def in_thread(app: Flask, call: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        with app.test_request_context():
            try:
                outcome.append(call())
            except DomainError as err:
                outcome.append(DomainError(err.message, field=err.field, status=err.status))
            except Exception as err:  # noqa: BLE001 - reported by the test
                outcome.append(err)
            finally:
                if not db.is_closed():
                    db.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def sell_in(conn, unit: Device, store_id: int) -> None:  # noqa: ANN001
    """What the counter writes for a unit it sells (its status and its life), uncommitted."""
    with conn.cursor() as cur:
        cur.execute("UPDATE device SET status = 'sold' WHERE id = %s", (unit.id,))
        cur.execute(
            "INSERT INTO device_event (device_id, event, store_id, status, subject_type, "
            "reference, created_at) VALUES (%s, 'sold', %s, 'sold', '', '', %s)",
            (unit.id, store_id, clock.now_utc().replace(tzinfo=None)),
        )


def assert_life_matches_status() -> None:
    """The check's invariant that a unit's last step left it in the status it has (the
    held sale writes no sale line, so the check's sale invariants are not this test's)."""
    [life] = [f for f in run_checks(db.obj, MIGRATIONS).findings if f.name == LIFE]
    assert life.ok, life.rows


def test_a_unit_sold_while_the_count_closes_is_sold_not_written_off(
    app: Flask, shop, postgres_only
) -> None:
    unit = make.device(shop.store, make.product("device"))
    count = StockCount.create(store=shop.store, started_by=shop.manager, started_at=clock.now_utc())

    with other_connection(app) as counter:
        sell_in(counter, unit, shop.store.id)  # the counter's sale, not committed yet
        thread, outcome = in_thread(
            app, lambda: counts.close(shop.store, shop.manager, count.id, {unit.id: "lost"})
        )
        waiting_for_a_lock(app)
        counter.commit()
        thread.join(timeout=30)

    assert not isinstance(outcome[0], Exception), outcome
    assert StockCount.get_by_id(count.id).status == "closed"
    assert Device.get_by_id(unit.id).status == "sold"
    last = DeviceEvent.select().where(DeviceEvent.device == unit).order_by(DeviceEvent.id.desc())
    assert last.first().status == "sold"
    assert not StockCountUnit.select().where(StockCountUnit.result == "lost").exists()
    assert_life_matches_status()


def test_a_unit_packed_while_the_box_ships_goes_with_it_or_stays_out(
    app: Flask, shop, postgres_only
) -> None:
    model = make.product("device")
    first, late = (make.device(shop.store, model, status="replaced_out") for _ in range(2))
    with app.test_request_context():
        box = returns.open_shipment(shop.store, shop.manager, "RMA-77")
        returns.pack(shop.store, shop.manager, box.id, first.serial)

    with other_connection(app) as other:
        with other.cursor() as cur:  # holds the late unit still: its packing waits there
            cur.execute("SELECT id FROM device WHERE id = %s FOR UPDATE", (late.id,))
        packing, packed = in_thread(
            app, lambda: returns.pack(shop.store, shop.erik, box.id, late.serial)
        )
        waiting_for_a_lock(app)
        shipping, shipped = in_thread(app, lambda: returns.ship(shop.store, shop.sara, box.id))
        deadline = time.monotonic() + 20
        while shipping.is_alive() and lock_waiters(app) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        other.commit()
        packing.join(timeout=30)
        shipping.join(timeout=30)

    assert not any(isinstance(r, Exception) and not isinstance(r, DomainError) for r in packed)
    assert not isinstance(shipped[0], Exception), shipped
    assert Shipment.get_by_id(box.id).status == "shipped"
    in_box = [u.device_id for u in ShipmentUnit.select().where(ShipmentUnit.shipment == box)]
    assert {Device.get_by_id(i).status for i in in_box} == {"shipped"}, in_box
    if late.id not in in_box:  # refused because the box had gone: still waiting to go back
        assert isinstance(packed[0], DomainError) and Device.get_by_id(late.id).status == (
            "replaced_out"
        )
    assert_life_matches_status()


def test_a_unit_received_while_the_receipt_closes_is_received_not_lost(
    app: Flask, shop, postgres_only
) -> None:
    sender = make.store(name="Kiosk Göteborg")
    sender_staff = make.staff(sender, username="gote")
    unit = make.device(sender, make.product("device"))
    with app.test_request_context():
        box = transfers.start(sender, sender_staff, shop.store.id)
        transfers.add_unit(sender, sender_staff, box.id, unit.serial)
        transfers.send(sender, sender_staff, box.id)

    with other_connection(app) as other:
        with other.cursor() as cur:  # holds the unit still: its scan waits there
            cur.execute("SELECT id FROM device WHERE id = %s FOR UPDATE", (unit.id,))
        scanning, scanned = in_thread(
            app, lambda: transfers.receive_unit(shop.store, shop.erik, box.id, unit.serial)
        )
        waiting_for_a_lock(app)
        closing, closed = in_thread(
            app, lambda: transfers.finish(shop.store, shop.manager, box.id, {})
        )
        deadline = time.monotonic() + 20
        while closing.is_alive() and lock_waiters(app) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        other.commit()
        scanning.join(timeout=30)
        closing.join(timeout=30)

    for outcome in (scanned, closed):
        assert not isinstance(outcome[0], Exception), outcome
    assert Transfer.get_by_id(box.id).status == "received"
    assert Device.get_by_id(unit.id).status == "in_stock"
    assert TransferUnit.get(TransferUnit.device == unit).state == "received"
    assert_life_matches_status()
