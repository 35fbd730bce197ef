"""Signing in and up with a mobile number and a code by SMS, over HTTP.

The codes travel the way they do in a store: the development outbox (a file per SMS), or a
real HTTP server on loopback playing the SMS provider. Nothing of ours is mocked.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import clock
from kiosk.models import AuditEvent, Customer, OneTimeCode, RateLimitHit
from tests import factories as make
from tests.conftest import csrf_from
from tests.sms import Gateway, SmsOutbox, gateway_config, gateway_server, refused_url

ALVA = "+46701740605"  # Sweden keeps 070-174 06 05 to 070-174 06 99 for fiction


class Phone:
    """One customer's phone: its own cookies and its own address (the per-client limits)."""

    def __init__(self, app: Flask, address: str = "10.0.0.1") -> None:
        self.client: FlaskClient = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = address

    def _post(self, path: str, **data: str):  # noqa: ANN202
        page = self.client.get(path)
        return self.client.post(path, data={"csrf_token": csrf_from(page.text), **data})

    def ask_signin_code(self, number: str):  # noqa: ANN201
        return self._post("/account/signin/mobile", mobile=number)

    def ask_signup_code(self, number: str, *, born: str = "1990-04-02", name: str = "Alva Berg"):  # noqa: ANN201
        return self._post(
            "/account/signup/mobile", mobile=number, name=name, birth_date=born, terms="y"
        )

    def type_code(self, code: str):  # noqa: ANN201
        return self._post("/account/code", code=code)

    def new_code(self):  # noqa: ANN201
        return self._post_from("/account/code", "/account/code/new")

    def _post_from(self, page_path: str, action: str):  # noqa: ANN202
        page = self.client.get(page_path)
        return self.client.post(action, data={"csrf_token": csrf_from(page.text)})

    def signed_in_as(self) -> str:
        home = self.client.get("/account/")
        assert home.status_code == 200, "not signed in"
        return home.text


def test_number_variants_find_one_account(app, shop, sms_outbox: SmsOutbox) -> None:
    alva = make.customer(email="alva@example.com", name="Alva Berg", mobile=ALVA)
    for n, typed in enumerate(["070-174 06 05", "+46 70 174 06 05", "0046701740605", "0701740605"]):
        phone = Phone(app, f"10.0.1.{n}")
        asked = phone.ask_signin_code(typed)
        assert asked.status_code == 302 and asked.headers["Location"].endswith("/account/code")
        code = sms_outbox.code_for(ALVA)  # every variant texts the one E.164 number
        signed_in = phone.type_code(code)
        assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/account/")
        assert "Hello, Alva Berg" in phone.signed_in_as()
    assert Customer.select().count() == 1
    assert {r.mobile for r in OneTimeCode.select()} == {ALVA}
    events = AuditEvent.select().where(AuditEvent.action == "customer.signed_in_by_code")
    assert [e.customer_id for e in events] == [alva.id] * 4


def test_an_unparseable_or_fixed_line_number_is_answered_at_the_field(app, shop, sms_outbox):
    phone = Phone(app)
    for typed in ["12", "not a number", "08-123 456 78", "+46 70 174 06"]:
        response = phone.ask_signin_code(typed)
        assert response.status_code == 422, typed
        assert 'id="mobile-error"' in response.text and "not a mobile number" in response.text
    assert not OneTimeCode.select().exists()
    assert not list(sms_outbox.folder.glob("*.sms"))


