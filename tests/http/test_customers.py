"""Customers over HTTP: claiming by QR, accounts over real SMTP, vouchers, linking, deletion."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import clock
from kiosk.models import (
    AuditEvent,
    Claim,
    ClaimToken,
    Customer,
    Device,
    Registration,
    Sale,
    SaleLine,
    Voucher,
)
from kiosk.services import accounts, claims, registrations, signup
from tests import factories as make
from tests.conftest import AuthActions, csrf_from
from tests.http.test_counter import Counter, adult_birth_date


@pytest.fixture
def sold(app: Flask, client: FlaskClient, auth: AuthActions, shop):  # noqa: ANN201
    """A completed sale of two devices and a pack, and the claim code the receipt printed."""
    model = make.product("device", name="Heat Device One", price=49900)
    sticks = make.product("consumable", name="Sticks Amber", price=6500)
    make.stock(shop.store, sticks, 20)
    for i in range(2):
        make.device(shop.store, model, serial=f"HDX20000{i}")
    auth.sign_in("erik")
    tablet = Counter(client)
    tablet.scan("HDX200000")
    tablet.scan("HDX200001")
    tablet.age_check(adult_birth_date(shop.store))
    done = tablet.complete()
    receipt = client.get(done.headers["HX-Redirect"])
    code = receipt.text.split('data-testid="claim-code">')[1].split("<")[0]
    with app.app_context():  # the secret the receipt's QR encodes, derived as it does
        token = claims.open_secret(Sale.get()).token
    auth.lock()
    return SimpleNamespace(sale=Sale.get(), code=code, tablet=tablet, sticks=sticks, token=token)


def phone(app: Flask) -> FlaskClient:
    return app.test_client()


def sign_up(
    client: FlaskClient,
    email: str = "Alva@Example.com",
    *,
    born: str = "1990-04-02",
    next_url: str = "",
):  # noqa: ANN201
    page = client.get("/account/signup")
    return client.post(
        f"/account/signup?next={next_url}",
        data={
            "csrf_token": csrf_from(page.text),
            "email": email,
            "password": "a long password",
            "name": "Alva Berg",
            "birth_date": born,
            "terms": "y",
        },
    )


def signed_up(client: FlaskClient, email: str = "Alva@Example.com", **options):  # noqa: ANN003, ANN201
    """Sign up, then open the activation link as the mail's reader does: signed in after it."""
    response = sign_up(client, email, **options)
    assert response.status_code == 200 and "Check your email" in response.text, response.text
    customer = Customer.get(Customer.email == email.strip().lower())
    with client.application.test_request_context():
        token = signup.activation_token(customer)
    activated = client.get(f"/account/activate/{token}")
    assert activated.status_code == 302, activated.text
    return activated


def signed_in_before_activation(client: FlaskClient, email: str = "Alva@Example.com"):  # noqa: ANN201
    """Sign up, then sign in with the password without opening the activation mail."""
    assert sign_up(client, email).status_code in (200, 503)
    page = client.get("/account/signin")
    response = client.post(
        "/account/signin",
        data={"csrf_token": csrf_from(page.text), "email": email, "password": "a long password"},
    )
    assert response.status_code == 302, response.text
    return response


def claim(client: FlaskClient, secret: str):  # noqa: ANN201
    page = client.get(f"/c/{secret}")
    if page.status_code != 200:
        return page
    return client.post(f"/c/{secret}/claim", data={"csrf_token": csrf_from(page.text)})


