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
    # DELETE beats TRUNCATE on tables this small (TRUNCATE pays a fixed cost per table).
    with db.connection_context(), db.atomic():
        for model in reversed(MODELS):
            db.execute_sql(f'DELETE FROM "{model._meta.table_name}"')  # noqa: S608


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    # No app context is held open across the test: each test-client request must get
    # its own, as in production (a shared ``g`` would leak state between requests).
    app = make_app(database_url)
    yield app
    wipe_database()


@pytest.fixture
def sqlite_app(sqlite_url: str) -> Iterator[Flask]:
    """The app on SQLite only, for what only SQLite has (its file: backups, PRAGMA checks)."""
    # Room for a test's own connection beside eight threads selling at once.
    app = make_app(sqlite_url, DB_POOL_SIZE=10)
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


def csrf_from(html: str) -> str:
    """The CSRF token a page carries, as a browser would send it back."""
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


def without_csrf(html: str) -> str:
    """The page with its CSRF tokens blanked: a token carries the second it was signed, so two
    answers a second apart differ there even when they say the same thing."""
    import re

    html = re.sub(r'(name="csrf_token"(?: type="hidden")? value=")[^"]+"', r'\1…"', html)
    return re.sub(r'("X-CSRFToken": ")[^"]+"', r'\1…"', html)


class AuthActions:
    """Signing in the way staff do: the tablet's password form, then PINs."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def sign_in(self, username: str, password: str = "correct horse"):  # noqa: ANN201
        page = self.client.get("/signin")
        return self.client.post(
            "/signin",
            data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
        )

    def enter_pin(self, staff_id: int, pin: str):  # noqa: ANN201
        page = self.client.get(f"/pin/{staff_id}")
        return self.client.post(
            f"/pin/{staff_id}", data={"pin": pin, "csrf_token": csrf_from(page.text)}
        )

    def lock(self):  # noqa: ANN201
        page = self.client.get("/pin")
        return self.client.post("/lock", data={"csrf_token": csrf_from(page.text)})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def shop(app: Flask):  # noqa: ANN201
    """A store with a manager (PIN 1111) and two staff (PINs 2222 and 3333)."""
    from types import SimpleNamespace

    from tests import factories as make

    store = make.store(name="Kiosk Test City")
    return SimpleNamespace(
        store=store,
        manager=make.staff(store, role="manager", pin="1111", username="maja", display_name="Maja"),
        erik=make.staff(store, pin="2222", username="erik", display_name="Erik"),
        sara=make.staff(store, pin="3333", username="sara", display_name="Sara"),
    )


class Mailbox:
    """A real SMTP server on loopback (aiosmtpd), keeping what it receives."""

    def __init__(self) -> None:
        from email import message_from_bytes, policy

        self.messages: list = []
        self._parse = lambda data: message_from_bytes(data, policy=policy.default)

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.messages.append(self._parse(envelope.original_content or envelope.content))
        return "250 OK"

    def last_to(self, address: str):  # noqa: ANN201
        found = [m for m in self.messages if address.lower() in m["To"].lower()]
        assert found, f"no mail to {address}"
        return found[-1]

    @staticmethod
    def link_in(message, path_part: str) -> str:  # noqa: ANN001
        import re

        body = message.get_content()
        links = [m for m in re.findall(r"https?://\S+", body) if path_part in m]
        assert links, f"no link with {path_part} in: {body}"
        return links[0]


@pytest.fixture
def mailbox(app: Flask) -> Iterator[Mailbox]:
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # aiosmtpd wants a port number, not 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    try:
        yield box
    finally:
        controller.stop()
        app.config.update(SMTP_HOST="")


@pytest.fixture
def sms_outbox(app: Flask, tmp_path: Path):  # noqa: ANN201
    """The development SMS outbox, in a folder of this test's own."""
    from tests.sms import SmsOutbox

    folder = tmp_path / "sms-outbox"
    app.config.update(SMS_GATEWAY_URL="", SMS_OUTBOX_DIR=str(folder))
    return SmsOutbox(folder)


@pytest.fixture
def sms_gateway(app: Flask):  # noqa: ANN201
    """A real HTTP server on loopback as the SMS provider; the app is configured for it."""
    from tests.sms import gateway_config, gateway_server

    with gateway_server() as gateway:
        app.config.update(gateway_config(gateway.url))
        yield gateway
    app.config.update(SMS_GATEWAY_URL="")