def test_sign_up_with_a_mobile_number_alone_makes_the_account_when_the_code_comes_back(
    app, shop, sms_outbox: SmsOutbox
) -> None:
    phone = Phone(app)
    asked = phone.ask_signup_code("070-174 06 05")
    assert asked.status_code == 302
    page = phone.client.get("/account/code")
    assert 'We sent a code by SMS to <span class="nowrap">+46 70 174 06 05</span>' in page.text
    assert not Customer.select().exists()  # nothing until the number is proved
    pending = OneTimeCode.get()
    assert pending.purpose == "signup" and json.loads(pending.details)["name"] == "Alva Berg"
    text = sms_outbox.last_to(ALVA)
    assert "to create your" in text and "valid for 10 minutes" in text
    code = sms_outbox.code_for(ALVA)
    assert code not in pending.code_hash and len(pending.code_hash) > 60  # stored hashed

    done = phone.type_code(code)

    assert done.status_code == 302
    assert OneTimeCode.get().details == "{}"  # the name and birth date left with the code
    alva = Customer.get()
    assert (alva.email, alva.mobile, alva.password_hash, alva.name) == (
        None,
        ALVA,
        None,
        "Alva Berg",
    )
    assert alva.activated_at is not None and alva.terms_accepted_at is not None
    assert alva.marketing_consent is False
    home = phone.signed_in_as()
    assert "You have never set a password." in home and "Add email" in home
    assert OneTimeCode.get().used_at is not None
    assert AuditEvent.get(AuditEvent.action == "customer.signed_up").customer_id == alva.id


def test_a_code_is_single_use_and_dies_after_ten_minutes(app, shop, sms_outbox) -> None:
    make.customer(email="alva@example.com", mobile=ALVA)
    phone = Phone(app)
    phone.ask_signin_code(ALVA)
    code = sms_outbox.code_for(ALVA)
    app.config["CLOCK_NOW"] = clock.now_utc() + timedelta(minutes=10, seconds=1)
    late = phone.type_code(code)
    assert late.status_code == 410 and "can no longer be used" in late.text
    app.config["CLOCK_NOW"] = None
    assert phone.client.get("/account/").status_code == 302  # not signed in

    phone.new_code()
    fresh = sms_outbox.code_for(ALVA)
    assert phone.type_code(fresh).status_code == 302
    other = Phone(app, "10.0.0.2")
    other.ask_signin_code(ALVA)
    # The same code a second time, on the same row: spent.
    spent = OneTimeCode.select().order_by(OneTimeCode.id)[1]  # the row ``fresh`` belongs to
    with other.client.session_transaction() as session:
        session["pending_code"] = {"id": spent.id, "next": "/account/"}
    assert other.type_code(fresh).status_code == 410


def test_five_wrong_codes_void_the_code(app, shop, sms_outbox) -> None:
    make.customer(email="alva@example.com", mobile=ALVA)
    phone = Phone(app)
    phone.ask_signin_code(ALVA)
    right = sms_outbox.code_for(ALVA)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    answers = [phone.type_code(wrong) for _ in range(5)]
    assert [a.status_code for a in answers] == [422, 422, 422, 422, 410]
    assert "4 tries left" in answers[0].text and "1 try left" in answers[3].text
    assert "last try" in answers[4].text
    assert OneTimeCode.get().attempts == 5

    too_late = phone.type_code(right)  # the right code, after five wrong ones

    assert too_late.status_code == 410 and "can no longer be used" in too_late.text
    assert phone.client.get("/account/").status_code == 302


def test_a_code_for_a_number_without_an_account_never_signs_anyone_in(
    app, shop, sms_outbox
) -> None:
    phone = Phone(app)
    asked = phone.ask_signin_code(ALVA)
    assert asked.status_code == 302
    text = sms_outbox.last_to(ALVA)
    assert "it has no account" in text and "/account/signup/mobile" in text
    row = OneTimeCode.get()
    assert row.customer_id is None and row.purpose == "signin"
    for guess in ("000000", "123456", "999999"):
        assert phone.type_code(guess).status_code == 422
    assert phone.client.get("/account/").status_code == 302


def _timed(call) -> tuple[float, object]:  # noqa: ANN001
    start = time.perf_counter()
    response = call()
    return time.perf_counter() - start, response


def _page(html: str, *variable: str) -> str:
    """A page as a stranger compares it: without what differs per request by design."""
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    for value in variable:
        html = html.replace(value, "…")
    return html


TRIES = 50
# Medians within this factor: a real difference (a password hash, an SMS call of 40 ms, on a
# request of a few milliseconds) is several times over it; scheduling noise is not.
SAME_SPEED = 1.6


