"""Staff sign-in over HTTP: the tablet's password, PIN switching, lockout, roles and bad input."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from kiosk import clock
from kiosk.models import AuditEvent, Staff
from tests.conftest import csrf_from


def _actions() -> list[str]:
    return [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]


def test_staff_signs_in_and_reaches_the_home_screen(client: FlaskClient, auth, shop) -> None:
    response = auth.sign_in("erik")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Sell" in home.text and "Erik" in home.text
    assert "Reports" not in home.text  # plain staff have no reports door
    assert _actions() == ["staff.signed_in"]


def test_wrong_password_and_unknown_user_get_the_same_clear_message(auth, shop) -> None:
    wrong = auth.sign_in("erik", "not the password")
    unknown = auth.sign_in("nobody", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong username or password." in response.text
    assert _actions() == ["staff.sign_in_failed", "staff.sign_in_failed"]


def test_over_long_username_is_answered_at_the_field(client: FlaskClient, shop) -> None:
    page = client.get("/signin")
    response = client.post(
        "/signin",
        data={"username": "e" * 500, "password": "x", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 400
    assert "A username is at most 64 characters." in response.text


def test_sign_in_without_csrf_token_is_refused(client: FlaskClient, shop) -> None:
    response = client.post("/signin", data={"username": "erik", "password": "correct horse"})
    assert response.status_code == 400
    assert "This form has expired" in response.text
    assert not AuditEvent.select().exists()


def test_session_is_renewed_at_sign_in(client: FlaskClient, auth, shop) -> None:
    client.get("/signin")
    with client.session_transaction() as before:
        before["planted"] = "by an attacker"
    auth.sign_in("erik")
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("sid")


def test_next_redirect_stays_on_our_site(client: FlaskClient, shop) -> None:
    for target, expected in [
        ("/manager/", "/manager/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
    ]:
        page = client.get("/signin")
        response = client.post(
            f"/signin?next={target}",
            data={
                "username": "maja",
                "password": "correct horse",
                "csrf_token": csrf_from(page.text),
            },
        )
        assert response.headers["Location"] == expected, target
        client.post("/signout", data={"csrf_token": csrf_from(client.get("/pin").text)})


def test_pin_switches_to_a_colleague(client: FlaskClient, auth, shop) -> None:
    auth.sign_in("erik")
    auth.lock()
    pin_screen = client.get("/pin")
    assert "Sara" in pin_screen.text and "Maja" in pin_screen.text
    response = auth.enter_pin(shop.sara.id, "3333")
    assert response.status_code == 302
    assert "Sara" in client.get("/").text


def test_pin_with_letters_is_refused_at_the_field(auth, shop) -> None:
    auth.sign_in("erik")
    response = auth.enter_pin(shop.sara.id, "12ab")
    assert response.status_code == 400
    assert "A PIN has digits only." in response.text
    assert Staff.get_by_id(shop.sara.id).failed_pin_attempts == 0


def test_five_wrong_pins_lock_that_person_for_five_minutes(app: Flask, client, auth, shop):
    auth.sign_in("erik")
    auth.lock()
    statuses = [auth.enter_pin(shop.sara.id, "9876").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 423]
    sara = Staff.get_by_id(shop.sara.id)
    assert sara.pin_locked_until > clock.now_utc() + timedelta(minutes=4)
    # Even the right PIN is refused while locked, with a message that says so.
    right = auth.enter_pin(shop.sara.id, "3333")
    assert right.status_code == 423 and "Try again in 5 minutes" in right.text
    # A colleague is not affected.
    assert auth.enter_pin(shop.manager.id, "1111").status_code == 302
    assert "staff.pin_locked" in _actions()
    # Five minutes later Sara is let in again.
    app.config["CLOCK_NOW"] = clock.now_utc() + timedelta(minutes=5, seconds=1)
    assert client.get("/").headers["Location"] == "/pin?idle=1"  # the manager idled out
    assert auth.enter_pin(shop.sara.id, "3333").status_code == 302


def test_plain_staff_get_403_on_a_manager_page(client: FlaskClient, auth, shop) -> None:
    auth.sign_in("erik")
    response = client.get("/manager/")
    assert response.status_code == 403
    assert "This page is not for your role" in response.text
    refused = AuditEvent.get(AuditEvent.action == "staff.role_refused")
    assert refused.staff_id == shop.erik.id
    assert json.loads(refused.details)["endpoint"] == "manager.replacements"


def test_manager_reaches_the_manager_page(client: FlaskClient, auth, shop) -> None:
    auth.sign_in("maja")
    assert client.get("/manager/").status_code == 200


def test_staff_page_without_anyone_signed_in_goes_to_sign_in_or_pin(client, auth, shop):
    response = client.get("/manager/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")
    auth.sign_in("erik")
    auth.lock()
    locked = client.get("/")
    assert locked.status_code == 302 and locked.headers["Location"] == "/pin"


def test_idle_tablet_locks_and_work_is_found_again(app: Flask, client, auth, shop) -> None:
    auth.sign_in("erik")
    client.get("/manager/?day=2026-01-01")  # 403 for staff; use a page Erik may see
    client.get("/")
    app.config["CLOCK_NOW"] = clock.now_utc() + timedelta(seconds=shop.store.idle_lock_seconds + 1)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/pin?idle=1"
    back = auth.enter_pin(shop.erik.id, "2222")
    assert back.headers["Location"] == "/"


def test_an_overlong_address_never_swells_the_session_past_what_browsers_keep(
    app: Flask, client, auth, shop
) -> None:
    auth.sign_in("erik")
    client.get("/counter/")
    # A mistyped or forged query string thousands of characters long, then an idle lock.
    client.get("/swaps/", query_string={"serial": secrets.token_urlsafe(3000)})  # no zlib help
    app.config["CLOCK_NOW"] = clock.now_utc() + timedelta(seconds=shop.store.idle_lock_seconds + 1)
    locked = client.get("/")
    assert locked.headers["Location"] == "/pin?idle=1"
    cookie = locked.headers["Set-Cookie"]  # the lock wrote the session: where to come back to
    assert cookie.startswith(app.config["SESSION_COOKIE_NAME"]) and len(cookie) < 1000
    back = auth.enter_pin(shop.erik.id, "2222")
    assert back.headers["Location"] == "/counter/"  # the last page that fits is kept


def test_password_attempts_are_rate_limited(auth, shop) -> None:
    statuses = [auth.sign_in("erik", "wrong").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    # Even the right password waits out the window: a success never resets the counter.
    assert auth.sign_in("erik").status_code == 429


def test_every_page_carries_the_security_headers(client: FlaskClient, shop) -> None:
    for url in ("/signin", "/pin", "/no-such-page"):
        response = client.get(url)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_samesite(client: FlaskClient, auth, shop) -> None:
    response = auth.sign_in("erik")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
