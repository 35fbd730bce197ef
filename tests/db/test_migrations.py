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