def test_claim_by_typed_code_registers_the_devices_with_the_right_dates(app, shop, sold, mailbox):
    customer_phone = phone(app)
    page = customer_phone.get(f"/c/{sold.code.lower()}")  # case and dashes ignored
    assert page.status_code == 200
    assert "•••0000" in page.text and "HDX200000" not in page.text  # only the last 4 shown
    bought = sold.sale.local_date.isoformat()
    assert f'<time class="nowrap" datetime="{bought}">{bought}</time>' in page.text  # no wrap
    assert sign_up(customer_phone).status_code == 200
    # The mailed link signs the phone in, activates the account and goes on.
    link = mailbox.link_in(mailbox.last_to("alva@example.com"), "/account/activate/")
    assert customer_phone.get(urlsplit(link).path).status_code == 302
    response = claim(customer_phone, sold.code)
    assert response.status_code == 200 and "2 devices are now registered" in response.text
    alva = Customer.get(Customer.email == "alva@example.com")
    chains = list(Registration.select().where(Registration.customer == alva))
    today = clock.today_in(shop.store.timezone)
    assert [(r.purchase_date, r.registration_date, r.source) for r in chains] == [
        (sold.sale.local_date, today, "claim")
    ] * 2
    assert ClaimToken.get().claimed_by_id == alva.id
    assert Voucher.select().where(Voucher.customer == alva).count() == 1
    assert Customer.get_by_id(alva.id).activated_at is not None
    # Opened again, the link says the account is active and signs nobody in.
    again = phone(app).get(urlsplit(link).path)
    assert again.status_code == 200 and "active already" in again.text


def test_a_claim_leaves_out_a_unit_refunded_since_the_sale(app, shop, sold) -> None:
    # The second unit came back for its money before anyone claimed the receipt's QR.
    Device.update(status="returned").where(Device.serial == "HDX200001").execute()
    customer_phone = phone(app)
    signed_up(customer_phone)
    response = claim(customer_phone, sold.code)
    assert response.status_code == 200 and "1 device is now registered" in response.text
    alva = Customer.get(Customer.email == "alva@example.com")
    registered = Device.select().join(Registration).where(Registration.customer == alva)
    assert [unit.serial for unit in registered] == ["HDX200000"]
    assert Device.get(Device.serial == "HDX200001").registration_id is None


def test_a_reprinted_receipt_drops_the_qr_once_the_phone_claimed_it(
    app, client, auth, shop
) -> None:
    make.device(shop.store, make.product("device"), serial="HDX300000")
    auth.sign_in("erik")
    tablet = Counter(client)
    tablet.scan("HDX300000")
    tablet.age_check(adult_birth_date(shop.store))
    receipt_url = tablet.complete().headers["HX-Redirect"]
    receipt = client.get(receipt_url).text
    assert 'data-testid="claim-qr"' in receipt
    code = receipt.split('data-testid="claim-code">')[1].split("<")[0]
    customer_phone = phone(app)
    signed_up(customer_phone)
    assert claim(customer_phone, code).status_code == 200
    reprint = client.get(receipt_url)
    assert reprint.status_code == 200
    assert 'data-testid="claim-qr"' not in reprint.text and code not in reprint.text
    # The big QR screen has nothing to show either: it goes back to the receipt.
    shown = client.get(receipt_url.replace("/receipt", "/claim"))
    assert shown.status_code == 302 and shown.headers["Location"].endswith(receipt_url)


def test_a_used_token_gets_the_same_page_as_an_unknown_one(app, sold) -> None:
    first = phone(app)
    signed_up(first, "one@example.com")
    assert claim(first, sold.code).status_code == 200
    second = phone(app)
    used = second.get(f"/c/{sold.code}")
    unknown = second.get("/c/ZZZZ-ZZZZ")
    tampered = second.get(f"/c/{sold.token[:-2]}xx")
    for response in (used, unknown, tampered):
        assert response.status_code == 404
        assert "This code cannot be used" in response.text
        assert "HDX2000" not in response.text and "•••" not in response.text


def test_an_expired_token_cannot_be_claimed(app, sold) -> None:
    ClaimToken.update(expires_at=clock.now_utc() - timedelta(seconds=1)).execute()
    client = phone(app)
    signed_up(client, "late@example.com")
    assert claim(client, sold.code).status_code == 404
    assert not Registration.select().exists()


