"""Generated bad input at the forms of stock, back to the maker, transfers, counts and the
customer's details: never a 500, and afterwards `flask --app kiosk check` finds every
invariant holding (a unit's life agrees with its status, stock is never negative...).

`make soak` runs these with many more examples (HYPOTHESIS_PROFILE=soak).
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Delivery, Device, Shipment, StockCount, Transfer, TransferLine
from kiosk.services import claiming, swaps, transfers
from kiosk.services.integrity import run_checks
from tests import factories as make
from tests.conftest import MIGRATIONS, AuthActions, csrf_from
from tests.db.scratch import sell
from tests.http.test_account_details import signed_in as customer_phone
from tests.http.test_fuzz import weird_text

# Digits int() refuses ("²"), another script's digits, and ids no row has.
odd_text = st.one_of(weird_text, st.sampled_from(["²", "١٢", "٣", "2147483648", "-0", "0x10"]))


def form(fields: list[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({}, optional={name: odd_text for name in fields})


STAFF_FORMS = {
    "/returns/shipments": ["rma_reference"],
    "/returns/shipments/{shipment}/pack": ["serial"],
    "/returns/shipments/{shipment}/credit": ["credit_reference"],
    "/transfers/": ["to_store"],
    "/transfers/{draft}/units": ["serial"],
    "/transfers/{draft}/items": ["product_id", "quantity"],
    "/transfers/{incoming}/receive": ["serial"],
    "/transfers/{incoming}/finish": ["line-{line}", "line-1", "line-²"],
    "/counts/": ["product_id"],
    "/counts/{count}/scan": ["serial"],
    "/counts/{count}/close": ["reason-{unit}", "reason-1", "reason-²"],
    "/stock/deliveries": ["reference"],
    "/stock/deliveries/{delivery}/scan": ["code", "model"],
    "/stock/deliveries/{delivery}/quantity": ["product", "quantity"],
    "/stock/deliveries/{delivery}/reference": ["reference"],
    "/stock/levels/{store}/{product}": ["level"],
}
CUSTOMER_FORMS = {
    "/account/details": ["name"],
    "/account/details/addresses/new": [
        "recipient",
        "street",
        "extra",
        "postal_code",
        "city",
        "country",
        "default",
    ],
    "/account/devices/add": ["serial", "reference"],
    "/account/mobile": ["mobile"],
}


@pytest.fixture
def world(app: Flask, shop) -> dict[str, int]:
    """One of each thing the forms act on, in a state where each form can do something."""
    model = make.product("device", serial_pattern=r"HD\d{5}")
    sticks = make.product("consumable")
    make.stock(shop.store, sticks, 20)
    for serial in ("HD10000", "HD10001", "HD10003"):
        make.device(shop.store, model, serial=serial)
    sender = make.store(name="Kiosk Göteborg")
    sender_staff = make.staff(sender, username="gote")
    make.stock(sender, sticks, 20)
    travelling = make.device(sender, model, serial="HD10002")
    now = clock.now_utc()
    with app.test_request_context():
        # A unit swapped out at the desk: waiting to go back to the maker.
        sold = sell(shop.store, shop.erik, serial="HD10000")
        claiming.link_sale(sold, make.customer(), shop.erik)
        swaps.replace(
            shop.store,
            shop.erik,
            Device.get(Device.serial == "HD10000").id,
            case="defect",
            replacement_serial="HD10003",
            fault_code="NO_HEAT",
            note="",
        )
        incoming = transfers.start(sender, sender_staff, shop.store.id)
        transfers.add_unit(sender, sender_staff, incoming.id, travelling.serial)
        transfers.add_items(sender, incoming.id, sticks.id, 3)
        transfers.send(sender, sender_staff, incoming.id)
    return {
        "shipment": Shipment.create(
            store=shop.store, rma_reference="RMA-1", created_by=shop.manager, created_at=now
        ).id,
        "draft": Transfer.create(
            from_store=shop.store, to_store=sender, created_by=shop.erik, created_at=now
        ).id,
        "incoming": incoming.id,
        "line": TransferLine.get(TransferLine.transfer == incoming).id,
        "count": StockCount.create(store=shop.store, started_by=shop.manager, started_at=now).id,
        "unit": Device.get(Device.serial == "HD10001").id,
        "delivery": Delivery.create(
            store=shop.store, reference="DN-1", created_at=now, updated_at=now
        ).id,
        "store": shop.store.id,
        "product": sticks.id,
    }


def assert_check_holds() -> None:
    report = run_checks(db.obj, MIGRATIONS)
    assert report.ok, [(f.name, f.rows) for f in report.broken]


def fuzz(client: FlaskClient, url: str, fields: list[str], token: str) -> None:
    @given(data=form(fields))
    def post(data: dict[str, str]) -> None:
        for headers in ({"X-CSRFToken": token, "HX-Request": "true"}, {"X-CSRFToken": token}):
            response = client.post(url, data=data, headers=headers)
            assert response.status_code < 500, (url, data, response.status_code)

    post()


@pytest.mark.parametrize("url", sorted(STAFF_FORMS))
def test_generated_input_never_breaks_a_stock_or_movement_form(
    app: Flask, client: FlaskClient, auth: AuthActions, world: dict[str, int], url: str
) -> None:
    auth.sign_in("maja")
    token = csrf_from(client.get("/stock/").text)
    fields = [name.format(**world) for name in STAFF_FORMS[url]]
    fuzz(client, url.format(**world), fields, token)
    assert_check_holds()


def test_generated_serials_never_break_where_is_this_unit(
    client: FlaskClient, auth: AuthActions, world: dict[str, int]
) -> None:
    auth.sign_in("erik")

    @given(args=form(["serial"]))
    def look(args: dict[str, str]) -> None:
        assert client.get("/stock/units", query_string=args).status_code < 500, args

    look()


@pytest.mark.parametrize("url", sorted(CUSTOMER_FORMS))
def test_generated_input_never_breaks_a_customers_details_form(
    app: Flask, shop, world: dict[str, int], url: str
) -> None:
    phone = customer_phone(app, make.customer(email="alva@example.com"))
    token = csrf_from(phone.get("/account/details").text)
    fuzz(phone, url, CUSTOMER_FORMS[url], token)
    assert_check_holds()
