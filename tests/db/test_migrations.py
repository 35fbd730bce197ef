"""Schema only through migrations/: applied once, a no-op the second time, matching the models."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from kiosk import migrate
from kiosk.extensions import db
from kiosk.models import MODELS


def test_upgrade_twice_in_a_row_is_a_no_op(runner: FlaskCliRunner) -> None:
    # The fixture already migrated this database: the command must find nothing to do.
    first = runner.invoke(args=["db", "upgrade"])
    second = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "up to date" in first.output and "up to date" in second.output
    assert migrate.pending(db.obj, Path(runner.app.config["MIGRATIONS_DIR"])) == []


def test_migrated_schema_has_every_column_the_models_declare(app: Flask) -> None:
    for model in MODELS:
        table = model._meta.table_name
        columns = {c.name for c in db.get_columns(table)}
        declared = {f.column_name for f in model._meta.sorted_fields}
        assert columns == declared, f"{table}: migrations and models disagree"


def test_migrated_schema_has_every_index_the_models_declare(app: Flask) -> None:
    for model in MODELS:
        table = model._meta.table_name
        existing = {i.name: i.unique for i in db.get_indexes(table)}
        for index in model._meta.fields_to_index():
            assert index._name in existing, f"{table}: index {index._name} missing"
            assert existing[index._name] == index._unique, f"{index._name}: uniqueness differs"


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