def test_guessing_codes_is_rate_limited_and_success_does_not_reset(app, sold) -> None:
    guesser = phone(app)
    statuses = [guesser.get(f"/c/AAAA-{n:04d}").status_code for n in range(30)]
    assert set(statuses) == {404}
    assert guesser.get("/c/AAAA-9999").status_code == 429
    assert guesser.get(f"/c/{sold.code}").status_code == 429  # even the right code now waits


def test_two_phones_claiming_one_token_at_once_exactly_one_wins(app, sold) -> None:
    phones = []
    for n in range(2):
        client = phone(app)
        signed_up(client, f"racer{n}@example.com")
        page = client.get(f"/c/{sold.code}")
        phones.append((client, csrf_from(page.text)))
    barrier = threading.Barrier(2)
    results: list[int] = []

    def go(client: FlaskClient, token: str) -> None:
        barrier.wait()
        results.append(client.post(f"/c/{sold.code}/claim", data={"csrf_token": token}).status_code)

    threads = [threading.Thread(target=go, args=pair) for pair in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) in ([200, 404], [200, 409])
    assert Claim.select().count() == 1
    owners = {r.customer_id for r in Registration.select()}
    assert len(owners) == 1 and Registration.select().count() == 2


def test_a_device_registered_to_another_account_cannot_be_claimed(app, shop, sold) -> None:
    other = make.customer(email="first@example.com")
    unit = Device.get(Device.serial == "HDX200001")
    make.registration(shop.store, other, unit)
    client = phone(app)
    signed_up(client, "second@example.com")
    response = claim(client, sold.code)
    assert response.status_code == 409 and "another account" in response.text
    assert ClaimToken.get().claimed_at is None  # nothing half-way: the code still works
    assert Registration.select().count() == 1


def test_under_age_sign_up_is_refused_at_the_field(app, shop) -> None:
    client = phone(app)
    today = clock.today_in(shop.store.timezone)
    born = today.replace(year=today.year - 18) + timedelta(days=1)
    response = sign_up(client, born=born.isoformat())
    assert response.status_code == 422 and "18 or over" in response.text
    assert not Customer.select().exists()


def test_a_taken_email_whatever_its_case_makes_no_second_account(app, shop) -> None:
    assert sign_up(phone(app), "Dup@Example.com").status_code == 200
    again = sign_up(phone(app), "dup@EXAMPLE.com ")
    assert again.status_code == 200 and "Check your email" in again.text
    assert Customer.select().count() == 1


def test_sign_up_with_bad_input_is_answered_at_the_fields(app, shop) -> None:
    client = phone(app)
    page = client.get("/account/signup")
    response = client.post(
        "/account/signup",
        data={
            "csrf_token": csrf_from(page.text),
            "email": "not-an-email",
            "password": "short",
            "name": "",
            "birth_date": "1990-02-30",
        },
    )
    assert response.status_code == 422
    for message in (
        "That is not an email address.",
        "A password is 10 to 128 characters.",
        "Type your name.",
        "Accept the terms to continue.",
        "Not a valid date value.",  # WTForms' own message: 30 February does not exist
    ):
        assert message in response.text
    assert not Customer.select().exists()


@pytest.mark.parametrize(
    ("language", "message"), [("sv-SE,sv;q=0.9", "Inte ett giltigt datum"), ("en-GB", "Not a")]
)
def test_wtforms_own_messages_speak_the_phones_language(app, shop, language, message) -> None:
    client = phone(app)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    # Each language twice: the catalogue kept per language must not leak into the other.
    for _ in range(2):
        response = sign_up(client, born="1990-02-30")
        assert response.status_code == 422
        assert message in response.text
    assert not Customer.select().exists()


def test_welcome_offer_raced_from_two_requests_is_given_once(app, shop) -> None:
    customer = make.customer()
    chains = []
    for _ in range(2):
        unit = make.device(shop.store, make.product("device"), status="sold")
        chains.append(make.registration(shop.store, customer, unit))
    barrier = threading.Barrier(2)
    given: list[object] = []

    def issue(chain: Registration) -> None:
        with app.app_context():
            barrier.wait()
            given.append(registrations.issue_welcome_voucher(customer, chain))

    threads = [threading.Thread(target=issue, args=(c,)) for c in chains]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(v is not None for v in given) == 1
    assert Voucher.select().where(Voucher.customer == customer).count() == 1


