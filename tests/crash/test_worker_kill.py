"""Workers killed mid-sale, the database gone for a moment: no sale lost, none half-written.

Six tablets (two people in each of three stores) sell one unit after another through a
real gunicorn with three workers, every other sale with a counted accessory or pack
besides. A killer SIGKILLs a random worker a few times a second; the master starts a
new one. A tablet whose connection drops, or that gets the "busy" page, taps again as
staff do: the same scan, the same Complete with the same idempotency key.

On PostgreSQL the database also goes away mid-load: it stops taking connections and
loses the ones it has for a few seconds. With ``KIOSK_CRASH_RESTART_POSTGRES=1``
(``make soak``) the whole cluster is restarted once as well, later in the load.

Afterwards, with gunicorn stopped, the database itself is read.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from peewee import JOIN, fn

from kiosk.models import (
    AgeCheck,
    AuditEvent,
    Cart,
    ClaimToken,
    Device,
    Product,
    Sale,
    SaleLine,
    Staff,
    StockLevel,
    Store,
)

from .conftest import (
    CRASH_SECONDS,
    DROPPED,
    GIVE_UP_SECONDS,
    RESTART_POSTGRES,
    Confirmed,
    CrashDatabase,
    Gunicorn,
    Seat,
    Tablet,
    pg_admin,
)

TABLETS_PER_STORE = 2
KILL_PAUSE = (0.15, 0.6)  # seconds between two kills, drawn at random
# ... and at least this many answers to the tablets in between: on a busy machine a
# worker's start costs more than its work, and killing faster would stop all progress.
KILL_EVERY_ANSWERS = 10
OUTAGE_SECONDS = 3.0
# After a database outage, a worker finds its pooled connection dead on first use.
OUTAGE_GRACE = 10.0


class WorkerKiller(threading.Thread):
    """SIGKILLs a random worker of the master at random moments until told to stop."""

    def __init__(self, server: Gunicorn, tablets: list[Tablet], stop: threading.Event) -> None:
        super().__init__(name="worker-killer", daemon=True)
        self.server = server
        self.tablets = tablets
        self.stop = stop
        self.rng = random.Random()
        self.kills: list[float] = []

    def answered(self) -> int:
        return sum(tablet.answered for tablet in self.tablets)

    def run(self) -> None:
        last = 0
        while not self.stop.wait(self.rng.uniform(*KILL_PAUSE)):
            workers = self.server.workers()
            if not workers or self.answered() - last < KILL_EVERY_ANSWERS:
                continue
            try:
                os.kill(self.rng.choice(workers), signal.SIGKILL)
            except ProcessLookupError:
                continue  # it had just gone
            self.kills.append(time.monotonic())
            last = self.answered()


@dataclass
class Outage:
    what: str
    start: float = 0.0
    end: float = 0.0

    def covers(self, when: float) -> bool:
        """While down, and the moment after, when each worker finds its old connection dead."""
        return self.start <= when <= self.end + OUTAGE_GRACE


def _cut_off(database: CrashDatabase) -> None:
    """This database alone refuses new connections and loses its open ones, for a while."""
    pg_admin(f'ALTER DATABASE "{database.name}" ALLOW_CONNECTIONS false')
    try:
        pg_admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{database.name}' AND pid <> pg_backend_pid()"
        )
        time.sleep(OUTAGE_SECONDS)
    finally:
        pg_admin(f'ALTER DATABASE "{database.name}" ALLOW_CONNECTIONS true', timeout=60)


def _restart_cluster() -> None:
    versions = sorted(Path("/etc/postgresql").iterdir(), key=lambda p: int(p.name))
    assert versions, "KIOSK_CRASH_RESTART_POSTGRES=1 but no cluster in /etc/postgresql"
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].name, "main", "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pg_admin("SELECT 1", timeout=60)  # accepting connections again


def _outages(database: CrashDatabase) -> list[tuple[float, Outage]]:
    """When (a fraction of the load) each outage starts, on this database."""
    if database.kind != "postgres":
        return []  # a SQLite file does not go away; tests/http/test_database_down.py
    plan = [(1 / 3, Outage("database cut off"))]
    if RESTART_POSTGRES:
        plan.append((2 / 3, Outage("cluster restart")))
    return plan


def _run_outages(
    database: CrashDatabase, plan: list[tuple[float, Outage]], begin: float, errors: list[str]
) -> None:
    try:
        for fraction, outage in plan:
            time.sleep(max(0.0, begin + fraction * CRASH_SECONDS - time.monotonic()))
            outage.start = time.monotonic()
            _cut_off(database) if outage.what == "database cut off" else _restart_cluster()
            outage.end = time.monotonic()
    except Exception as err:  # noqa: BLE001 - reported with the test's other failures
        errors.append(f"outage failed: {err!r}")


# -- the world before, and the database after -------------------------------------------------


def _seats(database: CrashDatabase) -> tuple[list[Seat], list[str]]:
    """Two people of each store, each with their own share of its shelf; the counted SKUs."""
    rank = {"staff": 0, "manager": 1, "admin": 2}
    seats = []
    with database.models():
        for store in Store.select().order_by(Store.id):
            people = sorted(
                Staff.select().where((Staff.store == store) & (Staff.is_active == True)),  # noqa: E712
                key=lambda p: (rank[p.role], p.id),
            )
            shelf = [
                d.serial
                for d in Device.select(Device.serial)
                .where((Device.store == store) & (Device.status == "in_stock"))
                .order_by(Device.id)
            ]
            for k, person in enumerate(people[:TABLETS_PER_STORE]):
                seats.append(Seat(person.username, store.id, shelf[k::TABLETS_PER_STORE]))
        items = [p.sku for p in Product.select().where(Product.kind != "device")]
    return seats, items


@dataclass
class Snapshot:
    last_sale: int
    devices: Counter[tuple[int, str]]  # (store, status) -> units
    stock: dict[tuple[int, int], int]  # (store, product) -> counted quantity


def _snapshot() -> Snapshot:
    units = Device.select(Device.store, Device.status, fn.COUNT(Device.id).alias("n"))
    return Snapshot(
        last_sale=Sale.select(fn.MAX(Sale.id)).scalar() or 0,
        devices=Counter(
            {
                (r["store"], r["status"]): r["n"]
                for r in units.group_by(Device.store, Device.status).dicts()
            }
        ),
        stock={(s.store_id, s.product_id): s.quantity for s in StockLevel.select()},
    )


def _half_written() -> list[str]:
    """Every sale in the database, old or new, against its lines; every serial sold once."""
    faults = []
    sums = {
        row["sale"]: row
        for row in SaleLine.select(
            SaleLine.sale,
            fn.SUM(SaleLine.line_total).alias("total"),
            fn.SUM(SaleLine.vat_amount).alias("vat"),
        )
        .group_by(SaleLine.sale)
        .dicts()
    }
    for sale in Sale.select(Sale.id, Sale.total, Sale.vat_total):
        row = sums.get(sale.id)
        if row is None:
            faults.append(f"sale {sale.id} has no lines")
        elif (sale.total, sale.vat_total) != (row["total"], row["vat"]):
            faults.append(
                f"sale {sale.id}: total and VAT {sale.total, sale.vat_total}, lines {row}"
            )
    finished = (
        Cart.select(Cart.id)
        .join(Sale, JOIN.LEFT_OUTER, on=(Sale.cart == Cart.id))
        .where((Cart.status == "completed") & Sale.id.is_null())
    )
    faults += [f"cart {cart.id} is completed but has no sale" for cart in finished]
    twice = (
        SaleLine.select(SaleLine.device)
        .where(SaleLine.device.is_null(False))
        .group_by(SaleLine.device)
        .having(fn.COUNT(SaleLine.id) > 1)
    )
    faults += [f"device {line.device_id} is on two sale lines" for line in twice]
    return faults


def _sale_faults(before: Snapshot, confirmed: list[Confirmed]) -> list[str]:
    """The sales of this run: exactly those confirmed, each whole, and nothing else."""
    faults = []
    new = {
        row["id"]: row
        for row in Sale.select(
            Sale.id,
            Sale.store,
            Sale.idempotency_key,
            Staff.username,
            Cart.status.alias("cart_status"),
            Cart.idempotency_key.alias("cart_key"),
            Cart.id.alias("cart_id"),
            AgeCheck.result,
            AgeCheck.cart.alias("checked_cart"),
        )
        .join(Staff, on=(Sale.staff == Staff.id))
        .switch(Sale)
        .join(Cart, JOIN.LEFT_OUTER, on=(Sale.cart == Cart.id))
        .switch(Sale)
        .join(AgeCheck, JOIN.LEFT_OUTER, on=(Sale.age_check == AgeCheck.id))
        .where(Sale.id > before.last_sale)
        .dicts()
    }
    seen = {c.sale_id for c in confirmed}
    faults += [f"confirmed sale {i} is not in the database" for i in sorted(seen - set(new))]
    faults += [f"sale {i} was written but never confirmed" for i in sorted(set(new) - seen)]
    serials: dict[int, list[str]] = {}
    for row in (
        SaleLine.select(SaleLine.sale, Device.serial, Device.status, Device.store)
        .join(Device)
        .where(SaleLine.sale > before.last_sale)
        .dicts()
    ):
        serials.setdefault(row["sale"], []).append(row["serial"])
        if row["status"] != "sold" or row["store"] != new[row["sale"]]["store"]:
            faults.append(f"sale {row['sale']}: {row['serial']} is {row['status']}")
    for c in confirmed:
        row = new.get(c.sale_id)
        if row and (row["store"], row["username"]) != (c.seat.store_id, c.seat.username):
            faults.append(f"sale {c.sale_id} is not {c.seat.username}'s")
        if row and serials.get(c.sale_id) != [c.serial]:
            faults.append(f"sale {c.sale_id} sold {serials.get(c.sale_id)}, not {c.serial}")
    tokens = Counter(
        t.sale_id for t in ClaimToken.select().where(ClaimToken.sale > before.last_sale)
    )
    audited = Counter(
        e.subject_id
        for e in AuditEvent.select(AuditEvent.subject_id).where(
            (AuditEvent.action == "sale.completed") & (AuditEvent.subject_id > before.last_sale)
        )
    )
    for sale_id, row in new.items():
        if row["cart_status"] != "completed" or row["cart_key"] != row["idempotency_key"]:
            faults.append(f"sale {sale_id}: its cart is {row['cart_status']}")
        if row["result"] != "passed" or row["checked_cart"] != row["cart_id"]:
            faults.append(f"sale {sale_id}: no passed age check of its cart")
        if tokens[sale_id] != 1 or audited[sale_id] != 1:
            faults.append(
                f"sale {sale_id}: {tokens[sale_id]} claim tokens, {audited[sale_id]} audits"
            )
    return faults


def _stock_faults(before: Snapshot) -> list[str]:
    """Units and counted stock moved by exactly what the new sale lines say."""
    after = _snapshot()
    units = Counter(
        line.sale.store_id
        for line in SaleLine.select(SaleLine, Sale)
        .join(Sale)
        .where((Sale.id > before.last_sale) & SaleLine.device.is_null(False))
    )
    counted: Counter[tuple[int, int]] = Counter()
    for line in (
        SaleLine.select(SaleLine, Sale)
        .join(Sale)
        .where((Sale.id > before.last_sale) & SaleLine.device.is_null() & (SaleLine.kind == "item"))
    ):
        counted[(line.sale.store_id, line.product_id)] += line.quantity
    expected = Counter(before.devices)
    for store, sold in units.items():
        expected[(store, "in_stock")] -= sold
        expected[(store, "sold")] += sold
    faults = [
        f"store {key[0]}: {after.devices[key]} units {key[1]}, expected {expected[key]}"
        for key in sorted(set(expected) | set(after.devices))
        if after.devices[key] != expected[key]
    ]
    faults += [
        f"store {key[0]} product {key[1]}: {after.stock.get(key)} counted, {n - counted[key]} due"
        for key, n in before.stock.items()
        if after.stock.get(key) != n - counted[key]
    ]
    return faults


def _server_error_faults(
    answers: list[tuple[float, str, int]], plan: list[tuple[float, Outage]], server: Gunicorn
) -> list[str]:
    """Every 5xx is a fault, except a 503 (the busy page) while the database is down."""
    faults = Counter(
        (step, status, any(o.covers(when) for _f, o in plan))
        for when, step, status in answers
        if status >= 500 and not (status == 503 and any(o.covers(when) for _f, o in plan))
    )
    if not faults:
        return []
    log = server.log_text()
    found = [i for i in (log.find("Exception on"), log.find("Error handling request")) if i >= 0]
    first = log[min(found, default=0) :]
    lines = first[: first.find("\n[", 1)].splitlines()  # up to the next log record
    # The kiosk's own frames and each exception of the chain: the story in a few lines.
    story = [lines[0]] + [
        f"{line.strip()}  |  {lines[n + 1].strip()}" if "/kiosk/" in line else line
        for n, line in enumerate(lines[1:], 1)
        if "/kiosk/" in line or (line[:1].isalpha() and "Error" in line.split(":")[0])
    ]
    return [
        "server errors (step, status, while the database was down): "
        f"{dict(faults)}; the first in the server's log:\n" + "\n".join(story)
    ]


# -- the test ----------------------------------------------------------------------------------

# The run cannot pass by doing nothing: it sells for CRASH_SECONDS and on until this much
# happened (a busy machine is slow), for at most three times as long, then judges.
MIN_KILLS = max(10, int(CRASH_SECONDS / 2))
MIN_SALES = max(60, int(CRASH_SECONDS * 3))
MAX_SECONDS = CRASH_SECONDS * 3


def test_workers_killed_mid_sale_lose_no_sale_and_half_write_none(
    crash_database: CrashDatabase, gunicorn: Gunicorn
) -> None:
    seats, items = _seats(crash_database)
    with crash_database.models():
        before = _snapshot()
    stop = threading.Event()
    tablets = [Tablet(n, seat, gunicorn, items, stop) for n, seat in enumerate(seats)]
    killer = WorkerKiller(gunicorn, tablets, stop)
    plan = _outages(crash_database)
    failures: list[str] = []
    begin = time.monotonic()
    outages = threading.Thread(
        target=_run_outages, args=(crash_database, plan, begin, failures), daemon=True
    )
    threads = [*tablets, killer, outages]
    for thread in threads:
        thread.start()
    try:
        while not stop.wait(1.0) and time.monotonic() < begin + MAX_SECONDS:
            if gunicorn.process.poll() is not None:
                break
            sold = [c for t in tablets for c in t.confirmed]
            after = max((o.end for _f, o in plan), default=begin)
            if (
                time.monotonic() >= begin + CRASH_SECONDS
                and not outages.is_alive()
                and len(killer.kills) >= MIN_KILLS
                and len(sold) >= MIN_SALES
                and {c.seat.username for c in sold if c.at > after} == {s.username for s in seats}
            ):
                break
    finally:
        stop.set()  # each tablet finishes the sale in hand
        for thread in threads:
            thread.join(timeout=GIVE_UP_SECONDS + 60)
    failures += [f"{t.name} still running" for t in threads if t.is_alive()]
    if gunicorn.process.poll() is not None:
        failures.append(f"the gunicorn master died (exit {gunicorn.process.returncode})")
    elif gunicorn.stop() != 0:
        failures.append(f"gunicorn stopped with {gunicorn.process.returncode}")
    elapsed = time.monotonic() - begin

    answers = [answer for t in tablets for answer in t.answers]
    confirmed = [c for t in tablets for c in t.confirmed]
    statuses = Counter(status for _when, _step, status in answers)
    dropped = Counter(step for _when, step, status in answers if status == DROPPED)
    print(
        f"\ncrash summary {crash_database.kind}: {elapsed:.0f} s, {len(tablets)} tablets, "
        f"{len(confirmed)} sales confirmed ({len(confirmed) / elapsed:.1f}/s), "
        f"{len(killer.kills)} workers killed, {sum(dropped.values())} requests cut off "
        f"{dict(dropped)}, answers {dict(sorted(statuses.items()))}; "
        + (", ".join(f"{o.what} {o.end - o.start:.1f} s" for _f, o in plan) or "no outage")
    )

    failures += _server_error_faults(answers, plan, gunicorn)
    if len(killer.kills) < MIN_KILLS:
        failures.append(f"only {len(killer.kills)} workers killed (want {MIN_KILLS})")
    if not dropped:
        failures.append("no kill ever cut a request off")
    if len(confirmed) < MIN_SALES:
        failures.append(f"only {len(confirmed)} sales confirmed (want {MIN_SALES})")
    for _fraction, outage in plan:
        if not any(status == 503 and outage.covers(when) for when, _s, status in answers):
            failures.append(f"{outage.what}: no tablet saw the busy page (503)")
        again = {c.seat.username for c in confirmed if c.at > outage.end}
        if again != {seat.username for seat in seats}:
            failures.append(f"after the {outage.what} only {sorted(again)} sold again")
    problems = [p for t in tablets for p in t.problems]
    if problems:
        failures.append(f"{len(problems)} tablet problems, first: {problems[:10]}")
    with crash_database.models():
        failures += _half_written() + _sale_faults(before, confirmed) + _stock_faults(before)
        if crash_database.kind == "sqlite":
            integrity = Sale._meta.database.execute_sql("PRAGMA integrity_check").fetchall()
            if integrity != [("ok",)]:
                failures.append(f"SQLite integrity check: {integrity[:5]}")
    assert not failures, "\n".join(failures[:40])
