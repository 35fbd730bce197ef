"""Every route against every kind of visitor, built from the app's URL map.

The table must name every endpoint: a new route fails this test until someone decides
who may open it. Every state-changing route refuses a request without a CSRF token.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import clock
from kiosk.models import Delivery, Sale, Shipment, StockCount, Swap, Transfer
from tests import factories as make
from tests.conftest import AuthActions, csrf_from

ANON, CUSTOMER, STAFF, MANAGER, ADMIN = "anonymous", "customer", "staff", "manager", "admin"
VISITORS = (ANON, CUSTOMER, STAFF, MANAGER, ADMIN)


def row(anon: int, customer: int, staff: int, manager: int, admin: int) -> dict[str, int]:
    return dict(zip(VISITORS, (anon, customer, staff, manager, admin), strict=True))


EVERYONE_200 = row(200, 200, 200, 200, 200)
STAFF_ONLY = row(302, 302, 200, 200, 200)
MANAGERS_ONLY = row(302, 302, 403, 200, 200)
CUSTOMERS_ONLY = row(302, 200, 302, 302, 302)
ADMINS_ONLY = row(302, 302, 403, 403, 200)

# GET status per visitor; None marks a POST-only endpoint (checked for CSRF below).
EXPECTED: dict[str, dict[str, int] | None] = {
    "auth.home": STAFF_ONLY,
    "auth.signin": EVERYONE_200,
    "auth.pin": row(302, 302, 200, 200, 200),
    "auth.pin_entry": row(302, 302, 200, 200, 200),
    "auth.lock": None,
    "auth.signout": None,
    "counter.cart": STAFF_ONLY,
    "counter.products": STAFF_ONLY,
    "counter.serials": STAFF_ONLY,
    "counter.receipt": STAFF_ONLY,
    "counter.show_claim": row(302, 302, 302, 302, 302),  # no QR secret on this tablet
    "counter.claim_status": row(302, 302, 204, 204, 204),  # 204 until the customer claims
    "counter.register_customer": STAFF_ONLY,
    "counter.scan": None,
    "counter.add_line": None,
    "counter.set_quantity": None,
    "counter.remove_line": None,
    "counter.clear": None,
    "counter.age_check": None,
    "counter.complete": None,
    "counter.link": None,
    "swaps.find": STAFF_ONLY,
    "swaps.device": STAFF_ONLY,
    "swaps.register": STAFF_ONLY,
    "swaps.receipt": STAFF_ONLY,
    "swaps.assess": None,
    "swaps.replace": None,
    "swaps.money_back": None,
    "manager.replacements": MANAGERS_ONLY,
    "manager.replacements_csv": MANAGERS_ONLY,
    "manager.sales": MANAGERS_ONLY,
    "manager.sales_csv": MANAGERS_ONLY,
    "manager.signals": MANAGERS_ONLY,
    "manager.staff": MANAGERS_ONLY,
    "manager.settings": MANAGERS_ONLY,
    "manager.deactivate": None,
    "manager.reactivate": None,
    "manager.set_password": None,
    "manager.reset_pin": None,
    "manager.change_role": None,
    "returns.index": STAFF_ONLY,
    "returns.open_shipment": None,
    "returns.shipment": STAFF_ONLY,
    "returns.pack": None,
    "returns.unpack": None,
    "returns.ship": None,
    "returns.credit": None,
    "returns.packing_list": STAFF_ONLY,
    "returns.packing_list_csv": STAFF_ONLY,
    "transfers.index": STAFF_ONLY,
    "transfers.start": None,
    "transfers.transfer": STAFF_ONLY,
    "transfers.add_unit": None,
    "transfers.receive_unit": None,
    "transfers.remove_unit": None,
    "transfers.add_items": None,
    "transfers.send": None,
    "transfers.finish": None,
    "transfers.cancel": None,
    "counts.index": STAFF_ONLY,
    "counts.start": None,
    "counts.count": STAFF_ONLY,
    "counts.scan": None,
    "counts.close": None,
    "stock.home": STAFF_ONLY,
    "stock.start_delivery": None,
    "stock.delivery": STAFF_ONLY,  # the store's open delivery
    "stock.scan": None,
    "stock.add_quantity": None,
    "stock.remove_line": None,
    "stock.set_reference": None,
    "stock.receive": None,
    "stock.discard": None,
    "stock.note": row(302, 302, 302, 302, 302),  # not received yet: back to the delivery
    "stock.unit": STAFF_ONLY,
    "stock.levels": MANAGERS_ONLY,
    "stock.set_level": None,
    "claim.enter_code": EVERYONE_200,
    "claim.open_token": row(404, 404, 404, 404, 404),  # an unknown token
    "claim.confirm": None,
    "account.signup": EVERYONE_200,
    "account.signin": EVERYONE_200,
    "account.signout": None,
    "account.activate": row(400, 400, 400, 400, 400),  # a forged token
    "account.confirm_email": row(400, 400, 400, 400, 400),
    "account.forgot": EVERYONE_200,
    "account.resend_activation": EVERYONE_200,
    "account.reset_password": row(400, 400, 400, 400, 400),  # a forged token, said at once
    "account.home": CUSTOMERS_ONLY,
    "account.account_qr": CUSTOMERS_ONLY,
    "account.consent": None,
    "account.change_password": CUSTOMERS_ONLY,
    "account.change_email": CUSTOMERS_ONLY,
    "account.export": CUSTOMERS_ONLY,
    "account.delete": CUSTOMERS_ONLY,
    "backoffice.index": row(302, 302, 403, 302, 302),  # to the catalog
    "backoffice.catalog": MANAGERS_ONLY,  # managers read their market's prices
    "backoffice.new_product": ADMINS_ONLY,
    "backoffice.product": ADMINS_ONLY,
    "backoffice.delete_product": None,
    "backoffice.export": ADMINS_ONLY,
    "backoffice.import_catalog": ADMINS_ONLY,
    "backoffice.confirm_import": None,
    "backoffice.markets": ADMINS_ONLY,
    "backoffice.market": ADMINS_ONLY,
    "backoffice.stores": ADMINS_ONLY,
    "backoffice.new_store": ADMINS_ONLY,
    "backoffice.store": ADMINS_ONLY,
    "backoffice.add_staff": None,
    "account.signin_mobile": EVERYONE_200,
    "account.signup_mobile": EVERYONE_200,
    "account.enter_code": row(302, 302, 302, 302, 302),  # no code asked for: back to the number
    "account.new_code": None,
    "account.add_mobile": CUSTOMERS_ONLY,
    "account.details": CUSTOMERS_ONLY,
    "account.new_address": CUSTOMERS_ONLY,
    "account.edit_address": row(302, 404, 302, 302, 302),  # someone else's address: none
    "account.delete_address": None,
    "account.add_device": CUSTOMERS_ONLY,
    "account.help": EVERYONE_200,
}


@pytest.fixture
def world(app: Flask, shop):  # noqa: ANN201
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    model = make.product("device")
    old, new = make.device(shop.store, model), make.device(shop.store, model)
    owner = make.customer()
    reg = make.registration(shop.store, owner, old)
    address = make.address(owner)
    swap = Swap.create(
        store=shop.store,
        staff=shop.erik,
        registration=reg,
        old_device=old,
        new_device=new,
        swap_case="defect",
        outcome="warranty",
        created_at=clock.now_utc(),
        local_date=clock.today_in(shop.store.timezone),
    )
    sale = Sale.create(
        store=shop.store,
        staff=shop.erik,
        idempotency_key="k",
        tender="card",
        subtotal=0,
        total=0,
        vat_total=0,
        created_at=clock.now_utc(),
        local_date=date.today(),
    )
    now = clock.now_utc()
    delivery = Delivery.create(
        store=shop.store,
        reference="DN-1",
        created_at=clock.now_utc(),
        updated_at=clock.now_utc(),
    )
    values = {
        "delivery_id": delivery.id,
        "store_id": shop.store.id,
        "product_id": model.id,
        "sale_id": sale.id,
        "device_id": old.id,
        "swap_id": swap.id,
        "staff_id": shop.erik.id,
        "line_id": 1,
        "token": "forged.token.value",
        "shipment_id": Shipment.create(
            store=shop.store, rma_reference="RMA-1", created_by=shop.erik, created_at=now
        ).id,
        "transfer_id": Transfer.create(
            from_store=shop.store, to_store=make.store(), created_by=shop.erik, created_at=now
        ).id,
        "count_id": StockCount.create(store=shop.store, started_by=shop.erik, started_at=now).id,
        "market_id": shop.store.market_id,
        "upload_id": 1,
        "address_id": address.id,
    }
    return values


def visitor(app: Flask, who: str) -> FlaskClient:
    client = app.test_client()
    if who == CUSTOMER:
        make.customer(email="visitor@example.com")
        page = client.get("/account/signin")
        signed_in = client.post(
            "/account/signin",
            data={
                "csrf_token": csrf_from(page.text),
                "email": "visitor@example.com",
                "password": "customer password",
            },
        )
        assert signed_in.status_code == 302
    elif who != ANON:
        AuthActions(client).sign_in({STAFF: "erik", MANAGER: "maja", ADMIN: "root"}[who])
    return client


def url_for_rule(rule, values: dict) -> str:  # noqa: ANN001
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


def test_every_route_is_in_the_access_table(app: Flask) -> None:
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint != "static"}
    assert endpoints == set(EXPECTED), (
        f"routes without a decision: {sorted(endpoints - set(EXPECTED))}; "
        f"stale rows: {sorted(set(EXPECTED) - endpoints)}"
    )


@pytest.mark.parametrize("who", VISITORS)
def test_every_page_answers_each_visitor_as_the_table_says(app: Flask, world, who: str) -> None:
    client = visitor(app, who)
    wrong = []
    for rule in app.url_map.iter_rules():
        expected = EXPECTED.get(rule.endpoint)
        if rule.endpoint == "static" or expected is None or "GET" not in rule.methods:
            continue
        response = client.get(url_for_rule(rule, world))
        if response.status_code != expected[who]:
            wrong.append(f"{rule.rule}: {response.status_code}, expected {expected[who]}")
        assert "Content-Security-Policy" in response.headers, rule.rule
    assert not wrong, "\n".join(wrong)


def test_every_state_change_refuses_a_request_without_csrf(app: Flask, world) -> None:
    client = visitor(app, MANAGER)
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        response = client.post(url_for_rule(rule, world), data={"anything": "1"})
        assert response.status_code == 400, rule.rule
        assert "This form has expired" in response.text, rule.rule