def test_a_known_and_an_unknown_number_get_the_same_answer_at_the_same_speed(app, shop) -> None:
    known = [f"+4670{1000000 + n:07d}" for n in range(TRIES)]
    unknown = [f"+4670{2000000 + n:07d}" for n in range(TRIES)]
    for number in known:
        make.customer(mobile=number)
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    answers: dict[str, set[tuple]] = {"known": set(), "unknown": set()}
    # A provider that takes 40 ms: skipping the SMS for one kind of number would show.
    with gateway_server(delay=0.04) as gateway:
        app.config.update(gateway_config(gateway.url))
        for n in range(TRIES):
            for kind, number in (("known", known[n]), ("unknown", unknown[n])):
                phone = Phone(app, f"10.1.{n}.{1 if kind == 'known' else 2}")
                page = phone.client.get("/account/signin/mobile")
                form = {"csrf_token": csrf_from(page.text), "mobile": number}
                took, response = _timed(
                    lambda p=phone, f=form: p.client.post("/account/signin/mobile", data=f)
                )
                code_page = phone.client.get("/account/code").text.replace(
                    number[3:5] + " " + number[5:8], "NN NNN"
                )
                answers[kind].add(
                    (response.status_code, response.headers.get("Location"), len(code_page))
                )
                times[kind].append(took)
        assert len(gateway.received) == 2 * TRIES  # one SMS each, account or not
    assert answers["known"] == answers["unknown"]
    assert len(answers["known"]) == 1
    known_median = statistics.median(times["known"])
    unknown_median = statistics.median(times["unknown"])
    assert known_median >= 0.04 and unknown_median >= 0.04  # both waited for the provider
    ratio = max(known_median, unknown_median) / min(known_median, unknown_median)
    assert ratio < SAME_SPEED, (known_median, unknown_median)


def test_a_known_and_an_unknown_email_get_the_same_sign_up_answer_at_the_same_speed(
    app, shop, mailbox
) -> None:
    for n in range(TRIES):
        make.customer(email=f"owner{n}@example.com", name=f"Owner {n}")
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    answers: dict[str, set[tuple]] = {"known": set(), "unknown": set()}
    for n in range(TRIES):
        for kind in ("known", "unknown"):
            email = f"{'owner' if kind == 'known' else 'new'}{n}@example.com"
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.2.{n}.{1 if kind == 'known' else 2}"
            page = client.get("/account/signup")
            form = {
                "csrf_token": csrf_from(page.text),
                "email": email,
                "password": "a long password",
                "name": "Alva Berg",
                "birth_date": "1990-04-02",
                "terms": "y",
            }
            took, response = _timed(lambda c=client, f=form: c.post("/account/signup", data=f))
            answers[kind].add((response.status_code, _page(response.text, email)))
            with client.session_transaction() as session:
                assert "_user_id" not in session  # nobody is signed in by a sign-up
            times[kind].append(took)
    assert answers["known"] == answers["unknown"] and len(answers["known"]) == 1
    ratio = max(map(statistics.median, times.values())) / min(
        map(statistics.median, times.values())
    )
    assert ratio < SAME_SPEED, {k: statistics.median(v) for k, v in times.items()}
    # Each owner of a known email was told; each new email got its activation link.
    owner_mail = mailbox.last_to("owner7@example.com")
    assert owner_mail["Subject"] == "Someone tried to create an account"
    assert "You have one already" in owner_mail.get_content()
    assert mailbox.last_to("new7@example.com")["Subject"] == "Activate your account"
    assert Customer.select().count() == 2 * TRIES
    assert Customer.get(Customer.email == "owner7@example.com").name == "Owner 7"  # untouched


