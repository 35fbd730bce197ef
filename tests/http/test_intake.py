"""A delivery scanned into stock over HTTP: each serial checked at once, refused on its own
line, the draft kept on the server, and "Receive" writing everything or nothing."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient

from kiosk.models import (
    AuditEvent,
    Delivery,
    DeliveryLine,
    Device,
    DeviceEvent,
    StockLevel,
)
from kiosk.services import intake
from tests import factories as make
from tests.conftest import AuthActions, csrf_from


class Intake:
    """A tablet receiving a delivery, driven the way the page drives it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_from(client.get("/stock/").text)

    def post(self, url: str, *, htmx: bool = True, **data: object):  # noqa: ANN201
        headers = {"X-CSRFToken": self.token}
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(url, data=data, headers=headers)

    def start(self, reference: str = "DN-1001"):  # noqa: ANN201
        return self.post("/stock/deliveries", htmx=False, reference=reference)

    @property
    def delivery(self) -> Delivery:
        return Delivery.get(Delivery.status == "open")

    def scan(self, code: str, model: object = ""):  # noqa: ANN201
        return self.post(f"/stock/deliveries/{self.delivery.id}/scan", code=code, model=model)

    def add(self, product_id: object, quantity: object):  # noqa: ANN201
        return self.post(
            f"/stock/deliveries/{self.delivery.id}/quantity",
            htmx=False,
            product=product_id,
            quantity=quantity,
        )

    def receive(self, delivery_id: int | None = None):  # noqa: ANN201
        delivery_id = delivery_id or self.delivery.id
        return self.post(f"/stock/deliveries/{delivery_id}/receive", htmx=False)


@pytest.fixture
def catalog(shop) -> SimpleNamespace:  # noqa: ANN001
    """Device models with their serial formats, one without, two sharing one, and packs."""
    return SimpleNamespace(
        one=make.product("device", name="Heat Device One", serial_pattern=r"HS\d{1,4}ON\d{7}"),
        duo=make.product("device", name="Heat Device Duo", serial_pattern=r"HS\d{1,4}DU\d{7}"),
        prime=make.product("device", name="Heat Device Prime", serial_pattern=r"PR\d{6}"),
        prime2=make.product("device", name="Heat Device Prime 2", serial_pattern=r"PR\d{6}"),
        mini=make.product("device", name="Heat Device Mini"),  # no format entered yet
        sticks=make.product("consumable", sku="CON-AMBER", name="Sticks Amber"),
        case=make.product("accessory", sku="ACC-CASE", name="Holder case"),
    )


@pytest.fixture
def tablet(client: FlaskClient, auth: AuthActions, shop, catalog) -> Intake:  # noqa: ANN001
    auth.sign_in("erik")
    tablet = Intake(client)
    assert tablet.start().status_code == 302
    return tablet


def kept_serials() -> list[str]:
    lines = DeliveryLine.select().where(DeliveryLine.refusal == "").order_by(DeliveryLine.id)
    return [line.serial for line in lines if line.serial]


def refusals() -> list[str]:
    lines = DeliveryLine.select().where(DeliveryLine.refusal != "").order_by(DeliveryLine.id)
    return [line.refusal for line in lines]


def test_each_serial_is_checked_at_once_and_each_refusal_stays_on_its_own_line(
    tablet: Intake, shop, catalog
) -> None:
    elsewhere = make.store(name="Kiosk Göteborg")
    make.device(elsewhere, catalog.one, serial="HS9ON0000001", status="replaced_out")

    first = tablet.scan("hs-12on 0000001")  # a person's variant: normalised
    assert first.status_code == 200 and "HS12ON0000001" in first.text
    assert "Heat Device One" in first.text and 'hx-swap-oob="true"' in first.text
    assert tablet.scan("HS12DU0000001").status_code == 200

    twice = tablet.scan("HS12ON0000001")
    assert twice.status_code == 409 and "scanned twice" in twice.text
    wrong = tablet.scan("HS12XX0000001")
    assert wrong.status_code == 422 and "a format no model has" in wrong.text
    known = tablet.scan("HS9ON0000001")
    assert known.status_code == 409
    assert "already known: swapped out, waiting to go back to the maker at Kiosk Göteborg" in (
        known.text
    )
    not_a_serial = tablet.scan("☃ snow")
    assert not_a_serial.status_code == 422 and "only letters A-Z and digits" in not_a_serial.text
    model_code = tablet.scan(catalog.one.sku)
    assert model_code.status_code == 422 and "scan the serial under the box" in model_code.text

    assert tablet.scan("HS12ON0000002").status_code == 200  # the rest go on being kept
    assert kept_serials() == ["HS12ON0000001", "HS12DU0000001", "HS12ON0000002"]
    assert len(refusals()) == 5
    assert DeliveryLine.select().where(DeliveryLine.serial.is_null(False)).count() == 3
    assert not Device.select().where(Device.serial.startswith("HS12")).exists()

    page = tablet.client.get(f"/stock/deliveries/{tablet.delivery.id}")
    assert page.text.count("intake-line--refused") == 5
    assert re.search(r"Heat Device One</th><td class=\"num\">2<", page.text)
    assert "5 scans refused" in page.text


