"""`flask --app kiosk restore FILE`: checked first, brought to today's schema, recorded, and
never over a database that is in use, or newer, without being told to."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from kiosk import migrate
from kiosk.db import SQLITE_PRAGMAS
from kiosk.extensions import db
from kiosk.models import MODELS
from kiosk.services.backup import backup_sqlite
from tests.conftest import MIGRATIONS
from tests.db.scratch import (
    app_on,
    corrupt_an_index,
    release,
    rows,
    sqlite_url,
    store_database,
)

AT = datetime(2026, 3, 10, 3, 15, tzinfo=UTC)


def _restore(target: Path, *args: str):  # noqa: ANN202
    with app_on(sqlite_url(target)) as app:
        return app.test_cli_runner().invoke(args=["restore", *args])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _backup_of(path: Path, folder: Path) -> Path:
    return backup_sqlite(path, folder, at=datetime.now(UTC)).path


def _at_0001(path: Path) -> None:
    """A store database as the kiosk left it before migration 0002: literal SQL of that time."""
    old_migrations = path.parent / "migrations-then"
    old_migrations.mkdir()
    shutil.copy(MIGRATIONS / "0001_initial.py", old_migrations)
    database = SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS)
    database.connect()
    assert migrate.upgrade(database, old_migrations) == ["0001_initial"]
    then = "2025-11-02 10:00:00"
    for sql in (
        "INSERT INTO store (id, code, name, brand_name, timezone, language, currency, legal_age,"
        " idle_lock_seconds, claim_token_days, benefit_discount_percent, money_back_limit,"
        " refusal_retention_days, created_at) VALUES (1, 'OLD1', 'Old Town', '',"
        f" 'Europe/Stockholm', 'sv', 'SEK', 18, 300, 30, 10, 3, 730, '{then}')",
        "INSERT INTO staff (id, store_id, username, display_name, role, password_hash, pin_hash,"
        f" is_active, failed_pin_attempts, created_at) VALUES (1, 1, 'anna', 'Anna', 'manager',"
        f" 'x', 'x', 1, 0, '{then}')",
        "INSERT INTO product (id, sku, name, kind, price, vat_rate, age_restricted, is_active)"
        " VALUES (1, 'PACK-1', 'Pack', 'consumable', 6500, 2500, 1, 1)",
        "INSERT INTO age_check (id, store_id, staff_id, method, document_type, result,"
        f" required_age, created_at, local_date) VALUES (1, 1, 1, 'document', 'id_card',"
        f" 'passed', 18, '{then}', '2025-11-02')",
        "INSERT INTO sale (id, store_id, staff_id, idempotency_key, age_check_id, tender,"
        " subtotal, discount_total, total, vat_total, created_at, local_date) VALUES"
        f" (1, 1, 1, 'old-sale', 1, 'cash', 6500, 0, 6500, 1300, '{then}', '2025-11-02')",
        "INSERT INTO sale_line (sale_id, kind, product_id, description, quantity, unit_price,"
        " line_total, vat_rate, vat_amount) VALUES (1, 'item', 1, 'Pack', 1, 6500, 6500, 2500,"
        " 1300)",
        "INSERT INTO audit_event (created_at, action, store_id, staff_id, subject_type,"
        f" subject_id, details) VALUES ('{then}', 'sale.completed', 1, 1, 'sale', 1, '{{}}')",
    ):
        database.execute_sql(sql)
    database.close()


def test_a_backup_from_before_a_migration_comes_back_at_todays_schema(tmp_path: Path) -> None:
    old = tmp_path / "then" / "kiosk.sqlite3"
    old.parent.mkdir()
    _at_0001(old)
    copy = _backup_of(old, tmp_path / "backups")
    target = tmp_path / "kiosk.sqlite3"

    with app_on(sqlite_url(target)) as app:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["restore", str(copy)])

        assert result.exit_code == 0, result.output
        later = [p.stem for p in migrate.migration_files(MIGRATIONS)][1:]
        assert later and f"migrations: {', '.join(later)}" in result.stdout
        with db.connection_context():
            assert migrate.pending(db.obj, MIGRATIONS) == []
            for model in MODELS:
                table = model._meta.table_name
                columns = {c.name for c in db.get_columns(table)}
                assert columns == {f.column_name for f in model._meta.sorted_fields}, table
                indexes = {i.name for i in db.get_indexes(table)}
                assert {i._name for i in model._meta.fields_to_index()} <= indexes, table
        check = runner.invoke(args=["check"])
        assert check.exit_code == 0, check.output
    assert rows(target, "SELECT code FROM store") == [("OLD1",)]
    assert rows(target, "SELECT total FROM sale") == [(6500,)]
    [(details,)] = rows(
        target, "SELECT details FROM audit_event WHERE action = 'database.restored'"
    )
    assert copy.name in details and later[0] in details
    assert rows(old, "SELECT COUNT(*) FROM schema_migration") == [(1,)], "the backup is untouched"


def test_restore_refuses_a_database_the_kiosk_has_open_then_goes_ahead_once_stopped(
    tmp_path: Path,
) -> None:
    target = tmp_path / "kiosk.sqlite3"
    store_database(target)
    copy = _backup_of(target, tmp_path / "backups")
    before = _digest(target)

    with app_on(sqlite_url(target)) as app:
        with db.connection_context():  # a worker that served a request keeps its connection
            db.execute_sql("SELECT COUNT(*) FROM sale").fetchone()
        runner = app.test_cli_runner()
        refused = runner.invoke(args=["restore", str(copy)])
        unchanged = _digest(target) == before
        release()  # the kiosk is stopped
        done = runner.invoke(args=["restore", str(copy)])

    assert refused.exit_code == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("Restore refused:") and "in use" in line and "stop the kiosk" in line
    assert done.exit_code == 0, done.output
    assert unchanged
    assert sorted(p.name for p in tmp_path.glob(".restore-*")) == []
    assert rows(target, "SELECT code FROM store") == [("BAK1",)]


def _write_and_crash(path: Path) -> None:
    """A sale recorded, then the power cut: the write lives only in the -wal file."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sqlite3, sys\n"
            "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "conn.execute('PRAGMA wal_autocheckpoint = 0')\n"
            'conn.execute("INSERT INTO audit_event (created_at, action, subject_type, details)'
            " VALUES ('2099-01-01 09:00:00', 'sale.completed', 'sale', '{}')\")\n"
            "os._exit(0)\n",
            str(path),
        ],
        check=True,
    )


