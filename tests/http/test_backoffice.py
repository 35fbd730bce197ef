"""The back office over HTTP: markets and stores as an admin keeps them, who may do what, and
the seller on the receipts."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.models import AuditEvent, Market, Staff, Store
from tests import factories as make
from tests.conftest import AuthActions, csrf_from
from tests.http.test_counter import adult_birth_date


class Office:
    """An admin's (or anyone's) browser on the back office: forms with their CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_from(client.get("/").text)

    def post(self, url: str, data: dict, **kwargs: object):  # noqa: ANN201
        return self.client.post(url, data={"csrf_token": self.token, **data}, **kwargs)


def office_for(app: Flask, username: str) -> Office:
    client = app.test_client()
    AuthActions(client).sign_in(username)
    return Office(client)


def two_markets(shop) -> SimpleNamespace:  # noqa: ANN001
    """The test shop (in Sweden) with an admin, and the United Kingdom as a second market."""
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    return SimpleNamespace(
        sweden=Market.get_by_id(shop.store.market_id),
        britain=make.market("GB", name="United Kingdom", currency="GBP", vat_rates="2000,500,0"),
    )


@pytest.fixture
def chain(shop) -> SimpleNamespace:  # noqa: ANN001
    return two_markets(shop)


@pytest.fixture
def admin(app: Flask, chain) -> Office:  # noqa: ANN001
    return office_for(app, "root")


STORE = {
    "code": "lon2",
    "name": "Kiosk London Bridge",
    "brand_name": "",
    "timezone": "Europe/London",
    "language": "en",
    "legal_age": "18",
    "challenge_age": "25",
    "idle_lock_seconds": "240",
    "claim_token_days": "14",
    "refusal_retention_days": "730",
    "money_back_limit": "2",
    "benefit_discount_percent": "15",
    "address": "1 Tooley Street\nLondon SE1 2TF",
    "org_number": "09876543",
    "vat_number": "GB987654321",
}


def _audit(action: str) -> list[dict]:
    return [json.loads(e.details) for e in AuditEvent.select().where(AuditEvent.action == action)]


def test_admin_creates_a_market_with_its_currency_and_vat_rates(admin: Office) -> None:
    done = admin.post(
        "/admin/markets",
        {"code": "no", "name": "", "currency": "nok", "vat_rates": "25, 15, 12 ,0"},
    )

    assert done.status_code == 302
    norway = Market.get(Market.code == "NO")
    assert (norway.name, norway.currency, norway.rates) == ("Norway", "NOK", [2500, 1500, 1200, 0])
    assert _audit("market.created")[0]["currency"] == "NOK"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "XQ", "two-letter ISO code"),
        ("code", "SE", "already a market with that code"),
        ("currency", "ABC", "three-letter ISO 4217 code"),
        ("currency", "JPY", "two decimals"),
        ("vat_rates", "25, 25", "each VAT rate in per cent once"),
        ("vat_rates", "twenty", "each VAT rate in per cent once"),
        ("vat_rates", "125", "each VAT rate in per cent once"),
    ],
)
def test_a_wrong_market_is_answered_at_its_field_and_nothing_is_written(
    admin: Office, field: str, value: str, message: str
) -> None:
    data = {"code": "NO", "name": "Norway", "currency": "NOK", "vat_rates": "25, 15"} | {
        field: value
    }
    answer = admin.post("/admin/markets", data)

    assert answer.status_code == 422
    assert message in answer.text.lower() or message in answer.text
    assert f'id="{field}-error"' in answer.text  # beside its field
    assert Market.select().count() == 2
    assert not _audit("market.created")


def test_a_vat_rate_products_carry_cannot_be_removed(admin: Office, chain) -> None:
    make.product("accessory", vat_rate=1200, markets=[chain.sweden])
    url = f"/admin/markets/{chain.sweden.id}"
    data = {"code": "SE", "name": "Sweden", "currency": "SEK", "vat_rates": "25, 6, 0"}

    refused = admin.post(url, data)

    assert refused.status_code == 422
    assert "1 products carry VAT 12 % in this market" in refused.text
    assert Market.get_by_id(chain.sweden.id).vat_rates == "2500,1200,600,0"