def test_when_several_formats_fit_the_chosen_model_decides(tablet: Intake, catalog) -> None:
    unsure = tablet.scan("PR123456")
    assert unsure.status_code == 422
    assert "fits several models (Heat Device Prime, Heat Device Prime 2)" in unsure.text
    chosen = tablet.scan("PR123456", model=catalog.prime2.id)
    assert chosen.status_code == 200
    line = DeliveryLine.get(DeliveryLine.serial == "PR123456")
    assert line.product_id == catalog.prime2.id
    # A single fitting format wins whatever is chosen: a delivery mixes models.
    assert tablet.scan("HS1ON0000009", model=catalog.prime2.id).status_code == 200
    assert DeliveryLine.get(DeliveryLine.serial == "HS1ON0000009").product_id == catalog.one.id


def test_a_model_without_a_format_takes_serials_only_when_chosen(tablet: Intake, catalog) -> None:
    assert tablet.scan("MINI0001").status_code == 422
    assert tablet.scan("MINI0001", model=catalog.mini.id).status_code == 200
    assert DeliveryLine.get(DeliveryLine.serial == "MINI0001").product_id == catalog.mini.id


def test_consumables_and_accessories_come_in_by_quantity_or_by_their_sku(
    tablet: Intake, catalog
) -> None:
    assert tablet.add(catalog.sticks.id, 10).status_code == 302
    assert tablet.add(catalog.sticks.id, 5).status_code == 302
    grew = tablet.scan("con-amber")
    assert grew.status_code == 200 and "One more CON-AMBER" in grew.text
    assert f'id="line-{DeliveryLine.get().id}" hx-swap-oob="true"' in grew.text
    assert tablet.scan("ACC-CASE").status_code == 200
    counted = {line.product_id: line.quantity for line in DeliveryLine.select()}
    assert counted == {catalog.sticks.id: 16, catalog.case.id: 1}


@pytest.mark.parametrize(
    ("product", "quantity", "status", "message"),
    [
        ("sticks", "0", 422, "A quantity is from 1 to 9999."),
        ("sticks", "10000", 422, "A quantity is from 1 to 9999."),
        ("sticks", "many", 422, "Not a valid integer value."),
        ("sticks", "", 422, "Type a quantity."),
        ("one", "3", 422, "Devices come in one by one: scan each serial."),
        ("", "3", 422, "Choose a product."),
        (str(2**63), "3", 422, "Choose a product."),
        ("999999", "3", 404, "That product is not in the catalog."),
    ],
)
def test_bad_quantities_are_answered_at_the_field_and_write_nothing(
    tablet: Intake, catalog, product, quantity, status, message
) -> None:
    product_id = getattr(catalog, product).id if hasattr(catalog, product) else product
    answer = tablet.add(product_id, quantity)
    assert answer.status_code == status and message in answer.text
    assert 'class="field__error"' in answer.text
    assert not DeliveryLine.select().exists()


