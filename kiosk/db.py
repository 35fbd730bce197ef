"""Opening the database from its URL, and the transactions services run in."""

from __future__ import annotations

import csv
import io
import itertools
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse

import peewee
from flask import Flask
from peewee import Database, DatabaseProxy, DateTimeField, Model, PostgresqlDatabase, SqliteDatabase
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


class _ScratchCommits:
    """PostgreSQL transactions that may skip waiting for the disk: ``begin(durable=False)``.

    A commit waits for its WAL record to reach the disk: about a millisecond here, as much as
    the rest of a cart edit. A cart line is scratch work (lost at a crash, it is scanned
    again), so a cart edit commits without waiting (synchronous_commit off, for that
    transaction only): PostgreSQL still never corrupts or reorders, and the next durable
    commit (the sale) flushes every earlier one with it. SQLite in WAL mode with
    synchronous=NORMAL gives every commit that same trade already.
    """

    def begin(self, isolation_level: object = None, durable: bool = True) -> None:
        if durable:
            super().begin(isolation_level)  # type: ignore[misc]
            return
        with peewee.__exception_wrapper__:
            # One round trip: the setting rides with the BEGIN.
            self.cursor().execute("BEGIN; SET LOCAL synchronous_commit TO OFF")  # type: ignore[attr-defined]


class KioskPostgres(_ScratchCommits, PostgresqlDatabase):
    pass


class KioskPooledPostgres(_ScratchCommits, PooledPostgresqlDatabase):
    pass


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
            return KioskPostgres(name, **kwargs)
        # A connection per request, kept open between requests: a new PostgreSQL
        # connection costs more than most of our requests (see docs/BENCHMARKS.md).
        return KioskPooledPostgres(
            name, max_connections=pool_size, stale_timeout=300, timeout=10, **kwargs
        )
    raise ValueError(f"Unsupported database URL scheme: {parsed.scheme!r}")


def is_postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


@contextmanager
def write_transaction(*, durable: bool = True) -> Iterator[None]:
    """A transaction for a unit of work that writes.

    On SQLite it takes the write lock up front (BEGIN IMMEDIATE): two tablets
    racing for one serial then queue instead of both reading "in stock". Nested
    calls become savepoints. ``durable=False`` is for scratch work only (a cart edit):
    on PostgreSQL its commit does not wait for the disk (_ScratchCommits).
    """
    database = db.obj
    if isinstance(database, SqliteDatabase) and not database.in_transaction():
        with database.atomic("IMMEDIATE"):
            yield
    elif not durable and isinstance(database, _ScratchCommits) and not database.in_transaction():
        with database.atomic(durable=False):
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


