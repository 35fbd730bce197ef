"""Schema only through migrations/: applied once, a no-op the second time, matching the models."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from peewee import Database
from playhouse.schema_diff import diff_models

from kiosk import migrate
from kiosk.extensions import db
from kiosk.models import MODELS
from tests.conftest import _pg_admin


def test_upgrade_twice_in_a_row_is_a_no_op(runner: FlaskCliRunner) -> None:
    # The fixture already migrated this database: the command must find nothing to do.
    first = runner.invoke(args=["db", "upgrade"])
    second = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "up to date" in first.output and "up to date" in second.output
    assert migrate.pending(db.obj, Path(runner.app.config["MIGRATIONS_DIR"])) == []


def test_migrated_schema_is_exactly_what_the_models_declare(app: Flask) -> None:
    # Both ways: no table, column or index (its columns and uniqueness) missing, none extra.
    difference = diff_models(db.obj, MODELS)
    assert not difference, f"migrations and models disagree:\n{difference}"


def test_fresh_database_is_built_by_the_migrations_alone(tmp_path: Path, migrations_dir: Path):
    from kiosk.db import open_database

    database = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    database.connect()
    applied = migrate.upgrade(database, migrations_dir)
    assert applied == [path.stem for path in sorted(migrations_dir.glob("[0-9]*.py"))]
    assert applied[0] == "0001_initial"
    assert migrate.upgrade(database, migrations_dir) == []
    assert set(database.get_tables()) >= {m._meta.table_name for m in MODELS}
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    database.close()


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of its own with nothing in it, to migrate step by step."""
    from kiosk.db import open_database

    if request.param == "sqlite":
        database = open_database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        database.connect()
        yield database
        database.close()
        return
    name = f"kiosk_migrate_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    database = open_database(f"postgresql+nopool://postgres@127.0.0.1:5432/{name}")
    database.connect()
    try:
        yield database
    finally:
        database.close()
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')


def _up_to(migrations_dir: Path, tmp_path: Path, last: str) -> Path:
    """A migrations folder holding the files up to ``last``: the schema of an older release."""
    older = tmp_path / f"migrations-{last}"
    older.mkdir()
    for path in migrate.migration_files(migrations_dir):
        if path.stem <= last:
            shutil.copy(path, older / path.name)
    return older


