"""While the database is down, pages answer a clear 503; the app recovers by itself."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from kiosk import create_app, migrate
from kiosk.config import PROJECT_ROOT
from kiosk.db import open_database
from kiosk.demo import DEMO_PASSWORD, load_demo
from kiosk.extensions import db
from tests.conftest import csrf_from


def test_pages_answer_503_while_the_database_is_down_and_recover(tmp_path: Path) -> None:
    # A database file in a folder that does not exist yet: every connection fails.
    home = tmp_path / "not-yet"
    url = f"sqlite:///{home / 'kiosk.sqlite3'}"
    app: Flask = create_app({"TESTING": True, "DATABASE_URL": url})
    client = app.test_client()
    for path in ("/signin", "/", "/counter/", "/c/SOME-CODE"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "The database cannot be reached" in response.text
    # The database comes back; the same app, with no restart, serves again.
    home.mkdir()
    restored = open_database(url)
    with restored.connection_context():
        migrate.upgrade(restored, PROJECT_ROOT / "migrations")
    assert client.get("/signin").status_code == 200


def test_postgres_that_refuses_connections_gets_503() -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql://kiosk@127.0.0.1:1/x"})
    response = app.test_client().get("/signin")
    assert response.status_code == 503


def test_a_signed_in_tablet_gets_the_503_page_too(tmp_path: Path) -> None:
    """Found by the crash test: the error page asked for the signed-in person, from the
    database that was down, and so became a 500 itself."""
    url = f"sqlite:///{tmp_path / 'kiosk.sqlite3'}"
    up: Flask = create_app({"TESTING": True, "DATABASE_URL": url})
    with up.app_context(), db.connection_context():
        migrate.upgrade(db.obj, PROJECT_ROOT / "migrations")
        load_demo(days=1, stores=1, shelf=1)
    tablet = up.test_client()
    page = tablet.get("/signin").text
    signed_in = tablet.post(
        "/signin",
        data={"username": "erik", "password": DEMO_PASSWORD, "csrf_token": csrf_from(page)},
    )
    assert signed_in.status_code == 302
    assert tablet.get("/counter/").status_code == 200

    # The same deployment with its database unreachable, as in production (no TESTING, so an
    # error inside the error handler would be the bare 500 a tablet would get).
    down = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'gone' / 'kiosk.sqlite3'}"})
    same_tablet = down.test_client()
    same_tablet.set_cookie("kiosk_session", tablet.get_cookie("kiosk_session").value)
    for path in ("/counter/", "/swaps/", "/manager/"):
        response = same_tablet.get(path)
        assert response.status_code == 503, path
        # In the language of the tablet's store (Stockholm: Swedish), which cannot be read now.
        assert "Det går inte att nå databasen" in response.text, path
