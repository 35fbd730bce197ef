"""Opening the database from its URL, and the transactions services run in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, unquote, urlparse

from flask import Flask
from peewee import Database, PostgresqlDatabase, SqliteDatabase
from playhouse.pool import PooledPostgresqlDatabase

from .extensions import db

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    # Two tablets writing at once wait for each other instead of failing.
    "busy_timeout": 5000,
    "foreign_keys": 1,
    # Safe with WAL: a power cut loses at most the last transactions, never corrupts.
    "synchronous": "normal",
}


def open_database(url: str, *, pool_size: int = 8) -> Database:
    """A Peewee database for ``sqlite:///path`` or ``postgresql://user@host/name``.

    ``postgresql+nopool://`` opens a fresh connection per request instead of pooling.
    """
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+")[0]
    if scheme == "sqlite":
        path = unquote(parsed.path[1:]) if parsed.path.startswith("/") else parsed.path
        return SqliteDatabase(path or ":memory:", pragmas=SQLITE_PRAGMAS, check_same_thread=False)
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
    def _close(_exc: BaseException | None) -> None:
        if not db.is_closed():
            db.close()
