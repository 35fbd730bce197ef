"""Opening the database from its URL, and the transactions services run in."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse

from flask import Flask
from peewee import Database, DateTimeField, Model, PostgresqlDatabase, SqliteDatabase
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase

from .extensions import db

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    # Two tablets writing at once wait for each other instead of failing.
    "busy_timeout": 5000,
    "foreign_keys": 1,
    # Safe with WAL: a power cut loses at most the last transactions, never corrupts.
    "synchronous": "normal",
}


class SqlitePool(PooledSqliteDatabase):
    """SQLite connections kept open between requests, except one a query failed on.

    Opening a connection re-reads the schema and sets the pragmas, and closing the last one
    checkpoints the WAL: together about 2 ms, a fifth of a counter request
    (docs/BENCHMARKS.md). But a kept connection must not carry a statement over from one
    request to the next: a statement still open holds an old snapshot, so the next
    request would read old rows and its BEGIN IMMEDIATE would fail with "database is
    locked". Peewee re-raises a driver error from a frame that references the new
    exception, a reference cycle that keeps the frames above it, and the cursors in them,
    alive until the garbage collector runs. So a connection that saw a failed statement (a
    lost race's IntegrityError, say) is closed instead of going back to the pool.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._spoiled: set[int] = set()

    def execute_sql(self, sql: str, params: object = None, commit: object = None):  # noqa: ANN201
        try:
            return super().execute_sql(sql, params)
        except Exception:
            conn = self._state.conn
            if conn is not None:
                self._spoiled.add(self.conn_key(conn))
            raise

    def _can_reuse(self, conn: object) -> bool:
        key = self.conn_key(conn)
        if key in self._spoiled:
            self._spoiled.discard(key)
            return False
        return super()._can_reuse(conn)


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///path`` URL ("" or ``:memory:`` for none); None for other URLs."""
    parsed = urlparse(url)
    if parsed.scheme.split("+")[0] != "sqlite":
        return None
    return unquote(parsed.path[1:]) if parsed.path.startswith("/") else parsed.path


def open_database(url: str, *, pool_size: int = 8) -> Database:
    """A Peewee database for ``sqlite:///path`` or ``postgresql://user@host/name``.

    ``postgresql+nopool://`` opens a fresh connection per request instead of pooling.
    """
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+")[0]
    path = sqlite_path(url)
    if path is not None:
        if not path or path == ":memory:":
            return SqliteDatabase(":memory:", pragmas=SQLITE_PRAGMAS, check_same_thread=False)
        return SqlitePool(
            path,
            pragmas=SQLITE_PRAGMAS,
            check_same_thread=False,  # a kept connection may serve another thread next
            max_connections=pool_size,
            stale_timeout=300,
            timeout=10,
        )
    if scheme in {"postgres", "postgresql"}:
        options = dict(parse_qsl(parsed.query))
        kwargs = {
            "host": parsed.hostname or "127.0.0.1",
            "port": parsed.port or 5432,
            "user": unquote(parsed.username) if parsed.username else None,
            "password": unquote(parsed.password) if parsed.password else None,
            **options,
        }
        name = unquote(parsed.path.lstrip("/"))
        if parsed.scheme.endswith("+nopool"):
            return PostgresqlDatabase(name, **kwargs)
        # A connection per request, kept open between requests: a new PostgreSQL
        # connection costs more than most of our requests (see docs/BENCHMARKS.md).
        return PooledPostgresqlDatabase(
            name, max_connections=pool_size, stale_timeout=300, timeout=10, **kwargs
        )
    raise ValueError(f"Unsupported database URL scheme: {parsed.scheme!r}")


def is_postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


@contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction for a unit of work that writes.

    On SQLite it takes the write lock up front (BEGIN IMMEDIATE): two tablets
    racing for one serial then queue instead of both reading "in stock". Nested
    calls become savepoints.
    """
    database = db.obj
    if isinstance(database, SqliteDatabase) and not database.in_transaction():
        with database.atomic("IMMEDIATE"):
            yield
    else:
        with database.atomic():
            yield


def init_app(app: Flask) -> None:
    db.initialize(open_database(app.config["DATABASE_URL"], pool_size=app.config["DB_POOL_SIZE"]))

    @app.before_request
    def _connect() -> None:
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        if db.is_closed():
            return
        if exc is not None and isinstance(db.obj, PooledDatabase):
            db.manual_close()  # a failed request's connection is not handed on (see SqlitePool)
        else:
            db.close()


def bulk_insert(model: type[Model], rows: list[dict[str, Any]]) -> int:
    """Write rows with the driver's own bulk call.

    Peewee's query builder spends most of a bulk load composing SQL value by value;
    the driver takes a plain statement and tuples (converted by the same fields, so
    the stored values are exactly what the models write) many times faster.
    """
    if not rows:
        return 0
    named = {key for row in rows for key in row}
    # A row that leaves a column out gets the field's default, as Model.create would.
    fields = [f for f in model._meta.sorted_fields if f.name in named or f.default is not None]
    for f in fields:
        default = f.default() if callable(f.default) else f.default
        # The rows hold ids, strings, numbers and dates as the drivers take them; only
        # aware times need the field's conversion (to naive UTC).
        stamp = isinstance(f, DateTimeField)
        for row in rows:
            value = row.setdefault(f.name, default)
            if stamp and value is not None:
                row[f.name] = f.db_value(value)
    values = list(map(itemgetter(*(f.name for f in fields)), rows))
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    table = model._meta.table_name
    cursor = db.cursor()
    if is_postgres():
        # COPY streams the rows without an INSERT statement to parse per batch. \N marks
        # NULL, so that an empty string stays an empty string.
        buffer = io.StringIO()
        csv.writer(buffer).writerows(
            tuple(r"\N" if v is None else v for v in row) for row in values
        )
        buffer.seek(0)
        cursor.copy_expert(
            f"COPY \"{table}\" ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
        )
    else:
        # Table and column names come from the models; every value is a parameter.
        insert = f'INSERT INTO "{table}" ({columns}) VALUES '  # noqa: S608
        cursor.executemany(insert + "(" + ", ".join("?" * len(fields)) + ")", values)
    return len(rows)