def test_a_market_whose_stores_have_sold_keeps_its_currency(admin: Office, shop, chain) -> None:
    make.sold_unit(
        shop.store, shop.erik, make.product("device"), bought=adult_birth_date(shop.store)
    )
    url = f"/admin/markets/{chain.sweden.id}"
    data = {"code": "SE", "name": "Sweden", "currency": "EUR", "vat_rates": "25, 12, 6, 0"}

    refused = admin.post(url, data)

    assert refused.status_code == 422 and "past sales would change currency" in refused.text
    assert Market.get_by_id(chain.sweden.id).currency == "SEK"


def test_admin_creates_a_store_in_another_market_with_every_setting(admin: Office, chain) -> None:
    done = admin.post("/admin/stores/new", STORE | {"market": chain.britain.id})

    assert done.status_code == 302
    store = Store.get(Store.code == "LON2")
    assert done.headers["Location"].endswith(f"/admin/stores/{store.id}")
    assert store.market_id == chain.britain.id and store.currency == "GBP"
    assert (store.timezone, store.language, store.legal_age, store.challenge_age) == (
        "Europe/London",
        "en",
        18,
        25,
    )
    assert (store.idle_lock_seconds, store.claim_token_days) == (240, 14)
    assert (store.money_back_limit, store.benefit_discount_percent) == (2, 15)
    assert (store.address, store.org_number, store.vat_number) == (
        "1 Tooley Street\nLondon SE1 2TF",
        "09876543",
        "GB987654321",
    )
    assert _audit("store.created")[0]["market"] == chain.britain.id


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus_Mons", "Unknown time zone"),
        ("code", "sto 1", "A store code is 2 to 16 letters"),
        ("legal_age", "40", "A whole number from 16 to 25"),
        ("legal_age", "eighteen", "Not a valid integer value"),
        ("challenge_age", "18", "The challenge age is above the legal age"),
        ("idle_lock_seconds", "5", "A whole number from 30 to 3600"),
        ("benefit_discount_percent", "80", "A whole number from 0 to 50"),
        ("money_back_limit", "-1", "A whole number from 0 to 10"),
        ("language", "de", "Not a valid choice"),
        ("market", "999999", "Choose the store"),
    ],
)
def test_a_wrong_store_setting_is_answered_at_its_field_and_nothing_is_written(
    admin: Office, chain, field: str, value: str, message: str
) -> None:
    answer = admin.post("/admin/stores/new", STORE | {"market": chain.britain.id, field: value})

    assert answer.status_code == 422
    assert message in answer.text
    assert f'id="{field}-error"' in answer.text
    assert not Store.select().where(Store.code == "LON2").exists()
    assert not _audit("store.created")


def test_a_store_code_is_taken_once(admin: Office, shop, chain) -> None:
    answer = admin.post(
        "/admin/stores/new", STORE | {"market": chain.britain.id, "code": shop.store.code}
    )
    assert answer.status_code == 422 and "already a store with that code" in answer.text


def test_admin_edits_a_store_and_the_change_is_audited(admin: Office, shop, chain) -> None:
    data = STORE | {
        "code": shop.store.code,
        "market": chain.sweden.id,
        "timezone": "Europe/Stockholm",
    }
    assert admin.post(f"/admin/stores/{shop.store.id}", data).status_code == 302

    store = Store.get_by_id(shop.store.id)
    assert (store.money_back_limit, store.benefit_discount_percent, store.vat_number) == (
        2,
        15,
        "GB987654321",
    )
    changed = _audit("store.changed")[0]
    assert changed["money_back_limit"] == 2 and "code" not in changed


