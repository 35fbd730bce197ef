"""Opening the database from its URL, and the transactions services run in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, unquote, urlparse

from flask import Flask
from peewee import Database, PostgresqlDatabase, SqliteDatabase
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