def test_no_welcome_offer_for_a_device_registered_before(app, shop, sold) -> None:
    for unit in Device.select().where(Device.serial.startswith("HDX2000")):
        Device.update(first_registered_at=clock.now_utc()).where(Device.id == unit.id).execute()
    client = phone(app)
    signed_up(client, "second-hand@example.com")
    assert claim(client, sold.code).status_code == 200
    assert not Voucher.select().exists()


def test_staff_redeem_the_voucher_once_as_a_free_pack(app, client, auth, shop, sold) -> None:
    customer_phone = phone(app)
    signed_up(customer_phone, "gift@example.com")
    claim(customer_phone, sold.code)
    voucher = Voucher.get()
    auth.enter_pin(shop.erik.id, "2222")
    tablet = Counter(client)
    assert tablet.scan(voucher.code.lower()).status_code == 200
    tablet.age_check(adult_birth_date(shop.store))
    assert tablet.complete().status_code == 204
    line = SaleLine.get(SaleLine.voucher == voucher)
    assert (line.kind, line.line_total, line.product_id) == ("voucher", 0, sold.sticks.id)
    assert Voucher.get_by_id(voucher.id).redeemed_at is not None
    event = AuditEvent.get(AuditEvent.action == "voucher.redeemed")
    assert (event.staff_id, event.customer_id, event.subject_id) == (
        shop.erik.id,
        voucher.customer_id,
        voucher.id,
    )
    assert f'"sale": {line.sale_id}' in event.details
    again = tablet.scan(voucher.code)
    assert again.status_code == 409 and "already used" in again.text


def test_linking_by_account_qr_registers_the_devices_without_typing(app, client, auth, shop):
    model = make.product("device", name="Heat Device Duo", price=79900)
    make.device(shop.store, model, serial="DUO0001")
    member = make.customer(email="member@example.com")
    with app.test_request_context():
        payload = accounts.account_qr_payload(member)
    auth.sign_in("erik")
    tablet = Counter(client)
    linked = tablet.scan(payload)
    assert linked.status_code == 200 and "m***@example.com" in linked.text
    tablet.scan("DUO0001")
    tablet.age_check(adult_birth_date(shop.store))
    done = tablet.complete()
    assert done.status_code == 204
    sale = Sale.get()
    assert sale.customer_id == member.id
    chain = Registration.get(Registration.customer == member)
    assert (chain.source, chain.registered_by_id) == ("counter", shop.erik.id)
    assert Device.get(Device.serial == "DUO0001").registration_id == chain.id
    receipt = client.get(done.headers["HX-Redirect"])
    assert "claim-qr" not in receipt.text  # nothing left to claim
    assert Voucher.select().where(Voucher.customer == member).count() == 1


def test_benefit_program_takes_10_percent_off_accessories_for_a_member(app, client, auth, shop):
    member = make.customer(email="benefit@example.com")
    unit = make.device(shop.store, make.product("device"), status="sold")
    make.registration(
        shop.store,
        member,
        unit,
        purchase_date=clock.today_in(shop.store.timezone) - timedelta(days=30),
    )
    case = make.product("accessory", name="Holder case", price=29900)
    make.stock(shop.store, case, 5)
    with app.test_request_context():
        payload = accounts.account_qr_payload(member)
    auth.sign_in("erik")
    tablet = Counter(client)
    tablet.add(case.id)
    cart = tablet.scan(payload)
    assert "Benefit Program" in cart.text
    tablet.complete()
    sale = Sale.get()
    assert (sale.subtotal, sale.discount_total, sale.total) == (29900, 2990, 26910)
    assert SaleLine.get(SaleLine.kind == "discount").line_total == -2990


