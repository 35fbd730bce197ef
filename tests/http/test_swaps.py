"""The swap desk over HTTP: replacements, money back, refusals, races and the day boundary."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import clock, policy
from kiosk.models import (
    AuditEvent,
    Customer,
    Device,
    ModelSuccessor,
    Registration,
    Swap,
    SwapRefusal,
    Voucher,
)
from kiosk.services import reports
from tests import factories as make
from tests.conftest import AuthActions, csrf_from


class Desk:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_from(client.get("/").text)

    def post(self, url: str, **data: object):  # noqa: ANN201
        return self.client.post(
            url, data=data, headers={"HX-Request": "true", "X-CSRFToken": self.token}
        )

    def assess(self, unit: Device, case: str):  # noqa: ANN201
        return self.post(f"/swaps/devices/{unit.id}/assess", case=case)

    def replace(self, unit: Device, case: str, new_serial: str, fault: str = "NO_HEAT"):  # noqa: ANN201
        return self.post(
            f"/swaps/devices/{unit.id}/replace",
            case=case,
            replacement=new_serial,
            fault_code=fault,
            note="does not heat",
        )

    def money_back(self, unit: Device, state: str = "opened"):  # noqa: ANN201
        return self.post(f"/swaps/devices/{unit.id}/money-back", unit_state=state)


def sold_and_registered(store, seller, model, *, bought: date, registered: date | None = None):  # noqa: ANN001, ANN201
    """A unit we sold on ``bought`` and the customer registered on ``registered``."""
    unit = make.sold_unit(store, seller, model, bought=bought)
    make.registration(
        store, make.customer(), unit, purchase_date=bought, registration_date=registered or bought
    )
    return Device.get_by_id(unit.id)


@pytest.fixture
def desk_world(shop):  # noqa: ANN201
    model = make.product("device", name="Heat Device One", price=49900)
    shelf = [make.device(shop.store, model, serial=f"NEW{i:04d}") for i in range(4)]
    return SimpleNamespace(model=model, shelf=shelf)


@pytest.fixture
def desk(client: FlaskClient, auth: AuthActions, shop) -> Desk:
    auth.sign_in("erik")
    return Desk(client)


def today(shop) -> date:  # noqa: ANN001
    return clock.today_in(shop.store.timezone)


def test_warranty_swap_moves_the_chain_to_the_new_unit(desk: Desk, shop, desk_world) -> None:
    bought = today(shop) - timedelta(days=100)
    old = sold_and_registered(shop.store, shop.erik, desk_world.model, bought=bought)
    assert "Covered by the warranty" in desk.assess(old, "defect").text
    response = desk.replace(old, "defect", "new-0000")  # normalised like a scanner's variant
    assert response.status_code == 204 and "/receipt" in response.headers["HX-Redirect"]
    swap = Swap.get()
    new = Device.get(Device.serial == "NEW0000")
    assert (swap.outcome, swap.old_device_id, swap.new_device_id) == ("warranty", old.id, new.id)
    assert Device.get_by_id(old.id).status == "replaced_out"
    assert Device.get_by_id(old.id).fault_code == "NO_HEAT"
    assert (new.status, new.registration_id) == ("sold", old.registration_id)
    chain = Registration.get_by_id(old.registration_id)
    assert chain.purchase_date == bought  # the warranty does not restart
    assert AuditEvent.select().where(AuditEvent.action == "swap.replaced").count() == 1
    receipt = desk.client.get(response.headers["HX-Redirect"])
    assert "NEW0000" in receipt.text and receipt.status_code == 200


def test_accident_once_per_chain_even_on_the_replacement(desk: Desk, shop, desk_world) -> None:
    old = sold_and_registered(shop.store, shop.erik, desk_world.model, bought=today(shop))
    assert desk.replace(old, "accident", "NEW0000").status_code == 204
    replacement = Device.get(Device.serial == "NEW0000")
    second = desk.assess(replacement, "accident")
    assert "already been used" in second.text
    refused = desk.replace(replacement, "accident", "NEW0001")
    assert refused.status_code == 409
    assert Swap.select().count() == 1
    assert Registration.get_by_id(old.registration_id).accident_claim_used
    assert SwapRefusal.get().swap_case == "accident"


def test_money_back_refunds_the_sale_line_once(desk: Desk, shop, desk_world) -> None:
    unit = sold_and_registered(
        shop.store, shop.erik, desk_world.model, bought=today(shop) - timedelta(days=10)
    )
    first = desk.money_back(unit)
    assert first.status_code == 204
    swap = Swap.get()
    assert (swap.outcome, swap.refund_amount, swap.new_device_id) == ("money_back", 49900, None)
    assert Device.get_by_id(unit.id).status == "returned"
    chain = Registration.get_by_id(unit.registration_id)
    assert chain.money_back_used and chain.ended_at is not None
    again = desk.money_back(unit)
    assert again.status_code == 409
    assert Swap.select().count() == 1


def test_cosmetic_and_lost_are_refused_and_recorded(desk: Desk, shop, desk_world) -> None:
    unit = sold_and_registered(shop.store, shop.erik, desk_world.model, bought=today(shop))
    assert "Purely cosmetic damage is not covered" in desk.assess(unit, "cosmetic").text
    assert "lost or stolen" in desk.assess(unit, "lost_or_stolen").text
    assert desk.replace(unit, "cosmetic", "NEW0000").status_code == 409
    assert {r.swap_case for r in SwapRefusal.select()} == {"cosmetic", "lost_or_stolen"}
    assert not Swap.select().exists()
    assert Device.get(Device.serial == "NEW0000").status == "in_stock"


@pytest.mark.parametrize(
    ("serial", "where", "status", "model", "message"),
    [
        ("NOPE0001", None, None, None, "No device with serial"),
        ("SOLD0001", "here", "sold", "same", "is not in stock"),
        ("AWAY0001", "other", "in_stock", "same", "belongs to the stock of"),
        ("DUO00001", "here", "in_stock", "other", "same model"),
    ],
)
def test_replacement_must_be_in_this_stores_stock_and_the_same_model(
    desk: Desk, shop, desk_world, serial, where, status, model, message
) -> None:
    unit = sold_and_registered(shop.store, shop.erik, desk_world.model, bought=today(shop))
    if where:
        store = shop.store if where == "here" else make.store(name="Elsewhere")
        product = desk_world.model if model == "same" else make.product("device", name="Duo")
        make.device(store, product, serial=serial, status=status)
    response = desk.replace(unit, "defect", serial)
    assert response.status_code in (404, 409)
    assert message in response.text
    assert not Swap.select().exists()
    assert Device.get_by_id(unit.id).status == "sold"


def test_successor_model_mapped_by_an_admin_is_accepted(desk: Desk, shop, desk_world) -> None:
    unit = sold_and_registered(shop.store, shop.erik, desk_world.model, bought=today(shop))
    successor = make.product("device", name="Heat Device One II")
    ModelSuccessor.create(product=desk_world.model, successor=successor)
    make.device(shop.store, successor, serial="SUCC0001")
    assert desk.replace(unit, "defect", "SUCC0001").status_code == 204


def test_swap_on_the_last_covered_day_and_the_day_after_around_midnight(
    app: Flask, desk: Desk, shop, desk_world
) -> None:
    # Stockholm is UTC+1 in winter: 23:30 UTC on the 14th is already the 15th in the store.
    bought = date(2025, 1, 15)
    unit = sold_and_registered(shop.store, shop.erik, desk_world.model, bought=bought)
    assert policy.warranty_last_day(bought) == date(2026, 1, 14)
    # Minutes apart, so the kiosk's idle lock (5 minutes) does not step in.
    app.config["CLOCK_NOW"] = datetime(2026, 1, 14, 22, 58, tzinfo=UTC)  # 23:58 local, 14th
    desk.client.get("/")
    assert "Covered by the warranty" in desk.assess(unit, "defect").text
    app.config["CLOCK_NOW"] = datetime(2026, 1, 14, 23, 1, tzinfo=UTC)  # 00:01 local, 15th
    late = desk.replace(unit, "defect", "NEW0000")
    assert late.status_code == 409 and "ran until 2026-01-14" in late.text
    app.config["CLOCK_NOW"] = datetime(2026, 1, 14, 22, 59, tzinfo=UTC)
    done = desk.replace(unit, "defect", "NEW0000")
    assert done.status_code == 204 and "/receipt" in done.headers["HX-Redirect"]
    assert Swap.get().local_date == date(2026, 1, 14)


def test_two_tablets_swapping_one_device_make_one_swap(app: Flask, shop, desk_world) -> None:
    unit = sold_and_registered(shop.store, shop.erik, desk_world.model, bought=today(shop))
    desks = []
    for name in ("erik", "sara"):
        client = app.test_client()
        AuthActions(client).sign_in(name)
        desks.append(Desk(client))
    barrier = threading.Barrier(2)
    results: list[int] = []

    def swap(desk: Desk, serial: str) -> None:
        barrier.wait()
        results.append(desk.replace(unit, "defect", serial).status_code)

    threads = [
        threading.Thread(target=swap, args=(d, s))
        for d, s in zip(desks, ("NEW0000", "NEW0001"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [204, 409]
    assert Swap.select().count() == 1
    assert Device.select().where(Device.status == "in_stock").count() == 3


def test_unregistered_device_is_registered_first_then_swapped(desk: Desk, shop, desk_world):
    unit = make.device(shop.store, desk_world.model, status="sold", serial="LOOSE001")
    refused = desk.assess(unit, "defect")
    assert "register it first" in refused.text
    page = desk.client.get("/swaps/register?serial=LOOSE001")
    response = desk.client.post(
        "/swaps/register?serial=LOOSE001",
        data={
            "csrf_token": csrf_from(page.text),
            "serial": "LOOSE001",
            "email": "Ann@Example.com",
            "name": "Ann Berg",
            "birth_date": "1990-05-01",
            "purchase_date": (today(shop) - timedelta(days=3)).isoformat(),
            "terms": "y",
        },
    )
    assert response.status_code == 302
    chain = Registration.get()
    assert (chain.source, chain.customer.email) == ("staff_entered", "ann@example.com")
    event = AuditEvent.get(AuditEvent.action == "registration.created")
    assert '"staff_entered": true' in event.details
    assert Voucher.select().where(Voucher.customer == chain.customer).count() == 1
    assert desk.replace(Device.get_by_id(unit.id), "defect", "NEW0000").status_code == 204


def test_registration_refuses_an_under_age_customer_and_a_missing_date(desk, shop, desk_world):
    make.device(shop.store, desk_world.model, status="sold", serial="LOOSE002")
    page = desk.client.get("/swaps/register?serial=LOOSE002")
    young = today(shop).replace(year=today(shop).year - 17).isoformat()
    response = desk.client.post(
        "/swaps/register?serial=LOOSE002",
        data={
            "csrf_token": csrf_from(page.text),
            "serial": "LOOSE002",
            "email": "kid@x.se",
            "name": "Kid",
            "birth_date": young,
            "purchase_date": today(shop).isoformat(),
            "terms": "y",
        },
    )
    assert response.status_code == 422 and "18 or over" in response.text
    no_date = desk.client.post(
        "/swaps/register?serial=LOOSE002",
        data={
            "csrf_token": csrf_from(page.text),
            "serial": "LOOSE002",
            "email": "a@x.se",
            "name": "A",
            "birth_date": "1980-01-01",
            "terms": "y",
        },
    )
    assert no_date.status_code == 422 and "purchase date" in no_date.text
    assert not Registration.select().exists()


def _register_at_desk(desk: Desk, serial: str, shop):  # noqa: ANN001, ANN202
    page = desk.client.get(f"/swaps/register?serial={serial}")
    return desk.client.post(
        f"/swaps/register?serial={serial}",
        data={
            "csrf_token": csrf_from(page.text),
            "serial": serial,
            "email": "again@example.com",
            "name": "Again",
            "birth_date": "1980-01-01",
            "purchase_date": (today(shop) - timedelta(days=3)).isoformat(),
            "terms": "y",
        },
    )


def test_a_refunded_unit_cannot_be_registered_again(desk: Desk, shop, desk_world) -> None:
    unit = sold_and_registered(
        shop.store, shop.erik, desk_world.model, bought=today(shop) - timedelta(days=10)
    )
    assert desk.money_back(unit).status_code == 204
    chains = Registration.select().count()
    # A new registration would restart the refunded unit's Benefit Program year.
    again = _register_at_desk(desk, unit.serial, shop)
    assert again.status_code == 409 and "returned or swapped out" in again.text
    assert Registration.select().count() == chains
    assert Device.get_by_id(unit.id).status == "returned"


def test_a_serial_with_wrong_characters_is_answered_in_the_stores_language(
    desk: Desk, shop, desk_world
) -> None:
    shop.store.language = "sv"
    shop.store.save()
    response = _register_at_desk(desk, "HD-10€0", shop)
    assert response.status_code == 422
    assert "Skanna eller skriv serienumret" in response.text
    assert "A serial number has only letters" not in response.text
    assert not Registration.select().exists() and not Customer.select().exists()


def test_every_swap_and_return_appears_once_in_the_daily_report(desk: Desk, shop, desk_world):
    a = sold_and_registered(shop.store, shop.erik, desk_world.model, bought=today(shop))
    b = sold_and_registered(shop.store, shop.erik, desk_world.model, bought=today(shop))
    desk.replace(a, "defect", "NEW0000")
    desk.money_back(b)
    rows = reports.daily_replacements(shop.store, today(shop))
    assert sorted((r.outcome, r.old_serial) for r in rows) == sorted(
        [("warranty", a.serial), ("money_back", b.serial)]
    )


def test_swap_desk_finds_a_serial_typed_with_dashes_and_spaces(desk: Desk, shop, desk_world):
    unit = sold_and_registered(shop.store, shop.erik, desk_world.model, bought=today(shop))
    variant = unit.serial.lower()[:3] + "-" + unit.serial.lower()[3:] + " "
    response = desk.client.get("/swaps/", query_string={"serial": variant})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{unit.id}")
    missing = desk.client.get("/swaps/", query_string={"serial": "nothing-here"})
    assert missing.status_code == 404 and "Bought elsewhere?" in missing.text


def test_a_replacement_without_a_fault_code_is_refused_at_the_field(desk: Desk, shop, desk_world):
    unit = sold_and_registered(shop.store, shop.erik, desk_world.model, bought=today(shop))
    response = desk.replace(unit, "defect", "NEW0000", fault="")
    assert response.status_code == 422 and "Choose a fault code." in response.text
    assert not Swap.select().exists()
    assert Device.get(Device.serial == "NEW0000").status == "in_stock"


def test_money_back_asks_the_state_of_the_unit_at_the_field(desk: Desk, shop, desk_world) -> None:
    unit = sold_and_registered(
        shop.store, shop.erik, desk_world.model, bought=today(shop) - timedelta(days=5)
    )
    answer = desk.post(f"/swaps/devices/{unit.id}/money-back")
    assert answer.status_code == 422
    at = answer.text.index('id="unit_state-error"')
    assert "sealed, opened or faulty" in answer.text[at : at + 200]
    assert Swap.select().count() == 0 and Device.get_by_id(unit.id).status == "sold"


def test_a_sealed_return_goes_back_on_the_shelf_and_its_receipt_has_no_warranty(
    desk: Desk, client: FlaskClient, shop, desk_world
) -> None:
    """Seen: the money-back receipt said "Warranty until" for a unit that was refunded."""
    from kiosk.models import DeviceEvent

    unit = sold_and_registered(
        shop.store, shop.erik, desk_world.model, bought=today(shop) - timedelta(days=5)
    )
    assert desk.money_back(unit, "sealed").status_code == 204
    swap = Swap.get(Swap.old_device == unit)
    assert swap.unit_state == "sealed"
    assert Device.get_by_id(unit.id).status == "in_stock"
    life = [
        (e.event, e.status)
        for e in DeviceEvent.select().where(DeviceEvent.device == unit).order_by(DeviceEvent.id)
    ]
    assert life[-2:] == [("returned", "returned"), ("restocked", "in_stock")]
    receipt = client.get(f"/swaps/{swap.id}/receipt")
    assert receipt.status_code == 200
    assert "Warranty until" not in receipt.text
    assert "Sealed, back on the shelf" in receipt.text
