"""What the load needs to know about the bench database, written as JSON.

``python bench/fixtures.py OUT.json [TABLETS]`` with KIOSK_DATABASE_URL pointing at the
bench database. Only reads: who the tablets sign in as, which in-stock serials each may
scan or sell (no two tablets share one), registered sold units for the swap desk, the
days to ask the manager's report for, the manager who reads it beside the paced tablets,
and the row count of every table.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from kiosk import clock, create_app
from kiosk.demo import CHAIN_STAFF, DEMO_PASSWORD, STAFF
from kiosk.extensions import db
from kiosk.models import Device, Product, Staff, Store

REPORT_DAYS = 28  # the report is asked for each of the last four weeks in turn
DEVICES_PER_TABLET = 200
# Per store: one sold by the page-weight walk, one scanned, the rest sold one at a time.
COMPLETE_PROBES = 30
MEASURE_SERIALS = 2 + COMPLETE_PROBES


def _pin(username: str) -> str:
    """A demo username's PIN, from the generator's own tables."""
    for user, _name, _role, pin, _store in STAFF:
        if user == username:
            return pin
    suffix = username.rsplit(".", 1)[-1]
    return next(pin for name, _display, _role, pin in CHAIN_STAFF if name == suffix)


def _tablets(count: int, rng: random.Random) -> list[dict[str, Any]]:
    stores = list(Store.select().order_by(Store.id))
    people = list(Staff.select().where(Staff.is_active == True).order_by(Staff.id))  # noqa: E712
    # Staff first, then managers and the admin: no two tablets may share a person, as
    # a person has one open cart per store.
    rank = {"staff": 0, "manager": 1, "admin": 2}
    counter = {
        s.id: sorted((p for p in people if p.store_id == s.id), key=lambda p: rank[p.role])
        for s in stores
    }
    managers = {
        s.id: next(p for p in people if p.role == "manager" and p.store_id == s.id) for s in stores
    }
    # Round robin over the stores: the first tablet of every store, then the second, ...
    seats = [
        (store, person)
        for round_ in range(max(len(v) for v in counter.values()))
        for store in stores
        for person in counter[store.id][round_ : round_ + 1]
    ]
    if len(seats) < count:
        raise SystemExit(
            f"bench: {count} tablets need {count} people; the data set has {len(seats)}. "
            "Use more stores (BENCH_STORES) or fewer tablets (BENCH_TABLETS)."
        )
    seats = seats[:count]
    tablets = []
    for store in stores:
        mine = [i for i, (s, _p) in enumerate(seats) if s.id == store.id]
        if not mine:
            continue
        serials = [
            d.serial
            for d in Device.select(Device.serial)
            .where((Device.store == store) & (Device.status == "in_stock"))
            .order_by(Device.id)
        ]
        serials = serials[MEASURE_SERIALS:]  # bench/measure.py's own
        sold = [
            d.id
            for d in Device.select(Device.id)
            .where(
                (Device.store == store)
                & (Device.status == "sold")
                & Device.registration.is_null(False)
            )
            .order_by(Device.id)
        ]
        today = clock.today_in(store.timezone)
        days = [(today - timedelta(days=n)).isoformat() for n in range(1, REPORT_DAYS + 1)]
        for k, index in enumerate(mine):
            own = serials[k :: len(mine)]
            half = len(own) // 4
            manager = managers[store.id]
            tablets.append(
                {
                    "seat": index,
                    "username": seats[index][1].username,
                    "store_id": store.id,
                    "store": store.code,
                    "manager_id": manager.id,
                    "manager_pin": _pin(manager.username),
                    # A quarter to scan and put back, the rest to sell.
                    "scan_serials": own[:half],
                    "sale_serials": own[half:],
                    "devices": rng.sample(sold, min(DEVICES_PER_TABLET, len(sold))),
                    "days": rng.sample(days, len(days)),
                }
            )
    return sorted(tablets, key=lambda t: t["seat"])


def _report(tablets: list[dict[str, Any]]) -> dict[str, Any]:
    """The manager who reads the daily report while the tablets sell: one with no tablet
    (a person has one open cart per store), else the measured store's."""
    seated = {t["username"] for t in tablets}
    managers = Staff.select().where((Staff.role == "manager") & (Staff.is_active == True))  # noqa: E712
    free = [m for m in managers.order_by(Staff.id) if m.username not in seated]
    manager = free[0] if free else Staff.get(Staff.username == _measure()["username"])
    today = clock.today_in(manager.store.timezone)
    days = [(today - timedelta(days=n)).isoformat() for n in range(1, REPORT_DAYS + 1)]
    return {"username": manager.username, "store": manager.store.code, "days": days}


def _measure() -> dict[str, Any]:
    """A manager, in-stock serials and a sold unit of their store, for bench/measure.py."""
    store = Store.get_or_none(Store.code == "LON1") or Store.select().order_by(Store.id).get()
    manager = Staff.get((Staff.store == store) & (Staff.role == "manager"))
    first, second, *more = (
        Device.select()
        .where((Device.store == store) & (Device.status == "in_stock"))
        .order_by(Device.id)
        .limit(MEASURE_SERIALS)
    )
    sold = (
        Device.select()
        .where(
            (Device.store == store) & (Device.status == "sold") & Device.registration.is_null(False)
        )
        .order_by(Device.id.desc())
        .get()
    )
    today = clock.today_in(store.timezone)
    return {
        "username": manager.username,
        "store": store.code,
        "serial": first.serial,  # sold by the page-weight walk
        "probe_serial": second.serial,  # scanned and removed by the probes
        "claim_serials": [d.serial for d in more],  # sold for the claim page's probe
        "device_id": sold.id,
        "device_product_id": Product.get(Product.kind == "device").id,
        "day": (today - timedelta(days=1)).isoformat(),
        "days": [(today - timedelta(days=n)).isoformat() for n in range(1, REPORT_DAYS + 1)],
    }


def main(out: Path, tablets: int) -> None:
    app = create_app()
    rng = random.Random(7)
    with app.app_context(), db.connection_context():
        rows = {
            table: db.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in sorted(db.get_tables())
        }
        seats = _tablets(tablets, rng)
        data = {
            "password": DEMO_PASSWORD,
            "tablets": seats,
            "report": _report(seats),
            "measure": _measure(),
            "rows": rows,
        }
    out.write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 16)