class Prepared:
    """A read of fixed shape, composed into SQL once per kind of database, run many times.

    Peewee composes a query's SQL anew every time it runs: for the few reads every counter
    tap makes (the person and their store, the cart, its priced lines) that composing cost
    more than SQLite took to run them (docs/BENCHMARKS.md). A Prepared read is built once
    with a marker for each parameter; its SQL and the places of the markers among the
    parameters are kept, and each run only puts the values in. The rows come back as the
    query's own models, joins and all, exactly as if Peewee had composed it.

    On PostgreSQL the statement is also prepared on the server, once per connection
    (PREPARE, then EXECUTE): planning a join of five tables took longer than running it.
    Prepared statements live as long as their connection, so they need connections that
    are not shared between sessions behind our back (no PgBouncer in transaction mode).

    ``build`` takes the parameters by name and returns the query; ``kinds`` names each
    parameter's type (int, str, an aware datetime or a date). A parameter must reach the SQL
    as a bound value, as every comparison in a WHERE or ON clause and every value written
    does. The same works for the few writes of every tap (``write``).
    """

    _numbers = itertools.count(1)

    def __init__(self, build: Callable[..., Any], **kinds: type) -> None:
        self._build = build
        self._kinds = kinds
        self._composed: dict[type, tuple[Any, str, list[Any], list[tuple[int, str, bool]]]] = {}
        self._row_maps: dict[type, dict[str, Any]] = {}
        self._model: Any = None  # the query's model, found on first use
        self._columns: tuple[str, ...] = ()  # an insert_of's columns
        self._server_name = f"kiosk_read_{next(self._numbers)}"

    def _markers(self) -> dict[str, Any]:
        markers: dict[str, Any] = {}
        for number, (name, kind) in enumerate(self._kinds.items()):
            if kind is int:
                markers[name] = -(2**52) - number  # no id or count is ever this
            elif kind is str:
                markers[name] = f"\x1eprepared:{name}\x1e"
            elif kind is datetime:
                markers[name] = _FIRST_MOMENT + timedelta(microseconds=number + 1)
            elif kind is date:
                markers[name] = date(1, 1, 1) + timedelta(days=number + 1)
            else:
                raise TypeError(f"A prepared parameter is an int, str, datetime or date: {kind!r}")
        return markers

    def _compose(
        self, database: Database
    ) -> tuple[Any, str, list[Any], list[tuple[int, str, bool]]]:
        composed = self._composed.get(type(database))
        if composed is None:
            markers = self._markers()
            query = self._build(**markers)
            sql, params = query.sql()
            # A UTC field stores an aware moment as a plain UTC timestamp: look for both.
            at = {(type(v), v): (name, False) for name, v in markers.items()}
            at |= {
                (datetime, v.astimezone(UTC).replace(tzinfo=None)): (name, True)
                for name, v in markers.items()
                if isinstance(v, datetime)
            }
            slots = [
                (place, *at[(type(value), value)])
                for place, value in enumerate(params)
                if (type(value), value) in at
            ]
            missing = set(markers) - {name for _place, name, _naive in slots}
            if missing:
                raise ValueError(f"Parameters that never reach the SQL: {sorted(missing)}")
            composed = (query, sql, list(params), slots)
            self._composed[type(database)] = composed
        return composed

    def _on_server(self, database: Database, sql: str, count: int) -> str:
        """EXECUTE of this read's statement, prepared on this connection first if need be."""
        connection = database.connection()
        prepared = _SERVER_PREPARED.setdefault(connection, set())
        if self._server_name not in prepared:
            if "%%" in sql:
                raise ValueError("A prepared read cannot hold a literal %")
            pieces = sql.split("%s")
            body = "".join(f"{piece}${n}" for n, piece in enumerate(pieces[:-1], 1)) + pieces[-1]
            # On the driver's own cursor: PREPARE is bookkeeping, not one of the request's
            # statements (the query-count tests count those).
            with connection.cursor() as cursor:
                cursor.execute(f"PREPARE {self._server_name} AS {body}")
            prepared.add(self._server_name)
        return (
            f"EXECUTE {self._server_name} ({', '.join(['%s'] * count)})"
            if count
            else (f"EXECUTE {self._server_name}")
        )

    def _database(self) -> Database:
        """The database the query's model is bound to now (a restore binds its own file)."""
        if self._model is None:
            self._model = getattr(self._build(**self._markers()), "model", False)
        database = self._model._meta.database if self._model else db
        return database.obj if isinstance(database, DatabaseProxy) else database

    def _run(self, values: dict[str, Any]) -> tuple[Database, Any, Any]:
        database = self._database()
        query, sql, params, slots = self._compose(database)
        bound = list(params)
        for place, name, as_utc in slots:
            bound[place] = _bound(self._kinds[name], values[name], as_utc=as_utc)
        if isinstance(database, PostgresqlDatabase):
            sql = self._on_server(database, sql, len(bound))
        return database, query, database.execute_sql(sql, bound)

    def write(self, **values: Any) -> int:
        """Run a prepared INSERT (returns the new row's id) or UPDATE/DELETE (rows changed)."""
        database, query, cursor = self._run(values)
        if isinstance(query, peewee.Insert):
            if isinstance(database, PostgresqlDatabase):
                return cursor.fetchone()[0]  # Peewee asks for RETURNING id there
            return cursor.lastrowid
        return cursor.rowcount

    @classmethod
    def insert_of(cls, model: type[Model], *names: str) -> Prepared:
        """An INSERT of these columns of ``model``, for ``insert``."""
        kinds = {name: _kind_of(model._meta.fields[name]) for name in names}
        prepared = cls(lambda **row: model.insert(**row), **kinds)
        prepared._columns = names
        return prepared

    def insert(self, row: Model) -> Model:
        """Write a new model instance (built with its values, not saved) and give it its id."""
        row.id = self.write(**{name: row.__data__.get(name) for name in self._columns})
        return row

    def rows(self, **values: Any) -> list[Any]:
        """Every row, as the query's models (or whatever row type it was built with)."""
        database, query, cursor = self._run(values)
        wrapper = query._get_cursor_wrapper(cursor)
        # Peewee works out how each column maps onto the joined models for every cursor;
        # for one statement that answer never changes, so it is worked out once and kept.
        known = self._row_maps.get(type(database))
        if known is not None:
            wrapper.__dict__.update(known)
        # All rows are read at once: a half-read cursor would hold SQLite's snapshot.
        rows = list(wrapper)
        if known is None and wrapper.initialized:
            self._row_maps[type(database)] = {
                name: value for name, value in wrapper.__dict__.items() if name not in _PER_CURSOR
            }
        return rows

    def first(self, **values: Any) -> Any | None:
        """The first row, or None; the query itself should say LIMIT 1."""
        found = self.rows(**values)
        return found[0] if found else None


_FIRST_MOMENT = datetime(1, 1, 1, tzinfo=UTC)


def _kind_of(field: peewee.Field) -> type:
    """The parameter kind a column's values take (db.Prepared.insert_of)."""
    if isinstance(field, peewee.DateTimeField):
        return datetime
    if isinstance(field, peewee.DateField):
        return date
    if isinstance(field, peewee.BooleanField):
        raise TypeError(f"{field.name}: a flag has no marker of its own; write it as a constant")
    if isinstance(field, (peewee.ForeignKeyField, peewee.IntegerField)):
        return int
    if isinstance(field, (peewee.CharField, peewee.TextField)):
        return str
    raise TypeError(f"{field.name}: no prepared parameter kind for {type(field).__name__}")


def _bound(kind: type, value: Any, *, as_utc: bool) -> Any:
    """A parameter's value as the driver takes it, as the model's field would give it."""
    if value is None or kind in (date, datetime) and not as_utc:
        return value
    if as_utc:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC field")
        return value.astimezone(UTC).replace(tzinfo=None)
    return kind(value)


# What a Peewee cursor wrapper holds of its own cursor; the rest is the statement's row map.
_PER_CURSOR = frozenset({"cursor", "count", "index", "populated", "row_cache"})
# The statements prepared on each PostgreSQL connection, forgotten with the connection.
_SERVER_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
