"""The world the tests run in: an app on SQLite and on PostgreSQL, and people to sign in.

Every test that takes ``app`` (or anything built on it) runs twice: once on a
SQLite file in WAL mode and once on a throwaway PostgreSQL database that the
session creates and drops.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from flask import Flask
from flask.testing import FlaskClient

os.environ.setdefault("KIOSK_INSTANCE_PATH", tempfile.mkdtemp(prefix="kiosk-test-instance-"))
os.environ.setdefault("KIOSK_SECRET_KEY", "test-only-" + uuid.uuid4().hex)

from kiosk import create_app, migrate  # noqa: E402
from kiosk.config import PROJECT_ROOT  # noqa: E402
from kiosk.extensions import db  # noqa: E402
from kiosk.models import MODELS  # noqa: E402

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
MIGRATIONS = PROJECT_ROOT / "migrations"


def _pg_admin(sql: str) -> None:
    conn = psycopg2.connect(**PG_ADMIN)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"kiosk_test_{worker}_{uuid.uuid4().hex[:8]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        db.close() if not db.is_closed() else None
        if hasattr(db.obj, "close_all"):
            db.obj.close_all()
        _pg_admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'kiosk.sqlite3'}"


_migrated: set[str] = set()


def make_app(database_url: str, **overrides: object) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SERVER_NAME": "kiosk.test",
            **overrides,
        }
    )
    if database_url not in _migrated:
        with db.connection_context():
            migrate.upgrade(db.obj, MIGRATIONS)
        _migrated.add(database_url)
    return app


def wipe_database() -> None:
    """Empty every table, so each test starts from nothing without re-migrating."""
    with db.connection_context():
        tables = [m._meta.table_name for m in reversed(MODELS)]
        if db.obj.__class__.__name__.startswith(("Postgres", "Pooled")):
            db.execute_sql(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            )
        else:
            with db.atomic():
                for table in tables:
                    db.execute_sql(f'DELETE FROM "{table}"')  # noqa: S608


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = make_app(database_url)
    with app.app_context():
        yield app
    wipe_database()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # noqa: ANN201
    return app.test_cli_runner()


@pytest.fixture
def migrations_dir() -> Path:
    return MIGRATIONS
