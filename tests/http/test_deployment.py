"""Running behind the real front door: what the access log keeps, what links carry, and
whose address the limits count.

- Bearer secrets travel in URLs (claim QR, activation, reset and email-change links): the
  gunicorn access log blanks them, whichever URL rule they come from.
- Account links name the account by id and a keyed hash of the email, never the email itself.
- Behind a TLS proxy (``KIOSK_PROXY_HOPS``), each client keeps its own rate limits; without a
  trusted proxy, a forged ``X-Forwarded-For`` changes nothing.
"""

from __future__ import annotations

import base64
import json
import logging
import runpy
import sys
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask, url_for
from gunicorn.config import Config as GunicornConfig
from gunicorn.util import load_class

from kiosk.config import PROJECT_ROOT
from kiosk.gunicorn_logging import REDACTED, RedactingLogger, redact
from kiosk.models import Customer, RateLimitHit
from kiosk.services import claiming
from tests.conftest import Mailbox, csrf_from, make_app, wipe_database
from tests.http.test_customers import sign_up, signed_in_before_activation

SECRET = "Zq9xSECRETx_-4Kp2"  # what a claim secret, code or signed token looks like in a URL
SECRET_ARGUMENTS = {"token"}  # URL arguments that carry a bearer secret


def secret_rules(app: Flask) -> list:
    return [rule for rule in app.url_map.iter_rules() if SECRET_ARGUMENTS & rule.arguments]


def test_every_url_rule_with_a_secret_is_redacted_in_path_query_and_referer(app: Flask) -> None:
    rules = secret_rules(app)
    # The shapes the log has to know: if a new rule carries a token, this list grows with it.
    assert {rule.endpoint for rule in rules} == {
        "claim.open_token",
        "claim.confirm",
        "account.activate",
        "account.reset_password",
        "account.confirm_email",
    }
    with app.test_request_context():
        for rule in rules:
            for secret in (SECRET, "ABCD-EFGH", "eyJpZCI6MX0.aF3k9Q.Wm-_x"):
                path = url_for(rule.endpoint, token=secret)
                seen = [
                    redact(path),
                    redact(f"POST {path} HTTP/1.1"),
                    redact(f"https://kiosk.example{path}"),
                    redact("/account/signin?next=" + quote(path, safe="")),
                    redact(url_for("account.signup", next=path)),
                ]
                for line in seen:
                    assert secret not in line, (rule.rule, line)
                    assert REDACTED in line
                assert redact(path) == path.replace(secret, REDACTED)


def test_routes_without_secrets_are_logged_as_they_are(app: Flask) -> None:
    with app.test_request_context():
        for path in (
            url_for("claim.enter_code"),
            url_for("account.resend_activation"),
            url_for("account.change_email"),
            url_for("counter.claim_status", sale_id=42),
            "/static/js/kiosk.js",
        ):
            assert redact(path) == path


def test_the_gunicorn_access_log_blanks_a_claim_secret(tmp_path) -> None:
    config = GunicornConfig()
    config.set("accesslog", str(tmp_path / "access.log"))
    logger = RedactingLogger(config)
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/c/{SECRET}/claim",
        "PATH_INFO": f"/c/{SECRET}/claim",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://kiosk.example/c/{SECRET}",
        "HTTP_USER_AGENT": "Phone",
    }
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])

    logger.access(response, request, environ, timedelta(milliseconds=12))
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=12))

    for handler in logger.access_log.handlers:
        handler.flush()
    line = (tmp_path / "access.log").read_text(encoding="utf-8")
    assert SECRET not in line
    assert '"POST /c/…/claim HTTP/1.1" 200 512 "https://kiosk.example/c/…"' in line
    assert not [key for key, value in atoms.items() if isinstance(value, str) and SECRET in value]


def test_the_error_log_names_the_route_of_a_crash_not_its_secret(app: Flask) -> None:
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]
    app.logger.addHandler(handler)
    try:
        with app.test_request_context(f"/c/{SECRET}/claim", method="POST"):
            try:
                raise RuntimeError("boom")
            except RuntimeError:
                app.log_exception(sys.exc_info())  # what Flask calls for an unhandled error
    finally:
        app.logger.removeHandler(handler)
    assert lines and lines[0].startswith("Exception on /c/…/claim [POST]")
    assert not [line for line in lines if SECRET in line]


def test_gunicorn_conf_uses_the_redacting_logger() -> None:
    settings = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    assert load_class(settings["logger_class"]) is RedactingLogger
    assert settings["accesslog"]  # the access log stays on: it is only made safe


def signed_payload(token: str) -> dict:
    """What anyone holding a link can read: the base64 (perhaps zlib) part before the dots."""
    compressed = token.startswith(".")
    part = token.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def token_of(mailbox: Mailbox, to: str, route: str) -> str:
    return urlsplit(mailbox.link_in(mailbox.last_to(to), route)).path.rsplit("/", 1)[1]