def test_bad_scans_and_references_never_500_and_write_no_line(tablet: Intake) -> None:
    assert tablet.scan("").status_code == 422
    assert tablet.scan("   ").status_code == 422
    assert tablet.scan("A" * 401).status_code == 422
    assert tablet.scan("HS1ON0000001", model="abc").status_code == 422
    assert tablet.scan("HS1ON0000001", model=str(2**63)).status_code == 422
    assert not DeliveryLine.select().exists()
    long = tablet.scan("A" * 300)  # a stray QR code: refused on its own line, kept short
    assert long.status_code == 422 and len(DeliveryLine.get().scanned) == 64
    reference = tablet.post(
        f"/stock/deliveries/{tablet.delivery.id}/reference", htmx=False, reference="X" * 65
    )
    assert reference.status_code == 422 and "at most 64 characters" in reference.text
    assert tablet.delivery.reference == "DN-1001"


def test_a_delivery_cannot_hold_more_lines_than_one_transaction_should_take(
    tablet: Intake, monkeypatch
) -> None:
    monkeypatch.setattr(intake, "MAX_LINES", 2)
    tablet.scan("HS1ON0000001")
    tablet.scan("HS1ON0000002")
    full = tablet.scan("HS1ON0000003")
    assert full.status_code == 409 and "at most 2 lines" in full.text
    assert DeliveryLine.select().count() == 2


def test_the_draft_survives_a_reload_the_lock_and_a_colleagues_turn(
    client: FlaskClient, auth: AuthActions, tablet: Intake, shop
) -> None:
    tablet.scan("HS1ON0000001")
    tablet.scan("HS1ON0000002")
    auth.lock()
    auth.enter_pin(shop.sara.id, "3333")
    home = client.get("/stock/")
    assert "Carry on with delivery DN-1001" in home.text
    page = client.get(f"/stock/deliveries/{tablet.delivery.id}")
    assert "HS1ON0000001" in page.text and "HS1ON0000002" in page.text
    # Starting "another" delivery carries on with the open one: one draft per store.
    sara = Intake(client)
    restart = sara.start("DN-9999")
    assert restart.status_code == 302 and restart.location.endswith(f"/{tablet.delivery.id}")
    assert "DN-1001 is already being received here" in client.get(restart.location).text
    sara.scan("HS1ON0000003")
    assert Delivery.select().count() == 1
    assert [line.staff_id for line in DeliveryLine.select().order_by(DeliveryLine.id)] == [
        shop.erik.id,
        shop.erik.id,
        shop.sara.id,
    ]


def test_receiving_writes_units_their_first_step_the_counts_and_one_audit_event(
    tablet: Intake, shop, catalog
) -> None:
    make.stock(shop.store, catalog.sticks, 7)
    for serial in ("HS1ON0000001", "HS1ON0000002", "HS1DU0000001"):
        tablet.scan(serial)
    tablet.scan("NOPE")  # refused: never received
    tablet.add(catalog.sticks.id, 20)
    tablet.add(catalog.case.id, 3)
    delivery = tablet.delivery

    done = tablet.receive()
    assert done.status_code == 302 and done.location.endswith(f"/deliveries/{delivery.id}/note")

    units = list(Device.select().order_by(Device.serial))
    assert [(u.serial, u.product_id, u.store_id, u.status) for u in units] == [
        ("HS1DU0000001", catalog.duo.id, shop.store.id, "in_stock"),
        ("HS1ON0000001", catalog.one.id, shop.store.id, "in_stock"),
        ("HS1ON0000002", catalog.one.id, shop.store.id, "in_stock"),
    ]
    events = list(DeviceEvent.select())
    assert len(events) == 3
    assert {(e.event, e.status, e.subject_type, e.subject_id, e.reference) for e in events} == {
        ("received", "in_stock", "delivery", delivery.id, "DN-1001")
    }
    assert {e.staff_id for e in events} == {shop.erik.id}
    levels = {s.product_id: s.quantity for s in StockLevel.select()}
    assert levels == {catalog.sticks.id: 27, catalog.case.id: 3}
    audit = AuditEvent.get(AuditEvent.action == "stock.received")
    assert json.loads(audit.details) == {"items": 23, "reference": "DN-1001", "units": 3}
    assert AuditEvent.select().where(AuditEvent.action == "stock.received").count() == 1
    received = Delivery.get_by_id(delivery.id)
    assert (received.status, received.received_by_id) == ("received", shop.erik.id)

    note = tablet.client.get(done.location)
    assert note.status_code == 200 and "Receiving note" in note.text
    assert all(s in note.text for s in ("HS1ON0000001", "HS1ON0000002", "HS1DU0000001"))
    assert "Refused at intake, not received (1)" in note.text
    assert 'data-paper="80mm"' in note.text
    assert 'data-paper="a4"' in tablet.client.get(done.location + "?paper=a4").text

    again = tablet.receive(delivery.id)  # a second tap, or the back button: the note again
    assert again.status_code == 302 and again.location == done.location
    assert Device.select().count() == 3 and StockLevel.get(product=catalog.sticks).quantity == 27
    assert AuditEvent.select().where(AuditEvent.action == "stock.received").count() == 1


