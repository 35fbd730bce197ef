"""Sessions an attacker cannot keep: sign-out ends them on the server, cookies hold no secrets.

Each test plays someone on the store's Wi-Fi who copied a session cookie before its owner
signed out, locked or handed the tablet on, and replays it from another browser.
"""

from __future__ import annotations

import base64
import json
import zlib

from flask import Flask
from flask.testing import FlaskClient

from kiosk.models import CartLine, ClaimToken, Sale, WebSession
from kiosk.services import claims
from tests import factories as make
from tests.conftest import AuthActions, csrf_from
from tests.http.test_counter import Counter, adult_birth_date
from tests.http.test_customers import signed_up

COOKIE = "kiosk_session"


def copy_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE, domain="kiosk.test")
    assert cookie is not None, "no session cookie to copy"
    return cookie.value


def replay(app: Flask, value: str) -> FlaskClient:
    """Another browser that sends the copied cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, value, domain="kiosk.test")
    return thief


def cookie_payload(value: str) -> str:
    """What the signed cookie says: Flask signs it, it does not encrypt it."""
    body = value.lstrip(".").split(".", 1)[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return (zlib.decompress(raw) if value.startswith(".") else raw).decode()


def test_a_tablet_cookie_copied_before_closing_the_kiosk_opens_nothing(
    app: Flask, client: FlaskClient, auth: AuthActions, shop
) -> None:
    make.device(shop.store, make.product("device"), serial="HDS200000")
    auth.sign_in("erik")
    counter = client.get("/counter/")
    assert counter.status_code == 200
    csrf = csrf_from(counter.text)
    copied = copy_cookie(client)
    pin_page = client.get("/pin")
    assert client.post("/signout", data={"csrf_token": csrf_from(pin_page.text)}).status_code == 302

    thief = replay(app, copied)
    for path in ("/counter/", "/swaps/", "/pin"):
        response = thief.get(path, follow_redirects=True)
        assert response.status_code == 200
        assert "Open the kiosk" in response.text, path  # the password sign-in page
        assert "Cart" not in response.text and "Who is at the counter?" not in response.text
    # An HTMX tap with the old cookie (and its valid CSRF token) goes to the sign-in page
    # too, and changes nothing.
    scanned = thief.post(
        "/counter/scan",
        data={"code": "HDS200000"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf},
    )
    assert scanned.status_code == 204 and "/signin" in scanned.headers["HX-Redirect"]
    assert not CartLine.select().exists()
    assert not WebSession.select().exists()


def test_a_cookie_copied_before_the_lock_does_not_reopen_the_persons_counter(
    app: Flask, client: FlaskClient, auth: AuthActions, shop
) -> None:
    auth.sign_in("erik")
    assert client.get("/counter/").status_code == 200
    copied = copy_cookie(client)
    auth.lock()
    # The tablet itself is still open at the PIN screen ...
    assert "Who is at the counter?" in client.get("/pin").text
    # ... but the copy of Erik's cookie is worth nothing: not his counter, not the PIN screen.
    thief = replay(app, copied)
    response = thief.get("/counter/", follow_redirects=True)
    assert "Open the kiosk" in response.text and "Erik" not in response.text
    assert WebSession.select().where(WebSession.staff.is_null(False)).count() == 0


def test_a_cookie_copied_before_a_colleague_switched_in_is_dead(
    app: Flask, client: FlaskClient, auth: AuthActions, shop
) -> None:
    auth.sign_in("erik")
    copied = copy_cookie(client)
    auth.lock()
    auth.enter_pin(shop.sara.id, "3333")
    assert "Sara" in client.get("/counter/").text
    assert "Open the kiosk" in replay(app, copied).get("/counter/", follow_redirects=True).text
    # One live session: Sara's, at this tablet.
    assert [row.staff_id for row in WebSession.select()] == [shop.sara.id]


def _customer_signed_up(client: FlaskClient) -> None:
    signed_up(client, "alva@example.com")  # signed in by opening the activation link


def test_a_customer_cookie_copied_before_sign_out_gets_the_sign_in_page(
    app: Flask, client: FlaskClient, shop
) -> None:
    _customer_signed_up(client)
    assert client.get("/account/data.json").status_code == 200
    copied = copy_cookie(client)
    home = client.get("/account/")
    assert (
        client.post("/account/signout", data={"csrf_token": csrf_from(home.text)}).status_code
        == 302
    )

    thief = replay(app, copied)
    data = thief.get("/account/data.json")
    assert data.status_code == 302 and "/account/signin" in data.headers["Location"]
    assert "alva@example.com" not in thief.get("/account/", follow_redirects=True).text
    assert not WebSession.select().exists()


def test_the_customers_other_phone_stays_signed_in_when_one_signs_out(
    app: Flask, client: FlaskClient, shop
) -> None:
    _customer_signed_up(client)
    other = app.test_client()
    page = other.get("/account/signin")
    other.post(
        "/account/signin",
        data={
            "csrf_token": csrf_from(page.text),
            "email": "alva@example.com",
            "password": "a long password",
        },
    )
    assert other.get("/account/data.json").status_code == 200
    home = client.get("/account/")
    client.post("/account/signout", data={"csrf_token": csrf_from(home.text)})
    assert other.get("/account/data.json").status_code == 200  # only this phone signed out


def test_the_tablet_cookie_holds_no_claim_secret_and_the_receipt_still_shows_the_qr(
    app: Flask, client: FlaskClient, auth: AuthActions, shop
) -> None:
    model = make.product("device")
    make.device(shop.store, model, serial="HDS100000")
    auth.sign_in("erik")
    tablet = Counter(client)
    tablet.scan("HDS100000")
    tablet.age_check(adult_birth_date(shop.store))
    receipt_url = tablet.complete().headers["HX-Redirect"]
    receipt = client.get(receipt_url)
    assert 'data-testid="claim-qr"' in receipt.text
    code = receipt.text.split('data-testid="claim-code">')[1].split("<")[0]
    payload = cookie_payload(copy_cookie(client))
    for kept in (code, claims.normalise_code(code)):
        assert kept not in payload, f"the session cookie carries {kept!r}: {payload}"
    assert "claims" not in json.loads(payload)

    sale = Sale.get()
    with app.app_context():
        secret = claims.open_secret(sale)
    assert secret is not None and claims.format_code(secret.code) == code
    assert secret.token not in payload
    # Nor in the database: hashes and a nonce, never the secret itself.
    row = ClaimToken.select().where(ClaimToken.sale == sale).dicts().get()
    for value in row.values():
        assert secret.token not in str(value) and secret.code not in str(value)

    # Shown again on a reload, and the big QR screen shows the same code.
    assert code in client.get(receipt_url).text
    assert code in client.get(receipt_url.replace("/receipt", "/claim")).text