def test_sending_codes_is_limited_per_number_and_per_client(app, shop, sms_outbox) -> None:
    # Per number: five an hour, from any number of phones.
    statuses = [Phone(app, f"10.3.0.{n}").ask_signin_code(ALVA).status_code for n in range(6)]
    assert statuses == [302] * 5 + [429]
    assert len(sms_outbox.messages(ALVA)) == 5
    # Per client: ten an hour, whatever the numbers.
    phone = Phone(app, "10.3.1.1")
    numbers = [f"+4670{3000000 + n:07d}" for n in range(11)]
    answers = [phone.ask_signin_code(number) for number in numbers]
    assert [a.status_code for a in answers] == [302] * 10 + [429]
    assert "Too many attempts" in answers[-1].text and 'id="mobile-error"' in answers[-1].text
    assert not sms_outbox.messages(numbers[-1])
    keys = [hit.key for hit in RateLimitHit.select()]
    assert not any("4670" in key for key in keys)  # the counters keep no number


def test_typing_codes_is_limited_per_client_across_codes(app, shop, sms_outbox) -> None:
    make.customer(mobile=ALVA)
    phone = Phone(app, "10.4.0.1")
    phone.ask_signin_code(ALVA)
    statuses = [phone.type_code("000000").status_code for _ in range(30)]
    assert 429 not in statuses
    phone.new_code()
    right = sms_outbox.code_for(ALVA)
    blocked = phone.type_code(right)
    assert blocked.status_code == 429 and "Too many attempts" in blocked.text
    assert phone.client.get("/account/").status_code == 302
    # Another phone is not held up by this one.
    other = Phone(app, "10.4.0.2")
    other.ask_signin_code(ALVA)
    assert other.type_code(sms_outbox.code_for(ALVA)).status_code == 302


def test_the_gateway_gets_46elks_style_fields_with_basic_auth(
    app, shop, sms_gateway: Gateway
) -> None:
    make.customer(mobile=ALVA)
    phone = Phone(app)
    assert phone.ask_signin_code("070-174 06 05").status_code == 302
    got = sms_gateway.last_to(ALVA)
    assert got.path == "/a1/sms"
    assert got.form["from"] == "KioskTest"
    assert got.headers["Authorization"] == "Basic dTAxMjM0NTY3ODk6Z2F0ZXdheS1zZWNyZXQ="
    assert got.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert phone.type_code(sms_gateway.code_for(ALVA)).status_code == 302


@pytest.mark.parametrize("trouble", ["refused", "answers after 10 s", "HTTP 500"])
def test_a_gateway_down_or_slow_costs_no_500_loses_nothing_and_the_person_is_told(
    app, shop, trouble: str
) -> None:
    with gateway_server() as good, gateway_server(delay=10, status=200) as slow:
        bad_url = {
            "refused": refused_url(),
            "answers after 10 s": slow.url,
            "HTTP 500": good.url,
        }[trouble]
        app.config.update(gateway_config(bad_url, SMS_TIMEOUT=2))
        if trouble == "HTTP 500":
            good.status = 500
        phone = Phone(app)

        took, asked = _timed(lambda: phone.ask_signup_code("070-174 06 05"))

        assert asked.status_code == 302 and took < 6  # the timeout, not the gateway's 10 s
        page = phone.client.get("/account/code")
        assert page.status_code == 200
        assert "We could not send the SMS right now. Nothing is lost" in page.text
        assert not Customer.select().exists()
        kept = OneTimeCode.get()
        assert json.loads(kept.details) == {
            "name": "Alva Berg",
            "birth_date": "1990-04-02",
            "marketing": False,
        }

        # The provider is back: "Send a new code" sends one for the same sign-up.
        good.status = 200
        good.received.clear()
        app.config.update(SMS_GATEWAY_URL=good.url)
        resent = phone.new_code()
        assert resent.status_code == 302
        assert "A new code is on its way." in phone.client.get("/account/code").text
        assert OneTimeCode.get_by_id(kept.id).used_at is not None  # the old one is void
        assert phone.type_code(good.code_for(ALVA)).status_code == 302
    alva = Customer.get()
    assert (alva.mobile, alva.name, str(alva.birth_date)) == (ALVA, "Alva Berg", "1990-04-02")