def test_a_store_that_has_sold_moves_only_to_a_market_of_its_currency(
    admin: Office, shop, chain
) -> None:
    make.sold_unit(
        shop.store, shop.erik, make.product("device"), bought=adult_birth_date(shop.store)
    )
    data = STORE | {"code": shop.store.code, "market": chain.britain.id}

    refused = admin.post(f"/admin/stores/{shop.store.id}", data)

    assert (
        refused.status_code == 422
        and "it can only move to a market with that currency" in refused.text
    )
    assert Store.get_by_id(shop.store.id).market_id == chain.sweden.id


def test_admin_adds_a_new_stores_first_manager_who_then_signs_in_there(
    app: Flask, admin: Office, chain
) -> None:
    admin.post("/admin/stores/new", STORE | {"market": chain.britain.id})
    store = Store.get(Store.code == "LON2")
    person = {
        "display_name": "Lena",
        "username": "lena",
        "role": "manager",
        "password": "a long password",
        "pin": "4321",
    }

    added = admin.post(f"/admin/stores/{store.id}/staff", person)
    twice = admin.post(f"/admin/stores/{store.id}/staff", person)

    assert added.status_code == 302
    assert twice.status_code == 409 and "That username is taken." in twice.text
    lena = Staff.get(Staff.username == "lena")
    assert (lena.store_id, lena.role) == (store.id, "manager")
    client = app.test_client()
    AuthActions(client).sign_in("lena", "a long password")
    assert "Kiosk London Bridge" in client.get("/").text


def test_managers_read_the_catalog_but_cannot_keep_the_back_office(app: Flask, shop, chain) -> None:
    model = make.product("device", name="Heat Device One", price=49900)
    maja = office_for(app, "maja")

    listing = maja.client.get("/admin/catalog")
    assert listing.status_code == 200 and "Heat Device One" in listing.text
    assert "499,00" in listing.text or "499.00" in listing.text
    assert f"/admin/catalog/{model.id}" not in listing.text  # no edit link
    for url in ("/admin/stores", "/admin/markets", "/admin/catalog/new", "/admin/catalog/import"):
        assert maja.client.get(url).status_code == 403, url
    posts = {
        f"/admin/stores/{shop.store.id}": STORE | {"market": chain.sweden.id, "code": "HIJACK"},
        "/admin/markets": {"code": "NO", "name": "N", "currency": "NOK", "vat_rates": "25"},
        f"/admin/catalog/{model.id}": {"name": "Renamed", "price_SE": "1"},
        f"/admin/catalog/{model.id}/delete": {},
        f"/admin/stores/{shop.store.id}/staff": {"username": "mole", "role": "admin"},
    }
    for url, data in posts.items():
        assert maja.post(url, data).status_code == 403, url
    assert Store.get_by_id(shop.store.id).code != "HIJACK"
    assert model.__class__.get_by_id(model.id).name == "Heat Device One"
    assert not Market.select().where(Market.code == "NO").exists()
    assert not Staff.select().where(Staff.username == "mole").exists()


def test_staff_cannot_read_the_back_office(app: Flask, shop, chain) -> None:
    erik = office_for(app, "erik")
    assert erik.client.get("/admin/catalog").status_code == 403
    assert erik.client.get("/admin/").status_code == 403


def test_the_managers_settings_show_the_chains_terms_without_letting_them_change(
    app: Flask, shop, chain
) -> None:
    Store.update(money_back_limit=2, benefit_discount_percent=15).where(
        Store.id == shop.store.id
    ).execute()
    maja = office_for(app, "maja")
    page = maja.client.get("/manager/settings")
    assert 'data-testid="benefit-discount">15 %' in page.text
    assert 'data-testid="money-back-limit">2' in page.text
    form = {
        "name": "Kiosk Test City",
        "timezone": "Europe/Stockholm",
        "language": "en",
        "legal_age": "18",
        "idle_lock_seconds": "300",
        "claim_token_days": "30",
        "refusal_retention_days": "730",
        "money_back_limit": "9",
        "benefit_discount_percent": "50",
    }
    assert maja.post("/manager/settings", form).status_code == 302
    store = Store.get_by_id(shop.store.id)
    assert (store.money_back_limit, store.benefit_discount_percent) == (2, 15)
