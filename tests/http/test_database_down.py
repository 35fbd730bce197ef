"""While the database is down, pages answer a clear 503; the app recovers by itself."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from kiosk import create_app, migrate
from kiosk.config import PROJECT_ROOT
from kiosk.db import open_database


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