def change_email(client, new_email: str):  # noqa: ANN001, ANN201
    page = client.get("/account/email")
    return client.post(
        "/account/email", data={"csrf_token": csrf_from(page.text), "email": new_email}
    )


def test_activation_link_works_and_carries_no_email(app, shop, mailbox) -> None:
    phone = app.test_client()
    sign_up(phone)
    token = token_of(mailbox, "alva@example.com", "/account/activate/")

    payload = signed_payload(token)

    assert "alva" not in json.dumps(payload).lower()
    assert payload["id"] == Customer.get().id
    assert phone.get(f"/account/activate/{token}").status_code == 302  # signed in, on its way
    assert Customer.get().activated_at is not None


def test_activation_link_stops_working_once_the_email_changed(app, shop, mailbox) -> None:
    phone = app.test_client()
    signed_in_before_activation(phone)
    old_link = token_of(mailbox, "alva@example.com", "/account/activate/")
    assert change_email(phone, "alva.new@example.com").status_code == 302
    phone.get("/account/email/confirm/" + token_of(mailbox, "alva.new@", "/email/confirm/"))
    assert Customer.get().email == "alva.new@example.com"

    response = phone.get(f"/account/activate/{old_link}")

    assert response.status_code == 400
    assert Customer.get().activated_at is None


def test_an_old_email_change_link_stops_working_after_the_email_changed(app, shop, mailbox) -> None:
    phone = app.test_client()
    signed_in_before_activation(phone)
    change_email(phone, "first@example.com")
    first = token_of(mailbox, "first@example.com", "/email/confirm/")
    assert "first" not in json.dumps(signed_payload(first))
    change_email(phone, "second@example.com")
    second = token_of(mailbox, "second@example.com", "/email/confirm/")
    # A newer request replaces the pending email: the first link is void already.
    assert phone.get(f"/account/email/confirm/{first}").status_code == 400
    assert phone.get(f"/account/email/confirm/{second}").status_code == 200
    assert Customer.get().email == "second@example.com"
    # Asked for the first address again: the old link was for the old current email, so it
    # stays void; only the new link changes it.
    change_email(phone, "first@example.com")
    again = token_of(mailbox, "first@example.com", "/email/confirm/")

    assert phone.get(f"/account/email/confirm/{first}").status_code == 400
    assert Customer.get().email == "second@example.com"
    assert Customer.get().pending_email == "first@example.com"
    assert phone.get(f"/account/email/confirm/{again}").status_code == 200
    assert Customer.get().email == "first@example.com"
    assert phone.get(f"/account/email/confirm/{again}").status_code == 400  # used once


FROZEN = datetime(2025, 3, 14, 10, 0, 5, tzinfo=UTC)  # one rate-limit window for the whole test


@pytest.fixture
def proxied_app(database_url: str) -> Iterator[Flask]:
    """The app as it runs behind one TLS proxy (KIOSK_PROXY_HOPS=1)."""
    app = make_app(database_url, PROXY_HOPS=1, CLOCK_NOW=FROZEN)
    yield app
    wipe_database()


def guess_codes(client, forwarded_for: str | None, count: int, prefix: str) -> list[int]:  # noqa: ANN001
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return [client.get(f"/c/{prefix}{n:04d}", headers=headers).status_code for n in range(count)]


def hits() -> dict[str, int]:
    return {
        row.key: row.hits for row in RateLimitHit.select() if row.key.startswith("claim:client")
    }


def test_behind_a_proxy_each_phone_has_its_own_claim_limit(proxied_app: Flask) -> None:
    limit = claiming.CLAIM_LIMIT_PER_CLIENT
    guesser, neighbour = proxied_app.test_client(), proxied_app.test_client()
    # The proxy appends the address it saw; the app takes the last one, the proxy's word.
    guesses = guess_codes(guesser, "10.9.9.9, 203.0.113.7", limit, "AAAA")
    assert set(guesses) == {404}
    assert guess_codes(guesser, "203.0.113.7", 1, "AAAB") == [429]

    assert guess_codes(neighbour, "198.51.100.20", 1, "BBBB") == [404]  # its normal answer

    assert hits() == {
        "claim:client:203.0.113.7": limit + 1,
        "claim:client:198.51.100.20": 1,
    }


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape_the_limit(
    app: Flask,
) -> None:
    app.config["CLOCK_NOW"] = FROZEN
    limit = claiming.CLAIM_LIMIT_PER_CLIENT
    client = app.test_client()
    for n in range(limit):
        assert guess_codes(client, f"203.0.113.{n}", 1, f"A{n:03d}") == [404]

    assert guess_codes(client, "198.51.100.20", 1, "BBBB") == [429]
    assert hits() == {"claim:client:127.0.0.1": limit + 1}
