"""`flask --app kiosk backup`: a checked copy while the store sells, and a restore that finds
every sale either whole or absent."""

from __future__ import annotations

import shlex
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from kiosk.db import sqlite_path
from kiosk.extensions import db
from kiosk.services.backup import pg_dump_command
from kiosk.services.integrity import run_checks
from tests import factories as make
from tests.conftest import MIGRATIONS, make_app, wipe_database
from tests.db.scratch import app_on, corrupt_an_index, rows, sell, sqlite_url, store_database

AT = datetime(2026, 3, 10, 3, 15, tzinfo=UTC)
SELLERS = 8
PACKS_IN_STOCK = 100_000


@pytest.fixture
def pg_app(postgres_url: str) -> Iterator[Flask]:
    app = make_app(postgres_url)
    yield app
    wipe_database()


def test_backup_writes_a_checked_copy_named_by_its_time(sqlite_app: Flask, tmp_path: Path):
    shop = make.store(code="STO7")
    sqlite_app.config["CLOCK_NOW"] = AT

    result = sqlite_app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path)])

    assert result.exit_code == 0, result.output
    copy = tmp_path / "kiosk-20260310T031500Z.sqlite3"
    assert result.stdout.splitlines() == [result.stdout.strip()], "one line for cron"
    assert str(copy) in result.stdout and "integrity ok" in result.stdout
    assert rows(copy, "PRAGMA integrity_check") == [("ok",)]
    assert rows(copy, "SELECT code FROM store") == [(shop.code,)]
    assert rows(copy, "PRAGMA journal_mode") == [("delete",)], "one file, no -wal beside it"
    assert copy.stat().st_mode & 0o077 == 0, "customers' data: readable by the owner only"
    assert sorted(p.name for p in tmp_path.iterdir()) == [copy.name]


def test_backup_keeps_the_newest_n_and_touches_nothing_else(sqlite_app: Flask, tmp_path: Path):
    (tmp_path / "notes.txt").write_text("the manager's own file")
    (tmp_path / "other-20200101T000000Z.sqlite3").write_text("another database's backup")
    runner = sqlite_app.test_cli_runner()
    for day in range(4):
        sqlite_app.config["CLOCK_NOW"] = AT + timedelta(days=day)
        result = runner.invoke(args=["backup", "--to", str(tmp_path), "--keep", "2"])
        assert result.exit_code == 0, result.output

    assert "2 kept, 1 older removed" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "kiosk-20260312T031500Z.sqlite3",
        "kiosk-20260313T031500Z.sqlite3",
        "notes.txt",
        "other-20200101T000000Z.sqlite3",
    ]


def test_a_backup_that_cannot_be_written_says_why_in_one_line(sqlite_app: Flask, tmp_path):
    not_a_folder = tmp_path / "backups"
    not_a_folder.write_text("a file where the folder should be")

    result = sqlite_app.test_cli_runner().invoke(args=["backup", "--to", str(not_a_folder)])

    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Backup failed:") and str(not_a_folder) in line


def test_a_damaged_database_fails_the_check_and_leaves_no_backup(tmp_path: Path) -> None:
    damaged = tmp_path / "kiosk.sqlite3"
    store_database(damaged)
    corrupt_an_index(damaged)
    backups = tmp_path / "backups"

    with app_on(sqlite_url(damaged)) as app:
        result = app.test_cli_runner().invoke(args=["backup", "--to", str(backups)])

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert "failed its integrity check" in line and "store_code" in line
    assert list(backups.iterdir()) == [], "a copy that failed its check does not count"


