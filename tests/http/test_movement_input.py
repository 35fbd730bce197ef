"""The screens after the counter (transfers, counts, shipments, deliveries, stock levels) and
the reports' store picker, against odd input and against people of another store."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import clock
from kiosk.models import (
    AuditEvent,
    Delivery,
    DeviceEvent,
    LowStockLevel,
    Shipment,
    ShipmentUnit,
    StockCount,
    StockCountUnit,
    Store,
    Transfer,
    TransferLine,
    TransferUnit,
)
from kiosk.services import transfers
from tests import factories as make
from tests.conftest import AuthActions, csrf_from

# A digit to str.isdigit(), not a number to int(): a form field must answer it, not crash.
SUPERSCRIPT_TWO = "²"


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    AuthActions(client).sign_in(username)
    return client


def post(client: FlaskClient, url: str, **data: str):  # noqa: ANN201
    token = csrf_from(client.get("/stock/").text)
    return client.post(url, data={"csrf_token": token, **data})


def test_a_transfers_received_quantity_in_other_digits_is_asked_again(app: Flask, shop) -> None:
    sender = make.store(name="Kiosk Göteborg")
    sender_staff = make.staff(sender, username="gote")
    sticks = make.product("consumable", name="Sticks Amber")
    make.stock(sender, sticks, 10)
    with app.test_request_context():
        transfer = transfers.start(sender, sender_staff, shop.store.id)
        transfers.add_items(sender, transfer.id, sticks.id, 4)
        transfers.send(sender, sender_staff, transfer.id)
    line = TransferLine.get()

    here = signed_in(app, "maja")
    answer = post(here, f"/transfers/{transfer.id}/finish", **{f"line-{line.id}": SUPERSCRIPT_TWO})

    assert answer.status_code == 422 and "How many of Sticks Amber arrived?" in answer.text
    assert Transfer.get_by_id(transfer.id).status == "in_transit"
    assert TransferLine.get_by_id(line.id).received is None


def test_a_counts_reason_for_a_unit_named_in_other_digits_is_not_a_crash(app: Flask, shop) -> None:
    unit = make.device(shop.store, make.product("device"))
    count = StockCount.create(store=shop.store, started_by=shop.manager, started_at=clock.now_utc())

    here = signed_in(app, "maja")
    answer = post(here, f"/counts/{count.id}/close", **{f"reason-{SUPERSCRIPT_TWO}": "lost"})

    assert answer.status_code == 422 and f"Say what became of {unit.serial}" in answer.text
    assert StockCount.get_by_id(count.id).status == "open"
    assert not StockCountUnit.select().exists()


@pytest.mark.parametrize("page", ["/manager/", "/manager/sales", "/stock/levels"])
def test_a_store_picked_in_other_digits_or_past_any_id_is_no_store(app: Flask, shop, page) -> None:
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    admin = signed_in(app, "root")
    for wanted in (SUPERSCRIPT_TWO, "9" * 30):
        assert admin.get(f"{page}?store={wanted}").status_code == 404, wanted


def test_a_catalog_page_in_other_digits_is_the_first_page(app: Flask, shop) -> None:
    make.product("device", name="Heat Device One")
    here = signed_in(app, "maja")
    answer = here.get(f"/admin/catalog?page={SUPERSCRIPT_TWO}")
    assert answer.status_code == 200 and "Heat Device One" in answer.text


# --- People of another store ----------------------------------------------------------------


@pytest.fixture
def their_store(app: Flask, shop) -> SimpleNamespace:
    """Another store's open delivery, shipment, transfer, count and a unit of each kind."""
    theirs = make.store(name="Kiosk Malmö")
    boss = make.staff(theirs, role="manager", username="malin", pin="1111")
    make.staff(theirs, username="mats", pin="2222")
    model = make.product("device", serial_pattern=r"HD\d+")
    waiting = make.device(theirs, model, serial="HD900001", status="replaced_out")
    on_shelf = make.device(theirs, model, serial="HD900002")
    now = clock.now_utc()
    shipment = Shipment.create(store=theirs, rma_reference="RMA-9", created_by=boss, created_at=now)
    ShipmentUnit.create(shipment=shipment, device=waiting, packed_by=boss, packed_at=now)
    transfer = Transfer.create(
        from_store=theirs, to_store=make.store(), created_by=boss, created_at=now
    )
    TransferUnit.create(transfer=transfer, device=on_shelf, state="draft", updated_at=now)
    return SimpleNamespace(
        store=theirs,
        values={
            "delivery_id": Delivery.create(
                store=theirs, reference="DN-9", created_at=now, updated_at=now
            ).id,
            "shipment_id": shipment.id,
            "transfer_id": transfer.id,
            "count_id": StockCount.create(store=theirs, started_by=boss, started_at=now).id,
            "store_id": theirs.id,
            "product_id": model.id,
            "device_id": waiting.id,
            "line_id": 1,
        },
        serial=on_shelf.serial,
    )