def test_an_existing_chain_keeps_its_prices_and_the_life_of_its_units(
    empty_database: Database, migrations_dir: Path, tmp_path: Path
) -> None:
    # A London store of the single-price era: a device sold, registered and swapped.
    migrate.upgrade(empty_database, _up_to(migrations_dir, tmp_path, "0002_age_check_latest"))
    sql = empty_database.execute_sql
    p = empty_database.param
    now = "2026-11-30 12:00:00"
    sql(
        "INSERT INTO store (id, code, name, brand_name, timezone, language, currency, legal_age, "
        "idle_lock_seconds, claim_token_days, benefit_discount_percent, money_back_limit, "
        f"refusal_retention_days, created_at) VALUES (1, 'LON1', 'London', '', 'Europe/London', "
        f"'en', 'GBP', 18, 300, 30, 10, 3, 730, {p})",
        (now,),
    )
    sql(
        "INSERT INTO staff (id, store_id, username, display_name, role, password_hash, pin_hash, "
        f"is_active, failed_pin_attempts, created_at) VALUES (1, 1, 'mark', 'Mark', 'manager', "
        f"'x', 'x', {p}, 0, {p})",
        (True, now),
    )
    sql(
        "INSERT INTO product (id, sku, name, kind, price, vat_rate, age_restricted, is_active) "
        f"VALUES (1, 'DEV-ONE', 'Heat Device One', 'device', 3900, 2000, {p}, {p})",
        (True, True),
    )
    for unit, serial, status in ((1, "OLD1", "replaced_out"), (2, "NEW1", "sold")):
        sql(
            "INSERT INTO device (id, serial, product_id, store_id, status, received_at) "
            f"VALUES ({unit}, '{serial}', 1, 1, '{status}', {p})",
            ("2026-11-01 08:00:00",),
        )
    sql(
        "INSERT INTO sale (id, store_id, staff_id, idempotency_key, tender, subtotal, "
        "discount_total, total, vat_total, created_at, local_date) VALUES "
        f"(1, 1, 1, 'k1', 'card', 3900, 0, 3900, 650, {p}, '2026-11-02')",
        ("2026-11-02 12:00:00",),
    )
    sql(
        "INSERT INTO sale_line (id, sale_id, kind, product_id, device_id, description, quantity, "
        "unit_price, line_total, vat_rate, vat_amount) VALUES "
        "(1, 1, 'item', 1, 1, 'Heat Device One', 1, 3900, 3900, 2000, 650)"
    )
    sql(
        "INSERT INTO registration (id, store_id, purchase_date, registration_date, "
        "accident_claim_used, money_back_used, source, created_at) VALUES "
        f"(1, 1, '2026-11-02', '2026-11-02', {p}, {p}, 'counter', {p})",
        (False, False, "2026-11-02 12:00:00"),
    )
    sql(
        f"UPDATE device SET registration_id = 1, first_registered_at = {p} WHERE id IN (1, 2)",
        ("2026-11-02 12:05:00",),
    )
    sql(
        "INSERT INTO swap (id, store_id, staff_id, registration_id, old_device_id, new_device_id, "
        "swap_case, outcome, note, created_at, local_date) VALUES "
        f"(1, 1, 1, 1, 1, 2, 'defect', 'warranty', '', {p}, '2026-11-20')",
        ("2026-11-20 15:00:00",),
    )
    if migrate.dialect_of(empty_database) == "postgres":
        for table in ("store", "staff", "product", "device", "sale", "sale_line", "registration"):
            sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 10)")

    applied = migrate.upgrade(empty_database, migrations_dir)

    assert "0003_markets_and_unit_life" in applied
    markets = sql("SELECT id, code, name, currency, vat_rates FROM market").fetchall()
    assert [row[1:] for row in markets] == [("GB", "United Kingdom", "GBP", "2000")]
    assert sql("SELECT market_id FROM store WHERE id = 1").fetchone()[0] == markets[0][0]
    # Today's single price became the price in the store's market; the sale kept its own.
    assert sql("SELECT product_id, price, vat_rate FROM product_price").fetchall() == [
        (1, 3900, 2000)
    ]
    assert sql("SELECT unit_price, vat_rate FROM sale_line").fetchall() == [(3900, 2000)]
    life = sql(
        "SELECT device_id, event, status, subject_type FROM device_event ORDER BY device_id, "
        "created_at, id"
    ).fetchall()
    assert life == [
        (1, "received", "in_stock", ""),
        (1, "sold", "sold", "sale"),
        (1, "registered", "sold", "registration"),
        (1, "swapped_out", "replaced_out", "swap"),
        (2, "received", "in_stock", ""),
        (2, "registered", "sold", "registration"),
        (2, "replacement", "sold", "swap"),
    ]
    # The units are the same units, and foreign keys still hold after the rebuild.
    assert sql("SELECT id, serial, status FROM device ORDER BY id").fetchall() == [
        (1, "OLD1", "replaced_out"),
        (2, "NEW1", "sold"),
    ]
    assert sql("SELECT old_device_id, new_device_id FROM swap").fetchall() == [(1, 2)]


def test_0005_keeps_every_customer_and_their_vouchers_while_email_becomes_optional(
    tmp_path: Path, migrations_dir: Path
) -> None:
    """On SQLite the NOT NULL is dropped in place: nothing a customer owns may go with it."""
    from kiosk.db import open_database

    before = tmp_path / "before"
    before.mkdir()
    for path in migration_files_before(migrations_dir, "0005"):
        (before / path.name).write_text(path.read_text())
    database = open_database(f"sqlite:///{tmp_path / 'upgrade.sqlite3'}")
    database.connect()
    migrate.upgrade(database, before)
    database.execute_sql(
        "INSERT INTO customer (id, email, name, birth_date, marketing_consent, terms_accepted_at,"
        " session_version, created_at) VALUES (1, 'a@example.com', 'A', '1990-01-01', 0,"
        " '2026-01-01 00:00:00', '1', '2026-01-01 00:00:00')"
    )
    database.execute_sql(
        "INSERT INTO voucher (code, customer_id, kind, issued_at) "
        "VALUES ('W1', 1, 'welcome', '2026-01-01 00:00:00')"
    )

    applied = migrate.upgrade(database, migrations_dir)

    assert "0005_customer_mobile" in applied
    assert database.execute_sql("SELECT email FROM customer").fetchall() == [("a@example.com",)]
    assert database.execute_sql("SELECT customer_id FROM voucher").fetchall() == [(1,)]
    database.execute_sql(
        "INSERT INTO customer (id, email, mobile, name, birth_date, marketing_consent,"
        " terms_accepted_at, session_version, created_at) VALUES (2, NULL, '+46701740605', 'B',"
        " '1990-01-01', 0, '2026-01-01 00:00:00', '1', '2026-01-01 00:00:00')"
    )
    assert database.execute_sql("PRAGMA integrity_check").fetchone() == ("ok",)
    assert database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    database.close()


def migration_files_before(directory: Path, number: str) -> list[Path]:
    return [p for p in migrate.migration_files(directory) if p.name < number]