def test_backup_on_postgresql_prints_a_pg_dump_command_that_works(pg_app: Flask, tmp_path):
    make.store(code="PGB1")

    result = pg_app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert "PGPASSFILE" in result.stdout
    [command] = [line for line in result.stdout.splitlines() if line.startswith("pg_dump ")]
    ran = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    [dump] = tmp_path.glob("*.dump")
    listing = subprocess.run(
        ["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True
    )
    assert "TABLE DATA public store" in listing.stdout


def test_the_pg_dump_command_never_carries_the_password() -> None:
    url = "postgresql+nopool://kiosk:s3cret@db.example:6432/kiosk?sslmode=require&password=x"

    command = pg_dump_command(url, Path("/srv/backups"), AT)

    assert "s3cret" not in command and "password" not in command
    assert shlex.split(command) == [
        "pg_dump",
        "--format=custom",
        "--file=/srv/backups/kiosk-20260310T031500Z.dump",
        "--dbname=postgresql://kiosk@db.example:6432/kiosk?sslmode=require",
    ]


def _sell_until(app: Flask, store, seller, serials, pack, stop, sold, crashes) -> None:  # noqa: ANN001
    """One tablet: scan a device and two packs, check the age, complete; again and again."""
    try:
        with app.test_request_context():
            for serial in serials:
                if stop.is_set():
                    return
                sold.append(sell(store, seller, serial=serial, pack=pack).id)
    except Exception as err:  # a tablet must never crash; the test reports it
        crashes.append(err)
    finally:
        if not db.is_closed():
            db.close()


def _wait_for(count: int, sold: list[int], crashes: list[Exception]) -> None:
    deadline = time.monotonic() + 120
    while len(sold) < count:
        assert not crashes, crashes
        assert time.monotonic() < deadline, f"only {len(sold)} sales of {count}"
        time.sleep(0.005)


def test_a_backup_taken_while_eight_tablets_sell_restores_every_sale_whole_or_not_at_all(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    store = make.store(code="BUSY")
    sellers = [make.staff(store) for _ in range(SELLERS)]
    model = make.product("device")
    pack = make.product("consumable", price=6500)
    make.stock(store, pack, quantity=PACKS_IN_STOCK)
    shelves = [[make.device(store, model).serial for _ in range(60)] for _ in sellers]
    db.close()  # the tablets take every connection from here on
    stop = threading.Event()
    sold: list[int] = []
    crashes: list[Exception] = []
    tablets = [
        threading.Thread(
            target=_sell_until, args=(sqlite_app, store, s, shelf, pack, stop, sold, crashes)
        )
        for s, shelf in zip(sellers, shelves, strict=True)
    ]
    for tablet in tablets:
        tablet.start()
    try:
        _wait_for(3 * SELLERS, sold, crashes)
        before = len(sold)
        backup = sqlite_app.test_cli_runner().invoke(
            args=["backup", "--to", str(tmp_path / "backups")]
        )
        after = len(sold)
        _wait_for(after + 3 * SELLERS, sold, crashes)  # and the store kept selling
    finally:
        stop.set()
        for tablet in tablets:
            tablet.join()
    assert not crashes, crashes
    assert backup.exit_code == 0, backup.output
    [copy] = (tmp_path / "backups").glob("kiosk-*.sqlite3")

    restored = tmp_path / "restored.sqlite3"
    with app_on(sqlite_url(restored)) as app:
        runner = app.test_cli_runner()
        restore = runner.invoke(args=["restore", str(copy)])
        assert restore.exit_code == 0, restore.output
        check = runner.invoke(args=["check"])
        assert check.exit_code == 0, check.output
        assert "BROKEN" not in check.stdout
        with db.connection_context():
            report = run_checks(db.obj, MIGRATIONS)
        assert report.ok and {"integrity", "foreign_keys"} <= {f.name for f in report.findings}

    live = Path(sqlite_path(sqlite_app.config["DATABASE_URL"]) or "")
    kept = {sale_id for (sale_id,) in rows(restored, "SELECT id FROM sale")}
    # Each tablet may have committed one sale it had not yet counted.
    assert before <= len(kept) <= after + SELLERS, (before, len(kept), after)
    assert len(kept) < len(sold), "sales made after the backup are not in it"
    assert kept <= set(sold)
    for sale_id in sold:
        _assert_whole_or_absent(live, restored, sale_id, present=sale_id in kept)
    [(packs_left,)] = rows(restored, "SELECT quantity FROM stock_level")
    assert packs_left == PACKS_IN_STOCK - 2 * len(kept)
    restores = "SELECT COUNT(*) FROM audit_event WHERE action = 'database.restored'"
    assert rows(restored, restores) == [(1,)]


def _sale_facts(path: Path, sale_id: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    lines = rows(
        path,
        "SELECT id, product_id, device_id, quantity, line_total, vat_amount FROM sale_line "
        "WHERE sale_id = ? ORDER BY id",
        sale_id,
    )
    tokens = rows(path, "SELECT token_hash, code_hash FROM claim_token WHERE sale_id = ?", sale_id)
    events = rows(
        path,
        "SELECT action FROM audit_event WHERE subject_type = 'sale' AND subject_id = ?",
        sale_id,
    )
    return lines, tokens, events


def _assert_whole_or_absent(live: Path, restored: Path, sale_id: int, *, present: bool) -> None:
    lines, tokens, events = _sale_facts(live, sale_id)
    devices = [line[2] for line in lines if line[2] is not None]
    assert len(lines) == 2 and len(devices) == 1 and len(tokens) == 1, "a whole sale, live"
    status = rows(restored, "SELECT status FROM device WHERE id = ?", devices[0])
    if present:
        assert _sale_facts(restored, sale_id) == (lines, tokens, events), sale_id
        assert status == [("sold",)]
        [(cart_status,)] = rows(
            restored,
            "SELECT c.status FROM cart c JOIN sale s ON s.cart_id = c.id WHERE s.id = ?",
            sale_id,
        )
        assert cart_status == "completed"
    else:
        assert _sale_facts(restored, sale_id) == ([], [], []), sale_id
        assert status == [("in_stock",)]