def test_adding_a_mobile_to_an_account_needs_its_code_and_then_signs_in(
    app, shop, sms_outbox
) -> None:
    mika = make.customer(email="mika@example.com", name="Mika Member")
    phone = Phone(app)
    signed = phone._post("/account/signin", email="mika@example.com", password="customer password")
    assert signed.status_code == 302
    asked = phone._post("/account/mobile", mobile="070 174 06 05")
    assert asked.status_code == 302
    assert Customer.get_by_id(mika.id).mobile is None  # not before the code
    done = phone.type_code(sms_outbox.code_for(ALVA))
    assert done.status_code == 302 and done.headers["Location"].endswith("/account/details")
    assert Customer.get_by_id(mika.id).mobile == ALVA
    assert "+46 70 174 06 05" in phone.client.get("/account/details").text
    assert AuditEvent.get(AuditEvent.action == "customer.mobile_verified").customer_id == mika.id

    # From now on the number signs in.
    other = Phone(app, "10.5.0.2")
    other.ask_signin_code("0701740605")
    assert other.type_code(sms_outbox.code_for(ALVA)).status_code == 302
    assert "Hello, Mika Member" in other.signed_in_as()


def test_a_number_on_another_account_is_not_taken_over(app, shop, sms_outbox) -> None:
    make.customer(email="first@example.com", mobile=ALVA)
    make.customer(email="second@example.com")
    phone = Phone(app)
    phone._post("/account/signin", email="second@example.com", password="customer password")
    phone._post("/account/mobile", mobile=ALVA)
    refused = phone.type_code(sms_outbox.code_for(ALVA))
    assert refused.status_code == 409 and "belongs to another account" in refused.text
    assert Customer.get(Customer.email == "second@example.com").mobile is None


def test_sign_up_with_a_number_that_has_an_account_tells_its_owner_and_makes_none(
    app, shop, sms_outbox
) -> None:
    make.customer(email="alva@example.com", mobile=ALVA)
    phone = Phone(app)
    asked = phone.ask_signup_code(ALVA, name="Someone Else")
    assert asked.status_code == 302  # the same answer as for a new number
    text = sms_outbox.last_to(ALVA)
    assert "which has one already" in text and "/account/signin/mobile" in text
    assert phone.type_code("123456").status_code == 422
    assert Customer.select().count() == 1


def test_a_mobile_only_customer_sets_a_password_adds_an_email_and_signs_in_with_them(
    app, shop, sms_outbox, mailbox
) -> None:
    phone = Phone(app)
    phone.ask_signup_code(ALVA)
    phone.type_code(sms_outbox.code_for(ALVA))
    page = phone.client.get("/account/password")
    assert "You have never set a password" in page.text and 'name="current"' not in page.text
    assert phone._post("/account/password", password="my new password").status_code == 302
    assert phone._post("/account/email", email="alva@example.com").status_code == 302
    link = mailbox.link_in(mailbox.last_to("alva@example.com"), "/email/confirm/")
    assert phone.client.get(urlsplit(link).path).status_code == 200
    alva = Customer.get()
    assert (alva.email, alva.mobile) == ("alva@example.com", ALVA)

    laptop = Phone(app, "10.6.0.2")
    signed = laptop._post("/account/signin", email="alva@example.com", password="my new password")
    assert signed.status_code == 302
    assert AuditEvent.get(AuditEvent.action == "customer.password_set").customer_id == alva.id
    # A second "first password" cannot overwrite the one set now.
    again = phone._post("/account/password", password="somebody else's")
    assert again.status_code in (302, 401, 422)
    assert (
        laptop._post(
            "/account/signin", email="alva@example.com", password="my new password"
        ).status_code
        == 302
    )


def test_expired_codes_and_their_sign_up_details_are_purged(app, shop, runner, sms_outbox):
    phone = Phone(app)
    phone.ask_signup_code(ALVA)
    assert OneTimeCode.select().count() == 1
    app.config["CLOCK_NOW"] = clock.now_utc() + timedelta(days=1, minutes=11)
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "1 expired SMS codes removed" in result.output
    assert not OneTimeCode.select().exists()
