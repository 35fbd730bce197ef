"""After the counter in a browser: back to the maker, a transfer, a stock count, a resale.

Each walks the screens as staff and the manager do (the home page's buttons, a scanner's
characters and Enter into the focused field, the buttons by name) and then reads the
database: statuses, the shipment, the transfer, the count and each unit's life.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from kiosk import clock
from kiosk.models import (
    Device,
    DeviceEvent,
    Market,
    SaleLine,
    Shipment,
    StockCountUnit,
    Store,
    Transfer,
)
from kiosk.services import swaps
from tests import factories as make

from .test_counter import Tablet
from .test_shell import open_tablet

pytestmark = pytest.mark.browser


def to_stock(page: Page) -> None:
    """The Stock area of the staff bar, where a shift finds everything after the counter."""
    page.get_by_role("banner").get_by_role("link", name="Stock", exact=True).click()


MANAGER = {"width": 1366, "height": 768}


def life(unit: Device) -> list[tuple[str, str]]:
    return [
        (e.event, e.status)
        for e in DeviceEvent.select().where(DeviceEvent.device == unit).order_by(DeviceEvent.id)
    ]


@pytest.fixture
def english(shop: SimpleNamespace) -> SimpleNamespace:
    Store.update(language="en").where(Store.id == shop.store.id).execute()
    Market.update(currency="EUR").where(Market.id == shop.store.market_id).execute()
    shop.store = Store.get_by_id(shop.store.id)
    shop.model = make.product("device", sku="HD-ONE", name="Heat Device One", price=49900)
    return shop


def scan(page: Page, label: str, serial: str) -> None:
    field = page.get_by_label(label)
    expect(field).to_be_focused()  # ready for the scanner without a tap
    page.keyboard.type(serial)
    page.keyboard.press("Enter")


def test_three_swaps_packed_printed_shipped_and_credited(
    page: Page, english: SimpleNamespace, screenshot: Callable, console
) -> None:
    console.allow(409, 422)  # the refusals each test provokes on purpose
    shop = english
    bought = clock.today_in(shop.store.timezone) - timedelta(days=20)
    swapped = []
    for n in range(3):
        old = make.sold_unit(shop.store, shop.erik, shop.model, bought=bought, serial=f"OLD{n}")
        make.registration(shop.store, make.customer(), old, purchase_date=bought)
        make.device(shop.store, shop.model, serial=f"NEW{n}")
        swaps.replace(
            shop.store,
            shop.erik,
            old.id,
            case="defect",
            replacement_serial=f"NEW{n}",
            fault_code="NO_HEAT",
            note="does not heat",
        )
        swapped.append(Device.get_by_id(old.id))

    open_tablet(page, "maja")
    to_stock(page)
    page.get_by_role("link", name="Back to the maker").click()
    waiting = page.get_by_test_id("waiting")
    for unit in swapped:
        expect(waiting.get_by_text(unit.serial, exact=True)).to_be_visible()
    page.get_by_label("The maker's return reference (RMA)").fill("RMA-2026-001")
    page.get_by_role("button", name="Start shipment").click()
    expect(page.get_by_role("heading", name="Shipment RMA-2026-001")).to_be_visible()

    # A unit that is not waiting is refused on its line, and nothing is packed.
    scan(page, "Scan a unit into the box", "NEW0")
    error = page.locator("#serial-error")
    expect(error).to_contain_text("not waiting to go back")
    page.get_by_label("Scan a unit into the box").fill("")
    for unit in swapped:
        scan(page, "Scan a unit into the box", unit.serial.lower())
        expect(
            page.get_by_role("status").filter(has_text=f"{unit.serial} is in the box.")
        ).to_be_visible()
    expect(page.get_by_role("heading", name="3 units in the box")).to_be_visible()
    screenshot(page, "returns-packing")

    page.get_by_role("link", name="Packing list (A4)").click()
    listing = page.get_by_test_id("packing-list")
    for unit in swapped:
        expect(listing.get_by_text(unit.serial)).to_be_visible()
    expect(page.get_by_role("button", name="Print packing list")).to_be_visible()
    screenshot(page, "returns-packing-list-a4")
    page.get_by_role("link", name="80 mm paper").click()
    expect(page.get_by_test_id("packing-list")).to_be_visible()
    page.get_by_role("link", name="Back to the shipment").click()

    page.get_by_role("button", name="Mark shipped").click()
    expect(page.get_by_test_id("shipment-status")).to_have_text("Shipped")
    page.get_by_role("button", name="Mark credited").click()
    expect(page.locator("#credit_reference-error")).to_have_text("Type the maker's reference.")
    page.get_by_label("The maker's credit reference").fill("CN-7781")
    page.get_by_role("button", name="Mark credited").click()
    expect(page.get_by_test_id("shipment-status")).to_have_text("Credited")
    screenshot(page, "returns-credited")

    shipment = Shipment.get(Shipment.rma_reference == "RMA-2026-001")
    assert (shipment.status, shipment.credit_reference) == ("credited", "CN-7781")
    for unit in swapped:
        assert Device.get_by_id(unit.id).status == "shipped"
        assert life(unit)[-3:] == [
            ("packed", "replaced_out"),
            ("shipped", "shipped"),
            ("credited", "shipped"),
        ]
    assert Device.get(Device.serial == "NEW0").status == "sold"


def test_a_transfer_with_one_unit_missing_on_arrival(
    page: Page, english: SimpleNamespace, screenshot: Callable, console
) -> None:
    console.allow(409, 422)  # the refusals each test provokes on purpose
    shop = english
    london = make.store(name="Kiosk London Soho", language="en", market=shop.store.market)
    make.staff(london, pin="4444", username="lena", display_name="Lena")
    units = [make.device(shop.store, shop.model, serial=f"TR{n}") for n in range(3)]

    open_tablet(page, "erik")
    to_stock(page)
    page.get_by_role("link", name="Transfers").click()
    page.get_by_label("Send to").select_option(label="Kiosk London Soho")
    page.get_by_role("button", name="Start a transfer").click()
    for unit in units:
        scan(page, "Scan a unit", unit.serial)
        expect(
            page.get_by_role("status").filter(has_text=f"{unit.serial} scanned.")
        ).to_be_visible()
    page.get_by_role("button", name="Send to Kiosk London Soho").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("On the way")
    assert {Device.get_by_id(u.id).status for u in units} == {"in_transit"}

    page.get_by_role("banner").get_by_role("button", name="Lock").click()
    page.context.clear_cookies()
    open_tablet(page, "lena")
    to_stock(page)
    page.get_by_role("link", name="Transfers").click()
    page.get_by_role("link", name=re.compile(r"^Transfer \d+$")).click()
    for unit in units[:2]:
        scan(page, "Scan a unit", unit.serial)
        expect(
            page.get_by_role("status").filter(has_text=f"{unit.serial} scanned.")
        ).to_be_visible()
    expect(page.get_by_test_id("transfer-progress")).to_have_text(
        "Not scanned yet: 1 · not on the transfer: 0"
    )
    screenshot(page, "transfer-receiving")
    page.get_by_role("button", name="Finish receiving").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Missing units are recorded as lost: 1"
    )
    expect(
        page.get_by_test_id("transfer-units").get_by_role("row").filter(has_text="TR2")
    ).to_contain_text("Missing on arrival")
    screenshot(page, "transfer-received")

    transfer = Transfer.get()
    assert transfer.status == "received"
    arrived = [Device.get_by_id(u.id) for u in units]
    assert [(d.status, d.store_id) for d in arrived] == [
        ("in_stock", london.id),
        ("in_stock", london.id),
        ("lost", shop.store.id),
    ]
    assert life(units[2])[-2:] == [("transfer_sent", "in_transit"), ("transfer_received", "lost")]


def test_a_stock_count_with_one_missing_and_one_unexpected_unit(
    page: Page, english: SimpleNamespace, screenshot: Callable, console
) -> None:
    console.allow(409, 422)  # the refusals each test provokes on purpose
    shop = english
    on_shelf = [make.device(shop.store, shop.model, serial=f"SH{n}") for n in range(3)]
    stray = make.device(shop.store, shop.model, serial="LOST1", status="lost")

    open_tablet(page, "maja")
    to_stock(page)
    page.get_by_role("link", name="Stock count").click()
    page.get_by_label("What to count").select_option(label="Heat Device One")
    page.get_by_role("button", name="Start counting").click()
    for serial in ("SH0", "SH1", "LOST1"):
        scan(page, "Scan a unit on the shelf", serial)
        expect(page.get_by_role("status").filter(has_text=f"{serial} counted.")).to_be_visible()
    expect(page.get_by_test_id("unexpected")).to_contain_text("LOST1")
    expect(page.get_by_role("heading", name="Expected but not scanned (1)")).to_be_visible()
    page.get_by_role("button", name="Close the count").click()
    expect(page.locator(f"#reason-{on_shelf[2].id}-error")).to_have_text("Say what became of SH2.")
    screenshot(page, "count-reason-needed")
    page.get_by_label(re.compile("SH2")).select_option(label="Lost")
    page.get_by_role("button", name="Close the count").click()
    expect(page.get_by_test_id("count-status")).to_contain_text("Closed")
    expect(page.get_by_role("status").first).to_contain_text("2 counted, 1 missing, 1 not expected")
    screenshot(page, "count-closed")

    assert Device.get_by_id(on_shelf[2].id).status == "lost"
    assert Device.get_by_id(stray.id).status == "in_stock"  # found on the shelf
    assert {r.device_id: r.result for r in StockCountUnit.select()} == {
        on_shelf[0].id: "counted",
        on_shelf[1].id: "counted",
        on_shelf[2].id: "lost",
        stray.id: "unexpected",
    }
    assert life(on_shelf[2])[-1] == ("counted", "lost")


def test_a_sealed_money_back_unit_goes_back_on_the_shelf_and_is_sold_again(
    page: Page, english: SimpleNamespace, screenshot: Callable, console
) -> None:
    console.allow(409, 422)  # the refusals each test provokes on purpose
    shop = english
    bought = clock.today_in(shop.store.timezone) - timedelta(days=3)
    unit = make.sold_unit(shop.store, shop.erik, shop.model, bought=bought, serial="SEALED1")
    make.registration(shop.store, make.customer(), unit, purchase_date=bought)

    open_tablet(page, "erik")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile(r"^Swap\b")
    ).click()
    page.get_by_label("Serial of the customer's device").fill("SEALED1")
    page.get_by_role("button", name="Find device").click()
    expect(page.get_by_text("Serial SEALED1", exact=True)).to_be_visible()
    page.get_by_role("button", name="Money back", exact=True).click()
    decision = page.get_by_test_id("decision")
    decision.get_by_role("button", name="Confirm money back").click()
    expect(page.locator("#unit_state-error")).to_have_text(
        "Say whether the box is sealed, opened or faulty."
    )
    page.get_by_label("Sealed: back on the shelf").check()
    screenshot(page, "money-back-sealed")
    page.get_by_role("button", name="Confirm money back").click()
    expect(page.get_by_test_id("unit-state")).to_have_text("Sealed, back on the shelf")
    expect(page.get_by_text("Warranty until")).to_have_count(0)
    assert Device.get_by_id(unit.id).status == "in_stock"

    tablet = Tablet(page)
    page.get_by_role("link", name="Next swap").click()
    page.goto("/counter/")
    page.wait_for_load_state("domcontentloaded")
    tablet.scan("SEALED1")
    expect(tablet.cart_line("Serial SEALED1")).to_be_visible()
    birth = clock.today_in(shop.store.timezone).replace(year=1990)
    tablet.type_birth_date(birth)
    tablet.check_age()
    tablet.tap(page.get_by_role("button", name="Paid by card"), "Paid by card")
    expect(page).to_have_url(re.compile(r"/counter/sales/\d+/receipt$"))
    screenshot(page, "sealed-unit-sold-again")

    assert Device.get_by_id(unit.id).status == "sold"
    assert SaleLine.select().where(SaleLine.device == unit).count() == 2
    assert [e for e, _s in life(unit)][-3:] == ["returned", "restocked", "sold"]