def test_counter_registration_sends_activation_and_the_customer_sets_a_password(
    app, client, auth, shop, sold, mailbox
) -> None:
    auth.enter_pin(shop.erik.id, "2222")
    response = register_at_counter(client, sold.sale, "Walkin@Example.com", "1985-06-01")
    assert response.status_code == 302
    walkin = Customer.get(Customer.email == "walkin@example.com")
    assert walkin.password_hash is None
    receipt = client.get(response.headers["Location"])
    assert 'data-testid="claim-qr"' not in receipt.text  # registered: nothing left to claim
    assert Registration.select().where(Registration.customer == walkin).count() == 2
    link = mailbox.link_in(mailbox.last_to("walkin@example.com"), "/account/activate/")
    customer_phone = phone(app)
    to_password = customer_phone.get(urlsplit(link).path)
    assert to_password.status_code == 302 and "/account/reset/" in to_password.headers["Location"]
    form = customer_phone.get(to_password.headers["Location"])
    done = customer_phone.post(
        to_password.headers["Location"],
        data={"csrf_token": csrf_from(form.text), "password": "my own password"},
    )
    assert done.status_code == 302
    with app.app_context():
        signed_in = accounts.authenticate("walkin@example.com", "my own password", client="t")
    assert signed_in.id == walkin.id


def register_at_counter(client, sale: Sale, email: str, born: str, **options):  # noqa: ANN001, ANN201
    page = client.get(f"/counter/sales/{sale.id}/register")
    return client.post(
        f"/counter/sales/{sale.id}/register",
        data={
            "csrf_token": csrf_from(page.text),
            "email": email,
            "name": "Walk In",
            "birth_date": born,
            "terms": "y",
        },
        **options,
    )


def test_counter_registration_never_hands_a_sale_to_a_strangers_account(
    client, auth, shop, sold
) -> None:
    stranger = make.customer(email="ana@example.com", birth_date=date(1970, 3, 3))
    auth.enter_pin(shop.erik.id, "2222")
    # Staff mistype anna@ as ana@: the account exists, but it is somebody else's.
    typo = register_at_counter(client, sold.sale, "ana@example.com", "1985-06-01")
    assert typo.status_code == 409 and "another date of birth" in typo.text
    assert not Registration.select().exists()
    assert Sale.get_by_id(sold.sale.id).customer_id is None
    assert not Voucher.select().where(Voucher.customer == stranger).exists()
    # The account's own holder (the same email and date of birth) is found and linked.
    own = register_at_counter(client, sold.sale, "Ana@Example.com ", "1970-03-03")
    assert own.status_code == 302
    assert Registration.select().where(Registration.customer == stranger).count() == 2
    assert Customer.select().count() == 1


@pytest.mark.parametrize("born", ["2999-01-01", "1800-01-01", "1990-02-30", ""])
def test_counter_registration_answers_an_impossible_birth_date_at_the_field(
    client, auth, shop, sold, born
) -> None:
    auth.enter_pin(shop.erik.id, "2222")
    response = register_at_counter(client, sold.sale, "walkin@example.com", born)
    assert response.status_code == 422
    assert 'id="birth_date-error"' in response.text
    assert not Customer.select().exists() and not Registration.select().exists()


def test_forgotten_password_link_works_once(app, shop, mailbox) -> None:
    client = phone(app)
    signed_up(client, "forgetful@example.com")
    page = client.get("/account/forgot")
    client.post(
        "/account/forgot",
        data={"csrf_token": csrf_from(page.text), "email": "FORGETFUL@example.com"},
    )
    unknown = client.post(
        "/account/forgot", data={"csrf_token": csrf_from(page.text), "email": "nobody@example.com"}
    )
    assert unknown.status_code == 200 and "If that email has an account" in unknown.text
    path = urlsplit(mailbox.link_in(mailbox.last_to("forgetful@example.com"), "/reset/")).path
    form = client.get(path)
    assert (
        client.post(
            path, data={"csrf_token": csrf_from(form.text), "password": "brand new password"}
        ).status_code
        == 302
    )
    # Opened again, the link says at once that it was used: no form to type into.
    reopened = client.get(path)
    assert reopened.status_code == 410 and "used already" in reopened.text
    assert 'name="password"' not in reopened.text
    reused = client.post(
        path, data={"csrf_token": csrf_from(form.text), "password": "another new password"}
    )
    assert reused.status_code == 410


