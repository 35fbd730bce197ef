"""The kiosk speaks the store's language; before a store is known, the browser's.

Translations show only from the compiled catalogue (messages.mo, not in git). ``make test``
compiles it first; so that ``pytest`` alone works too, this module compiles any catalogue
whose .mo is missing or older than its .po when it is imported, which is at collection,
before any test has made a request (Flask-Babel caches a loaded catalogue for the process).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from kiosk.config import PROJECT_ROOT
from tests.conftest import csrf_from

TRANSLATIONS = Path(PROJECT_ROOT) / "kiosk" / "translations"


def compile_stale_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile each messages.po whose .mo is missing or older; return the .mo files written."""
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po:
            catalog = read_po(po, locale=po_path.parent.parent.name)
        # Written aside and renamed, so parallel workers never read a half-written file.
        partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}.tmp")
        with partial.open("wb") as mo:
            write_mo(mo, catalog)  # fuzzy entries are left out, as `pybabel compile` does
        os.replace(partial, mo_path)
        written.append(mo_path)
    return written


compile_stale_catalogues()


def _door_titles(html: str) -> list[str]:
    return re.findall(r'<span class="door__title">([^<]*)</span>', html)


def _html_lang(html: str) -> str | None:
    match = re.search(r'<html lang="([^"]+)"', html)
    return match.group(1) if match else None


def _store_speaks(shop, language: str) -> None:
    shop.store.language = language
    shop.store.save()


def test_swedish_store_shows_the_home_screen_in_swedish(client: FlaskClient, auth, shop) -> None:
    _store_speaks(shop, "sv")
    assert auth.sign_in("erik").status_code == 302
    # The store's setting wins over the browser's.
    home = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert home.status_code == 200
    assert _html_lang(home.text) == "sv"
    assert _door_titles(home.text) == ["Sälj", "Byte", "Lager"]
    assert "Varukorg, ålderskontroll, kvitto" in home.text
    assert "Erik · Personal" in home.text
    assert ">Lås<" in home.text
    assert "Sell" not in home.text


def test_english_store_shows_the_home_screen_in_english(client: FlaskClient, auth, shop) -> None:
    _store_speaks(shop, "en")
    assert auth.sign_in("erik").status_code == 302
    home = client.get("/", headers={"Accept-Language": "sv-SE,sv;q=0.9"})
    assert home.status_code == 200
    assert _html_lang(home.text) == "en"
    assert _door_titles(home.text) == ["Sell", "Swap", "Stock"]
    assert "Erik · Staff" in home.text
    assert "Sälj" not in home.text


def test_swedish_manager_sees_reports_and_role_in_swedish(client: FlaskClient, auth, shop) -> None:
    _store_speaks(shop, "sv")
    auth.sign_in("maja")
    home = client.get("/")
    assert _door_titles(home.text) == ["Sälj", "Byte", "Lager", "Rapporter", "Sortiment"]
    assert "Maja · Butikschef" in home.text


def test_swedish_plural_in_a_wrong_pin_message(client: FlaskClient, auth, shop) -> None:
    _store_speaks(shop, "sv")
    auth.sign_in("erik")
    auth.lock()
    response = auth.enter_pin(shop.sara.id, "9999")
    assert response.status_code == 401
    assert "Fel PIN-kod. 4 försök kvar innan PIN-koden spärras i 5 minuter." in response.text


@pytest.mark.parametrize(
    ("accept_language", "lang", "heading", "button"),
    [
        ("sv-SE,sv;q=0.9,en;q=0.8", "sv", "Öppna kiosken", "Logga in"),
        ("sv", "sv", "Öppna kiosken", "Logga in"),
        ("en-GB,en;q=0.9", "en", "Open the kiosk", "Sign in"),
        ("de-DE,de;q=0.9", "en", "Open the kiosk", "Sign in"),  # not offered: English
        (None, "en", "Open the kiosk", "Sign in"),
    ],
)
def test_sign_in_page_follows_the_browser_language(
    client: FlaskClient, shop, accept_language: str | None, lang: str, heading: str, button: str
) -> None:
    # The store is Swedish, but before anyone signs in the tablet knows no store yet.
    _store_speaks(shop, "sv")
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = client.get("/signin", headers=headers)
    assert page.status_code == 200
    assert _html_lang(page.text) == lang
    assert f"<h1>{heading}</h1>" in page.text
    assert f">{button}</button>" in page.text


def test_swedish_sign_in_errors_and_labels(client: FlaskClient, shop) -> None:
    headers = {"Accept-Language": "sv-SE"}
    page = client.get("/signin", headers=headers)
    assert "Användarnamn" in page.text and "Lösenord" in page.text  # lazy form labels
    response = client.post(
        "/signin",
        headers=headers,
        data={"username": "erik", "password": "wrong", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 401
    assert "Fel användarnamn eller lösenord." in response.text