# What each of another store's things may be asked, with values that would do something.
SCOPED = (
    "/returns/shipments/",
    "/transfers/<",
    "/counts/<",
    "/stock/deliveries/<",
    "/stock/levels/<",
)
FORM = {
    "serial": "HD900002",
    "code": "HD900002",
    "credit_reference": "CR-1",
    "product_id": "1",
    "product": "1",
    "quantity": "1",
    "reference": "DN-X",
    "level": "5",
}


def _rows() -> dict[str, int]:
    tables = (DeviceEvent, Shipment, ShipmentUnit, TransferUnit, StockCountUnit)
    counted = {t.__name__: t.select().count() for t in tables}
    # Plain staff refused a manager's page is itself audited; nothing else may be.
    counted["audit"] = AuditEvent.select().where(AuditEvent.action != "staff.role_refused").count()
    counted["levels"] = LowStockLevel.select().count()
    counted["statuses"] = hash(
        tuple(m.status for m in (*Shipment.select(), *Transfer.select(), *StockCount.select()))
    )
    counted["deliveries"] = hash(tuple((d.status, d.reference) for d in Delivery.select()))
    return counted


@pytest.mark.parametrize("who", ["maja", "erik"])
def test_nobody_reaches_another_stores_shipment_transfer_count_delivery_or_levels(
    app: Flask, shop, their_store: SimpleNamespace, who: str
) -> None:
    client = signed_in(app, who)
    token = csrf_from(client.get("/stock/").text)
    before = _rows()
    reached, asked = [], 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(SCOPED):
            continue
        asked += 1
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(their_store.values[m.group(1)]), rule.rule)
        if "GET" in rule.methods:
            answer = client.get(url)
            if answer.status_code not in (403, 404):
                reached.append(f"GET {url}: {answer.status_code}")
        if "POST" in rule.methods:
            answer = client.post(url, data={"csrf_token": token, **FORM})
            if answer.status_code not in (403, 404):
                reached.append(f"POST {url}: {answer.status_code}")
    assert asked >= 25, asked  # every route of those things, not a prefix gone stale
    assert not reached, "\n".join(reached)
    assert _rows() == before
    assert Store.select().count() == 3


def test_a_swedish_counts_scan_button_says_count_not_quantity(app: Flask, shop) -> None:
    """Seen on the demo: the button beside the count's scan field read "Antal" (how many)."""
    Store.update(language="sv").where(Store.id == shop.store.id).execute()
    count = StockCount.create(store=shop.store, started_by=shop.manager, started_at=clock.now_utc())
    page = signed_in(app, "erik").get(f"/counts/{count.id}").text
    form = page[page.index('action="/counts/') : page.index("</form>", page.index("/scan"))]
    button = re.search(r'<button type="submit"[^>]*>([^<]+)</button>', form).group(1)
    assert button == "Räkna den", button