def test_change_password_needs_the_current_one(app, shop) -> None:
    client = phone(app)
    signed_up(client, "careful@example.com")
    page = client.get("/account/password")
    wrong = client.post(
        "/account/password",
        data={"csrf_token": csrf_from(page.text), "current": "guess", "password": "new password!!"},
    )
    assert wrong.status_code == 401 and "current password is not right" in wrong.text
    ok = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_from(page.text),
            "current": "a long password",
            "password": "new password!!",
        },
    )
    assert ok.status_code == 302


def test_change_email_is_confirmed_from_the_new_address(app, shop, mailbox) -> None:
    client = phone(app)
    signed_up(client, "old@example.com")
    page = client.get("/account/email")
    client.post(
        "/account/email", data={"csrf_token": csrf_from(page.text), "email": "New@Example.com"}
    )
    assert Customer.get().email == "old@example.com"
    path = urlsplit(mailbox.link_in(mailbox.last_to("new@example.com"), "/email/confirm/")).path
    assert client.get(path).status_code == 200
    assert Customer.get().email == "new@example.com"


def test_download_my_data_and_consent_toggle(app, shop, sold) -> None:
    client = phone(app)
    signed_up(client, "data@example.com")
    claim(client, sold.code)
    data = json.loads(client.get("/account/data.json").data)
    assert data["account"]["email"] == "data@example.com" and len(data["devices"]) == 2
    page = client.get("/account/")
    client.post("/account/consent", data={"csrf_token": csrf_from(page.text), "marketing": "y"})
    assert Customer.get().marketing_consent is True
    client.post("/account/consent", data={"csrf_token": csrf_from(page.text)})
    assert Customer.get().marketing_consent is False


def test_account_deletion_keeps_sales_but_not_the_person(app, shop, sold) -> None:
    client = phone(app)
    signed_up(client, "leaving@example.com")
    claim(client, sold.code)
    page = client.get("/account/delete")
    response = client.post(
        "/account/delete", data={"csrf_token": csrf_from(page.text), "confirm": "delete"}
    )
    assert response.status_code == 200
    assert not Customer.select().exists() and not Voucher.select().exists()
    sale = Sale.get_by_id(sold.sale.id)
    assert sale.customer_id is None and sale.total == 2 * 49900
    assert all(r.customer_id is None and r.ended_at for r in Registration.select())
    assert AuditEvent.select().where(AuditEvent.action == "customer.deleted").count() == 1
    assert client.get("/account/").status_code == 302  # signed out


def test_customer_cannot_open_staff_pages_and_staff_pages_need_staff(app, shop) -> None:
    client = phone(app)
    signed_up(client, "curious@example.com")
    assert client.get("/counter/").status_code == 302
    assert client.get("/manager/").status_code == 302


def test_code_entry_page_refuses_a_wrong_length(app, shop) -> None:
    client = phone(app)
    page = client.get("/c/")
    response = client.post("/c/", data={"csrf_token": csrf_from(page.text), "code": "AB"})
    assert response.status_code == 422 and "8 letters and digits" in response.text


def test_claim_codes_use_no_look_alike_characters(app) -> None:
    with app.app_context():
        secrets = [claims.derive(sale_id, claims.new_nonce()) for sale_id in range(1, 201)]
    for secret in secrets:
        assert len(secret.code) == 8 and not set(secret.code) & set("0O1IL5S2Z")
        assert len(secret.token) == 32  # 192 bits, base64url
    # Every letter of the alphabet turns up: the codes are spread over all of it.
    assert set("".join(s.code for s in secrets)) == set(claims.CODE_ALPHABET)
    assert len({s.code for s in secrets}) == 200
