"""A mail server that is down never costs a customer their work, nor a 500.

The account flows send mail after their transaction has committed; with SMTP down the action
stays saved, the person is told what happened where that reveals nothing to a stranger, and
the activation mail can be asked for again once the server is back.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.models import Customer, RateLimitHit, Registration
from tests.conftest import Mailbox, csrf_from, without_csrf
from tests.http.test_customers import (  # noqa: F401
    register_at_counter,
    sign_up,
    signed_in_before_activation,
    sold,
)


class Records(logging.Handler):
    """What the app logged (pytest's own log capture is off in this suite's runs)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        return "\n".join(record.getMessage() for record in self.records)


@pytest.fixture
def app_log(app: Flask) -> Iterator[Records]:
    handler = Records()
    level = app.logger.level
    app.logger.addHandler(handler)
    app.logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        app.logger.removeHandler(handler)
        app.logger.setLevel(level)


class Smtp:
    """The real loopback SMTP server of ``mailbox``, and a switch that takes it off the air."""

    def __init__(self, app: Flask, mailbox: Mailbox) -> None:
        self.app = app
        self.mailbox = mailbox
        self.port = app.config["SMTP_PORT"]

    def down(self) -> None:
        """Point the app at a loopback port nobody listens on: connection refused."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]  # closed again when the block ends
        self.app.config.update(SMTP_PORT=closed_port)

    def up(self) -> None:
        self.app.config.update(SMTP_PORT=self.port)


@pytest.fixture
def smtp(app: Flask, mailbox: Mailbox) -> Iterator[Smtp]:
    server = Smtp(app, mailbox)
    try:
        yield server
    finally:
        server.up()


@pytest.fixture
def smtp_down(smtp: Smtp) -> Smtp:
    smtp.down()
    return smtp


def ask_again(client: FlaskClient, email: str | None = None):  # noqa: ANN201
    page = client.get("/account/activation")
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.text)}
    if email is not None:
        data["email"] = email
    else:  # signed in: the form comes filled with the account's own email
        assert 'value="alva@example.com"' in page.text
        data["email"] = "alva@example.com"
    return client.post("/account/activation", data=data)


def test_sign_up_with_the_mail_server_down_keeps_the_account_and_says_the_mail_did_not_go(
    app, shop, smtp, mailbox, app_log
) -> None:
    smtp.down()
    phone = app.test_client()

    response = sign_up(phone)

    assert response.status_code == 503
    assert "could not send the email to alva@example.com right now" in response.text
    assert "Nothing is lost" in response.text and "Try again" in response.text
    assert Customer.select().where(Customer.email == "alva@example.com").count() == 1
    assert Customer.get(Customer.email == "alva@example.com").activated_at is None
    # Trying again while the server is down: the same answer, and still one account.
    again = sign_up(app.test_client())
    assert again.status_code == 503 and "could not send the email" in again.text
    assert Customer.select().count() == 1
    # The failure is logged as a warning, without the address.
    warnings = [r for r in app_log.records if r.levelno == logging.WARNING]
    assert warnings and "could not be sent" in warnings[0].getMessage()
    assert "alva" not in app_log.text().lower()
    assert mailbox.messages == []

    # The server is back: signing up again mails the owner, with a working activation link.
    smtp.up()
    retried = sign_up(phone)
    assert retried.status_code == 200 and "Check your email" in retried.text
    mail = mailbox.last_to("alva@example.com")
    assert mail["Subject"] == "Someone tried to create an account"
    link = mailbox.link_in(mail, "/account/activate/")
    assert phone.get(urlsplit(link).path).status_code == 302
    assert Customer.get(Customer.email == "alva@example.com").activated_at is not None
    assert Customer.select().count() == 1


def test_asking_again_while_the_server_is_still_down_says_so_to_the_account_holder(
    app, shop, smtp_down
) -> None:
    phone = app.test_client()
    signed_in_before_activation(phone)

    response = ask_again(phone)

    assert response.status_code == 503
    assert "could not send the email right now" in response.text
    assert Customer.get().activated_at is None


def test_asking_again_tells_a_stranger_nothing_about_which_emails_have_accounts(
    app, shop, smtp_down
) -> None:
    sign_up(app.test_client())  # alva@example.com exists, not active; the server is down
    stranger = app.test_client()

    known = ask_again(stranger, "alva@example.com")
    unknown = ask_again(stranger, "nobody@example.com")

    assert known.status_code == unknown.status_code == 200
    assert without_csrf(known.text) == without_csrf(unknown.text)
    assert "If that email has an account that is not active yet" in known.text


def test_asking_again_is_limited_per_email_and_needs_the_csrf_token(app, shop, mailbox) -> None:
    sign_up(app.test_client())
    mailbox.messages.clear()
    statuses = [ask_again(app.test_client(), "Alva@Example.com").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(mailbox.messages) == 3  # nobody can fill a stranger's inbox
    keys = [hit.key for hit in RateLimitHit.select()]
    assert any(key.startswith("activation:email:") for key in keys)
    assert not any("alva" in key for key in keys)  # the counter table keeps no address

    refused = app.test_client().post("/account/activation", data={"email": "alva@example.com"})
    assert refused.status_code == 400
    assert len(mailbox.messages) == 3


def test_an_active_account_asking_again_is_told_it_is_active(app, shop, mailbox) -> None:
    phone = app.test_client()
    sign_up(phone)
    link = mailbox.link_in(mailbox.last_to("alva@example.com"), "/account/activate/")
    phone.get(urlsplit(link).path)
    mailbox.messages.clear()

    response = ask_again(phone)

    assert response.status_code == 302
    assert "Your account is active already" in phone.get(response.headers["Location"]).text
    assert mailbox.messages == []


def test_forgotten_password_with_the_mail_server_down_answers_as_for_any_email(
    app, shop, smtp_down
) -> None:
    sign_up(app.test_client())
    version = Customer.get().session_version
    client = app.test_client()
    page = client.get("/account/forgot")

    known = client.post(
        "/account/forgot", data={"csrf_token": csrf_from(page.text), "email": "alva@example.com"}
    )
    unknown = client.post(
        "/account/forgot", data={"csrf_token": csrf_from(page.text), "email": "nobody@example.com"}
    )

    assert known.status_code == unknown.status_code == 200
    assert without_csrf(known.text) == without_csrf(unknown.text)
    assert "Nothing within a few minutes? Ask again later." in known.text
    assert Customer.get().session_version == version


def test_email_change_with_the_mail_server_down_says_so_and_a_retry_sends_the_link(
    app, shop, smtp, mailbox
) -> None:
    phone = app.test_client()
    signed_in_before_activation(phone)
    smtp.down()
    page = phone.get("/account/email")

    failed = phone.post(
        "/account/email", data={"csrf_token": csrf_from(page.text), "email": "new@example.com"}
    )

    assert failed.status_code == 503
    assert "could not send the link to this email right now" in failed.text
    assert Customer.get().email == "alva@example.com"  # nothing changes before the link is used

    smtp.up()
    retried = phone.post(
        "/account/email", data={"csrf_token": csrf_from(page.text), "email": "new@example.com"}
    )
    assert retried.status_code == 302
    path = urlsplit(mailbox.link_in(mailbox.last_to("new@example.com"), "/email/confirm/")).path
    assert phone.get(path).status_code == 200
    assert Customer.get().email == "new@example.com"


def test_the_development_outbox_log_line_names_no_recipient(app, shop, app_log, tmp_path) -> None:
    app.config.update(SMTP_HOST="", MAIL_OUTBOX_DIR=str(tmp_path))

    assert sign_up(app.test_client()).status_code == 200

    [written] = list(tmp_path.glob("*.eml"))
    assert b"alva@example.com" in written.read_bytes()
    assert str(written) in app_log.text()
    assert "alva" not in app_log.text().lower()


def test_counter_registration_with_mail_down_keeps_the_registration_and_says_so(
    client: FlaskClient,
    auth,
    shop,
    sold,  # noqa: F811 - the fixture imported above
    smtp_down: Smtp,
    app_log: Records,
) -> None:
    auth.enter_pin(shop.erik.id, "2222")
    response = register_at_counter(
        client, sold.sale, "walkin@example.com", "1985-06-01", follow_redirects=True
    )
    assert response.status_code == 200
    assert "the activation mail could not be sent now" in response.text
    assert "/account/activation" in response.text
    walkin = Customer.get(Customer.email == "walkin@example.com")
    assert Registration.select().where(Registration.customer == walkin).count() == 2
    assert "walkin@example.com" not in app_log.text()