def test_a_serial_that_reached_the_chain_meanwhile_stops_the_whole_delivery(
    tablet: Intake, shop, catalog
) -> None:
    make.stock(shop.store, catalog.sticks, 7)
    tablet.scan("HS1ON0000001")
    tablet.scan("HS1ON0000002")
    tablet.add(catalog.sticks.id, 20)
    elsewhere = make.store(name="Kiosk Malmö")
    make.device(elsewhere, catalog.one, serial="HS1ON0000002")  # another tablet was faster

    lost = tablet.receive()
    assert lost.status_code == 409
    assert "Nothing was received: HS1ON0000002 is already known: in stock at Kiosk Malmö." in (
        lost.text
    )
    assert Device.select().count() == 1
    assert not DeviceEvent.select().where(DeviceEvent.subject_type == "delivery").exists()
    assert StockLevel.get(product=catalog.sticks).quantity == 7
    assert not AuditEvent.select().where(AuditEvent.action == "stock.received").exists()
    assert tablet.delivery.status == "open"
    assert kept_serials() == ["HS1ON0000001"]
    assert refusals() == ["HS1ON0000002 is already known: in stock at Kiosk Malmö."]

    assert tablet.receive().status_code == 302  # the rest, received again
    assert Device.get(Device.serial == "HS1ON0000001").store_id == shop.store.id
    assert StockLevel.get(product=catalog.sticks).quantity == 27


def test_an_empty_delivery_is_not_received_and_a_discarded_one_writes_nothing(
    tablet: Intake, shop
) -> None:
    empty = tablet.receive()
    assert empty.status_code == 422 and "Nothing to receive yet" in empty.text
    assert tablet.delivery.status == "open"
    tablet.scan("HS1ON0000001")
    delivery = tablet.delivery
    gone = tablet.post(f"/stock/deliveries/{delivery.id}/discard", htmx=False)
    assert gone.status_code == 302
    assert Delivery.get_by_id(delivery.id).status == "discarded"
    assert not Device.select().exists()
    late = tablet.post(f"/stock/deliveries/{delivery.id}/scan", code="HS1ON0000002")
    assert late.status_code == 409 and "no longer open" in late.text
    assert tablet.receive(delivery.id).status_code == 409
    assert AuditEvent.select().where(AuditEvent.action == "stock.delivery_discarded").count() == 1


def test_removing_a_line_updates_the_counts(tablet: Intake) -> None:
    tablet.scan("HS1ON0000001")
    tablet.scan("HS1ON0000002")
    line = DeliveryLine.get(DeliveryLine.serial == "HS1ON0000001")
    removed = tablet.post(f"/stock/deliveries/{tablet.delivery.id}/lines/{line.id}/remove")
    assert removed.status_code == 200
    assert re.search(r'data-testid="device-count">1<', removed.text)
    assert kept_serials() == ["HS1ON0000002"]


def test_another_stores_delivery_is_not_there(
    app, client: FlaskClient, auth: AuthActions, tablet: Intake
) -> None:
    delivery = tablet.delivery
    london = make.store(name="London", code="LON9")
    make.staff(london, username="lena", display_name="Lena")
    other = app.test_client()
    AuthActions(other).sign_in("lena")
    token = csrf_from(other.get("/stock/").text)
    assert other.get(f"/stock/deliveries/{delivery.id}").status_code == 404
    assert other.get(f"/stock/deliveries/{delivery.id}/note").status_code == 404
    hit = other.post(
        f"/stock/deliveries/{delivery.id}/scan",
        data={"code": "HS1ON0000001"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert hit.status_code == 404
    empty = other.post(
        f"/stock/deliveries/{delivery.id}/scan",
        data={"code": ""},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert empty.status_code == 404  # not even its counts
    assert not DeliveryLine.select().exists()