def test_restore_keeps_a_newer_database_unless_forced_and_then_keeps_a_copy(tmp_path: Path):
    target = tmp_path / "kiosk.sqlite3"
    store_database(target)
    copy = _backup_of(target, tmp_path / "backups")
    _write_and_crash(target)
    assert Path(f"{target}-wal").stat().st_size > 0
    newest = "SELECT MAX(created_at) FROM audit_event WHERE action = 'sale.completed'"

    refused = _restore(target, str(copy))

    assert refused.exit_code == 1
    [line] = refused.stderr.splitlines()
    assert "2099-01-01 09:00:00 UTC" in line and "newer" in line and "--force" in line
    assert rows(target, newest) == [("2099-01-01 09:00:00",)], "nothing was changed"

    forced = _restore(target, str(copy), "--force")

    assert forced.exit_code == 0, forced.output
    [kept] = tmp_path.glob("kiosk-replaced-*.sqlite3")
    assert str(kept) in forced.stdout
    assert rows(kept, newest) == [("2099-01-01 09:00:00",)], "the newer data is kept aside"
    assert rows(kept, "PRAGMA integrity_check") == [("ok",)]
    # The old -wal is not replayed onto the restored file: its last sale is the backup's.
    assert rows(target, newest) != [("2099-01-01 09:00:00",)]
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]
    [(details,)] = rows(
        target, "SELECT details FROM audit_event WHERE action = 'database.restored'"
    )
    assert '"forced": true' in details and kept.name in details


def _not_sqlite(path: Path) -> None:
    path.write_text("sale,total\n1,6500\n")


def _not_ours(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")


def _damaged(path: Path) -> None:
    store_database(path)
    corrupt_an_index(path)


def _from_a_newer_kiosk(path: Path) -> None:
    store_database(path)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO schema_migration (name, applied_at) VALUES ('9999_next_year', 'x')"
        )


@pytest.mark.parametrize(
    ("make_file", "reason"),
    [
        (_not_sqlite, "is not a SQLite database"),
        (_not_ours, "is not a kiosk database"),
        (_damaged, "failed its integrity check"),
        (_from_a_newer_kiosk, "comes from a newer kiosk (migration 9999_next_year"),
    ],
    ids=["not-sqlite", "not-a-kiosk-database", "damaged", "from-a-newer-kiosk"],
)
def test_restore_checks_the_file_first_and_changes_nothing(tmp_path: Path, make_file, reason):  # noqa: ANN001
    target = tmp_path / "kiosk.sqlite3"
    store_database(target)
    before = _digest(target)
    offered = tmp_path / "offered" / "kiosk-20260310T031500Z.sqlite3"
    offered.parent.mkdir()
    make_file(offered)

    result = _restore(target, str(offered), "--force")

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Restore refused:") and reason in line
    assert _digest(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kiosk.sqlite3", "offered"]


def test_restore_on_postgresql_says_how_and_touches_nothing(tmp_path: Path) -> None:
    url = "postgresql://kiosk:s3cret@db.example:5432/kiosk"
    with app_on(url) as app:
        result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "kiosk.dump")])

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert "pg_restore --clean --if-exists --no-owner" in line and "db upgrade" in line
    assert "s3cret" not in line


def test_a_refused_restore_into_a_new_file_leaves_no_file(tmp_path: Path) -> None:
    offered = tmp_path / "offered.sqlite3"
    _not_ours(offered)
    target = tmp_path / "drill.sqlite3"

    result = _restore(target, str(offered))

    assert result.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["offered.sqlite3"]
