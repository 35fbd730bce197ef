"""My details, adding a device, the help page, and a customer with no email, over HTTP."""

from __future__ import annotations

import json
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import clock
from kiosk.models import Address, AuditEvent, ClaimToken, Customer, Registration, Sale, Voucher
from kiosk.services import accounts
from tests import factories as make
from tests.conftest import csrf_from
from tests.http.test_counter import Counter, adult_birth_date
from tests.http.test_customers import sold  # noqa: F401 - a fixture
from tests.sms import SmsOutbox

ALVA = "+46701740605"


def signed_in(
    app: Flask, customer: Customer, address: str = "10.9.0.1", outbox: SmsOutbox | None = None
) -> FlaskClient:
    """A phone signed in to ``customer``: email and password, or number and SMS code."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if customer.email:
        post(client, "/account/signin", email=customer.email, password="customer password")
    else:
        post(client, "/account/signin/mobile", mobile=customer.mobile)
        post(client, "/account/code", code=outbox.code_for(customer.mobile))
    assert client.get("/account/").status_code == 200
    return client


def post(client: FlaskClient, path: str, page: str | None = None, **data: str):  # noqa: ANN201
    form = client.get(page or path)
    return client.post(path, data={"csrf_token": csrf_from(form.text), **data})


ADDRESS = {
    "recipient": "Alva Berg",
    "street": "Drottninggatan 12",
    "extra": "c/o Lind",
    "postal_code": "111 51",
    "city": "Stockholm",
    "country": "SE",
}


# --- My details --------------------------------------------------------------------------


def test_name_changes_but_the_date_of_birth_does_not(app, shop) -> None:
    alva = make.customer(email="alva@example.com", name="Alva Berg", birth_date=date(1990, 4, 2))
    phone = signed_in(app, alva)
    page = phone.get("/account/details")
    assert "1990-04-02" in page.text and 'name="birth_date"' not in page.text
    saved = post(phone, "/account/details", name="  Alva   Lind ", birth_date="2001-01-01")
    assert saved.status_code == 302
    after = Customer.get_by_id(alva.id)
    assert (after.name, after.birth_date) == ("Alva Lind", date(1990, 4, 2))
    event = AuditEvent.get(AuditEvent.action == "customer.details_changed")
    assert event.customer_id == alva.id and "Lind" not in event.details
    empty = post(phone, "/account/details", name="")
    assert empty.status_code == 422 and 'id="name-error"' in empty.text


def test_addresses_are_added_edited_deleted_with_one_default(app, shop) -> None:
    alva = make.customer(email="alva@example.com")
    phone = signed_in(app, alva)
    assert post(phone, "/account/details/addresses/new", **ADDRESS).status_code == 302
    first = Address.get()
    assert (first.street, first.country, first.is_default) == ("Drottninggatan 12", "SE", True)
    second = dict(ADDRESS, street="Storgatan 3", city="Uppsala", postal_code="753 20", default="y")
    assert post(phone, "/account/details/addresses/new", **second).status_code == 302
    defaults = [a.street for a in Address.select().where(Address.is_default)]
    assert defaults == ["Storgatan 3"]  # one default, the newly chosen one

    edited = post(
        phone,
        f"/account/details/addresses/{first.id}",
        **dict(ADDRESS, street="Drottninggatan 14", default="y"),
    )
    assert edited.status_code == 302
    assert Address.get_by_id(first.id).street == "Drottninggatan 14"
    assert [a.id for a in Address.select().where(Address.is_default)] == [first.id]
    page = phone.get("/account/details").text
    assert page.index("Drottninggatan 14") < page.index("Storgatan 3")  # the default first

    deleted = post(
        phone,
        f"/account/details/addresses/{first.id}/delete",
        f"/account/details/addresses/{first.id}",
    )
    assert deleted.status_code == 302
    remaining = Address.get()
    assert (remaining.street, remaining.is_default) == ("Storgatan 3", True)
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions.count("address.added") == 2
    assert "address.changed" in actions and "address.deleted" in actions


def test_an_address_form_with_bad_input_is_answered_at_the_fields(app, shop) -> None:
    phone = signed_in(app, make.customer(email="alva@example.com"))
    bad = post(
        phone,
        "/account/details/addresses/new",
        **dict(ADDRESS, street="", postal_code="1" * 17, country="XX"),
    )
    assert bad.status_code == 422
    for field in ("street", "postal_code", "country"):
        assert f'id="{field}-error"' in bad.text
    assert not Address.select().exists()


def test_someone_elses_address_is_not_there(app, shop) -> None:
    owner = make.customer(email="owner@example.com")
    theirs = make.address(owner)
    phone = signed_in(app, make.customer(email="other@example.com"))
    assert phone.get(f"/account/details/addresses/{theirs.id}").status_code == 404
    page = phone.get("/account/details/addresses/new")
    refused = phone.post(
        f"/account/details/addresses/{theirs.id}/delete",
        data={"csrf_token": csrf_from(page.text)},
    )
    assert refused.status_code == 404
    assert Address.get_by_id(theirs.id).customer_id == owner.id


def test_the_database_allows_one_default_address_per_customer(app, shop) -> None:
    from peewee import IntegrityError

    alva = make.customer(email="alva@example.com")
    make.address(alva, is_default=True)
    with pytest.raises(IntegrityError):
        make.address(alva, is_default=True)


# --- Add a device --------------------------------------------------------------------------


def _receipt_code(client: FlaskClient, sale_id: int) -> str:
    receipt = client.get(f"/counter/sales/{sale_id}/receipt")
    return receipt.text.split('data-testid="claim-code">')[1].split("<")[0]


def test_add_a_device_by_serial_and_receipt_code_with_the_welcome_offer(
    app,
    shop,
    sold,  # noqa: F811
) -> None:
    alva = make.customer(email="alva@example.com")
    phone = signed_in(app, alva)
    added = post(phone, "/account/devices/add", serial="hdx-2000-00", reference=sold.code.lower())
    assert added.status_code == 302
    chain = Registration.get()
    today = clock.today_in(shop.store.timezone)
    assert (chain.customer_id, chain.source, chain.purchase_date, chain.registration_date) == (
        alva.id,
        "account",
        sold.sale.local_date,
        today,
    )
    assert Sale.get_by_id(sold.sale.id).customer_id == alva.id
    assert Voucher.select().where(Voucher.customer == alva).count() == 1
    home = phone.get("/account/").text
    assert "•••0000" in home and sold.sale.local_date.isoformat() in home
    # Only that device: the purchase's other one is still free to be claimed.
    assert Registration.select().count() == 1
    assert ClaimToken.get().claimed_at is None
    # The same device again: it is there already.
    again = post(phone, "/account/devices/add", serial="HDX200000", reference=sold.code)
    assert again.status_code == 409 and "in your devices already" in again.text


def test_add_a_device_by_its_receipt_number(app, shop, sold) -> None:  # noqa: F811
    alva = make.customer(email="alva@example.com")
    phone = signed_in(app, alva)
    wrong = post(phone, "/account/devices/add", serial="HDX200001", reference=str(sold.sale.id + 1))
    assert wrong.status_code == 404 and 'id="reference-error"' in wrong.text
    assert not Registration.select().exists()
    right = post(phone, "/account/devices/add", serial="HDX200001", reference=f"#{sold.sale.id}")
    assert right.status_code == 302
    assert Registration.get().customer_id == alva.id


def test_a_device_registered_to_someone_else_cannot_be_added(app, shop, sold) -> None:  # noqa: F811
    first = make.customer(email="first@example.com")
    phone = signed_in(app, first)
    assert (
        post(phone, "/account/devices/add", serial="HDX200000", reference=sold.code).status_code
        == 302
    )
    second = signed_in(app, make.customer(email="second@example.com"), "10.9.0.2")
    refused = post(second, "/account/devices/add", serial="HDX200000", reference=sold.code)
    assert refused.status_code == 409 and "registered to another account" in refused.text
    assert {r.customer_id for r in Registration.select()} == {first.id}
    assert Voucher.select().count() == 1  # and no second welcome offer


def test_no_welcome_offer_for_a_device_registered_before(app, shop, sold) -> None:  # noqa: F811
    from kiosk.models import Device

    Device.update(first_registered_at=clock.now_utc()).where(Device.serial == "HDX200000").execute()
    alva = make.customer(email="alva@example.com")
    phone = signed_in(app, alva)
    assert (
        post(phone, "/account/devices/add", serial="HDX200000", reference=sold.code).status_code
        == 302
    )
    assert not Voucher.select().exists()


def test_adding_devices_is_limited_like_claims(app, shop, sold) -> None:  # noqa: F811
    phone = signed_in(app, make.customer(email="guesser@example.com"))
    statuses = [
        post(
            phone, "/account/devices/add", serial="HDX200000", reference=f"ZZZZ{n:04d}"
        ).status_code
        for n in range(11)
    ]
    assert statuses == [404] * 10 + [429]  # ten tries per serial, as ten per claim code
    # Even the right receipt now waits.
    late = post(phone, "/account/devices/add", serial="HDX200000", reference=sold.code)
    assert late.status_code == 429
    assert not Registration.select().exists()


# --- Help --------------------------------------------------------------------------------


def test_the_help_page_shows_the_store_the_customer_deals_with(app, shop, sold) -> None:  # noqa: F811
    from kiosk.models import Store

    Store.update(
        contact_phone="08-123 456 78",
        contact_email="city@kiosk.example",
        opening_hours="Mon–Fri 10–19\nSat 10–16",
    ).where(Store.id == shop.store.id).execute()
    first = Store.select().order_by(Store.id).first()
    other = make.store(name="Kiosk Other", contact_phone="040-11 22 33")
    # Nobody known: the chain's first store.
    anon = app.test_client()
    page = anon.get("/account/help")
    assert page.status_code == 200 and first.name in page.text
    # Came from a claim page: that purchase's store.
    visitor = app.test_client()
    assert visitor.get(f"/c/{sold.code}").status_code == 200
    came = visitor.get("/account/help").text
    assert "08-123 456 78" in came and "city@kiosk.example" in came and "Sat 10–16" in came
    assert 'href="tel:0812345678"' in came
    # Signed in with a purchase at the other store: that one, the latest.
    buyer = make.customer(email="buyer@example.com")
    unit = make.device(other, make.product("device"), status="sold")
    make.registration(other, buyer, unit)
    assert "040-11 22 33" in signed_in(app, buyer).get("/account/help").text
    # Every phone page links to it.
    for path in ("/c/", "/account/signin", "/account/signup", "/account/signin/mobile"):
        assert 'href="/account/help"' in anon.get(path).text, path


def test_the_manager_sets_the_stores_contact_and_it_is_audited(app, client, auth, shop) -> None:
    auth.sign_in("maja")
    page = client.get("/manager/settings")
    form = {
        "csrf_token": csrf_from(page.text),
        "name": shop.store.name,
        "timezone": "Europe/Stockholm",
        "language": "en",
        "legal_age": "18",
        "idle_lock_seconds": "300",
        "claim_token_days": "30",
        "refusal_retention_days": "730",
        "contact_phone": "08-123 456 78",
        "contact_email": "city@kiosk.example",
        "opening_hours": "Mon–Fri 10–19\r\nSat 10–16",
    }
    assert client.post("/manager/settings", data=form).status_code == 302
    from kiosk.models import Store

    store = Store.get_by_id(shop.store.id)
    assert (store.contact_phone, store.contact_email, store.opening_hours) == (
        "08-123 456 78",
        "city@kiosk.example",
        "Mon–Fri 10–19\nSat 10–16",
    )
    event = AuditEvent.get(AuditEvent.action == "store.settings_changed")
    assert json.loads(event.details)["contact_phone"] == "08-123 456 78"
    bad = client.post(
        "/manager/settings",
        data=dict(form, contact_phone="call me maybe", contact_email="not-an-email"),
    )
    assert bad.status_code == 422
    assert 'id="contact_phone-error"' in bad.text and 'id="contact_email-error"' in bad.text
    assert Store.get_by_id(shop.store.id).contact_phone == "08-123 456 78"


# --- A customer with no email ---------------------------------------------------------------


def test_a_mobile_only_customer_works_everywhere_an_email_was_assumed(
    app, client, auth, shop, sms_outbox
) -> None:
    mona = make.customer(email=None, mobile=ALVA, name="Mona Mobile", password_hash=None)
    assert Customer.get_by_id(mona.id).email is None
    phone = signed_in(app, mona, outbox=sms_outbox)
    # Account QR: the counter links the sale with it; the cart and the flash mask the number.
    assert phone.get("/account/qr").status_code == 200
    with app.test_request_context():
        payload = accounts.account_qr_payload(mona)
    model = make.product("device", name="Heat Device One")
    make.device(shop.store, model, serial="MOB0001")
    auth.sign_in("erik")
    tablet = Counter(client)
    linked = tablet.scan(payload)
    assert linked.status_code == 200 and "For +46 •••• 05" in linked.text
    tablet.scan("MOB0001")
    tablet.age_check(adult_birth_date(shop.store))
    done = tablet.complete()
    assert done.status_code == 204
    assert Registration.get().customer_id == mona.id
    # The swap desk names the owner without an email.
    from kiosk.models import Device

    unit = Device.get(Device.serial == "MOB0001")
    desk = client.get(f"/swaps/devices/{unit.id}")
    assert desk.status_code == 200 and "M. · +46 •••• 05" in desk.text
    # My data: no email, the number, the device.
    data = json.loads(phone.get("/account/data.json").data)
    assert data["account"]["email"] is None and data["account"]["mobile"] == ALVA
    assert len(data["devices"]) == 1
    # The claim page says who is signed in, by number.
    sale2 = _sale_with_claim(client, tablet, shop, model, "MOB0002")
    page = phone.get(f"/c/{sale2}")
    assert "Signed in as +46 70 174 06 05." in page.text and "Not you? Sign out" in page.text
    confirmed = phone.post(f"/c/{sale2}/claim", data={"csrf_token": csrf_from(page.text)})
    assert confirmed.status_code == 200
    # The kiosk's QR screen: "claimed by" with the masked number.
    status = client.get(
        f"/counter/sales/{Sale.select().order_by(Sale.id.desc()).first().id}/claim/status"
    )
    assert status.status_code == 200 and "Claimed by +46 •••• 05" in status.text
    # Deleting the account leaves the sales for the books.
    page = phone.get("/account/delete")
    gone = phone.post(
        "/account/delete", data={"csrf_token": csrf_from(page.text), "confirm": "DELETE"}
    )
    assert gone.status_code == 200 and not Customer.select().exists()


def _sale_with_claim(client, tablet, shop, model, serial: str) -> str:  # noqa: ANN001
    make.device(shop.store, model, serial=serial)
    tablet.scan(serial)
    tablet.age_check(adult_birth_date(shop.store))
    receipt = client.get(tablet.complete().headers["HX-Redirect"])
    return receipt.text.split('data-testid="claim-code">')[1].split("<")[0]


def test_a_mobile_only_account_holds_its_number_once(app, shop) -> None:
    from peewee import IntegrityError

    make.customer(email=None, mobile=ALVA)
    make.customer(email=None, mobile="+46701740606")  # two accounts without email: allowed
    with pytest.raises(IntegrityError):
        make.customer(email=None, mobile=ALVA)


def test_the_claim_page_offers_not_you_sign_out_and_comes_back(app, shop, sold) -> None:  # noqa: F811
    alva = make.customer(email="alva@example.com")
    phone = signed_in(app, alva)
    page = phone.get(f"/c/{sold.code}")
    assert "Signed in as alva@example.com." in page.text
    out = phone.post(
        "/account/signout",
        data={"csrf_token": csrf_from(page.text), "next": f"/c/{sold.code}"},
    )
    assert out.status_code == 302 and out.headers["Location"] == f"/c/{sold.code}"
    back = phone.get(f"/c/{sold.code}")
    assert "Signed in as" not in back.text and "Create account" in back.text
    # A next that leaves the site is not followed.
    phone2 = signed_in(app, alva, "10.9.0.3")
    page = phone2.get("/account/")
    away = phone2.post(
        "/account/signout", data={"csrf_token": csrf_from(page.text), "next": "//evil.example/"}
    )
    assert away.headers["Location"] == "/account/signin"


def test_counter_registration_works_beside_accounts_without_an_email(
    client,
    auth,
    shop,
    sold,  # noqa: F811
) -> None:
    from tests.http.test_customers import register_at_counter

    make.customer(email=None, mobile=ALVA)
    make.customer(email=None, mobile="+46701740606")
    auth.enter_pin(shop.erik.id, "2222")
    response = register_at_counter(client, sold.sale, "walkin@example.com", "1985-06-01")
    assert response.status_code == 302
    walkin = Customer.get(Customer.email == "walkin@example.com")
    assert Registration.select().where(Registration.customer == walkin).count() == 2
    assert "w***@example.com" in client.get(response.headers["Location"]).text


def test_a_mistyped_phone_address_gets_the_customers_way_back(app, shop) -> None:
    for path in ("/account/nothing-here", "/c/ZZZZ/nothing"):
        response = app.test_client().get(path)
        assert response.status_code == 404
        assert (
            "Type a code from a receipt" in response.text
            and "Back to the start" not in response.text
        )
    staff_side = app.test_client().get("/counter/nothing-here")
    assert staff_side.status_code == 404 and "Back to the start" in staff_side.text
