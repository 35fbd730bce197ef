"""Other databases for a test: the kiosk pointed at another file, as an operator does with
``KIOSK_DATABASE_URL``, and the few ways a file can come to a restore or a check."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from flask import Flask
from playhouse.pool import PooledDatabase

from kiosk import create_app, migrate
from kiosk.extensions import db
from kiosk.models import Sale
from kiosk.services import cart as carts
from kiosk.services import sales
from tests import factories as make
from tests.conftest import MIGRATIONS


@contextmanager
def app_on(url: str, **config: object) -> Iterator[Flask]:
    """An app on another database; the test's own database is bound again afterwards.

    The database proxy is global, so the app fixture's cleanup would otherwise wipe the
    wrong database.
    """
    saved = db.obj
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SERVER_NAME": "kiosk.test", **config})
    try:
        yield app
    finally:
        release()
        db.initialize(saved)


def release() -> None:
    """Close every connection of the bound database: a stopped kiosk holds none."""
    if not db.is_closed():
        db.close()
    if isinstance(db.obj, PooledDatabase):
        db.obj.close_all()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sell(store, seller, *, serial: str | None = None, pack=None) -> Sale:  # noqa: ANN001
    """A sale as a tablet makes it: scan, two packs, the age check, Complete.

    Runs inside a request context (the services speak the store's language).
    """
    cart = carts.open_cart(store, seller)
    if serial:
        carts.add_device(cart, serial)
    if pack is not None:
        carts.add_product(cart, pack.id, 2)
    sales.record_age_check(
        cart, seller, method="document", document_type="passport", birth=date(1990, 5, 1)
    )
    done = sales.complete_sale(cart, seller, tender="card", idempotency_key=cart.idempotency_key)
    return done.sale


def store_database(path: Path) -> None:
    """A migrated store database with a sale in it, as the running kiosk leaves it."""
    with app_on(sqlite_url(path)) as app, app.test_request_context():
        with db.connection_context():
            migrate.upgrade(db.obj, MIGRATIONS)
        shop = make.store(code="BAK1", name="Backup Street")
        unit = make.device(shop, make.product("device"))
        sell(shop, make.staff(shop), serial=unit.serial)


def corrupt_an_index(path: Path) -> None:
    """Point the store-code index at another column: its entries no longer match the rows.

    SQLite's integrity check reports it; nothing else notices until a lookup goes wrong.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute(
            "UPDATE sqlite_master SET sql = replace(sql, '(\"code\")', '(\"name\")') "
            "WHERE name = 'store_code'"
        )
    finally:
        conn.close()


def rows(path: Path, sql: str, *params: object) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
