"""Schema changes through numbered files in ``migrations/``, and only through them.

Each file ``NNNN_name.py`` defines ``upgrade(db, dialect)``. Applied names are
recorded in ``schema_migration``; ``upgrade`` applies what is pending, each file
in its own transaction, and is a no-op when nothing is. Concurrent runs (two
hosts deploying at once) serialise on a lock, so none applies a file twice.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from peewee import Database, PostgresqlDatabase, SqliteDatabase

STATE_TABLE = "schema_migration"
# An arbitrary constant shared by every process that migrates this database.
PG_ADVISORY_LOCK_ID = 727_001


def dialect_of(database: Database) -> str:
    if isinstance(database, PostgresqlDatabase):
        return "postgres"
    if isinstance(database, SqliteDatabase):
        return "sqlite"
    raise ValueError(f"unsupported database {type(database).__name__}")


def migration_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("[0-9][0-9][0-9][0-9]_*.py"))


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"kiosk_migration_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def applied(database: Database) -> set[str]:
    if not database.table_exists(STATE_TABLE):
        return set()
    return {row[0] for row in database.execute_sql(f"SELECT name FROM {STATE_TABLE}")}  # noqa: S608


def pending(database: Database, directory: Path) -> list[Path]:
    done = applied(database)
    return [p for p in migration_files(directory) if p.stem not in done]


def upgrade(database: Database, directory: Path) -> list[str]:
    """Apply every pending migration; return the names applied."""
    dialect = dialect_of(database)
    database.execute_sql(
        f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} "
        "(name VARCHAR(200) NOT NULL PRIMARY KEY, applied_at VARCHAR(40) NOT NULL)"
    )
    done: list[str] = []
    for path in migration_files(directory):
        module = _load(path)
        rebuilds = dialect == "sqlite" and getattr(module, "FOREIGN_KEYS_OFF", False)
        if rebuilds:
            # SQLite rebuilds a table to change its constraints (create, copy, drop, rename);
            # with foreign keys on, the drop would cascade into the rows that point at it.
            # The pragma is a no-op inside a transaction, so it is set before BEGIN.
            database.execute_sql("PRAGMA foreign_keys = OFF")
        try:
            if _apply(database, dialect, path, module):
                done.append(path.stem)
        finally:
            if rebuilds:
                database.execute_sql("PRAGMA foreign_keys = ON")
    return done


def _apply(database: Database, dialect: str, path: Path, module: ModuleType) -> bool:
    """Apply one file in one transaction under the lock; False when it was applied already."""
    lock = "IMMEDIATE" if dialect == "sqlite" else None
    with database.atomic(lock) if lock else database.atomic():
        if dialect == "postgres":
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (PG_ADVISORY_LOCK_ID,))
        # Checked inside the lock: another process may have applied it meanwhile.
        if path.stem in applied(database):
            return False
        module.upgrade(database, dialect)
        if dialect == "sqlite":
            broken = database.execute_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(
                    f"{path.stem} leaves rows whose foreign keys point nowhere: {broken[:5]}"
                )
        database.execute_sql(
            f"INSERT INTO {STATE_TABLE} (name, applied_at) VALUES ({database.param}, "  # noqa: S608
            f"{database.param})",
            (path.stem, datetime.now(UTC).isoformat()),
        )
    return True


def schema_sql(dialect: str) -> list[str]:
    """The DDL the current models describe, for writing a migration by hand.

    Migrations hold literal SQL, never calls into the models: a migration must
    mean the same thing forever, whatever the models become later.
    """
    from .models import MODELS

    database: Database = SqliteDatabase(None) if dialect == "sqlite" else PostgresqlDatabase(None)
    statements: list[str] = []
    with database.bind_ctx(MODELS):
        for model in MODELS:
            nodes = [model._schema._create_table(safe=False)]
            nodes += model._schema._create_indexes(safe=False)
            for node in nodes:
                sql, params = database.get_sql_context().sql(node).query()
                if params:
                    raise ValueError(f"parameters in DDL are not supported: {sql}")
                statements.append(sql)
    return statements
