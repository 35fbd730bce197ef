"""Stock in a browser at 1280x800: a delivery scanned at scanner speed, refused scans on their
own lines, received and printed; then any unit's life looked up by its serial."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import Delivery, DeliveryLine, Device, DeviceEvent, Product
from kiosk.services import intake, receiving, unit_life
from tests import factories as make

from .test_shell import open_tablet

pytestmark = pytest.mark.browser

# A PDF page's width in points (1/72 inch): 80 mm and A4 (210 mm).
WIDTH_80MM, WIDTH_A4 = 226.8, 595.3


@pytest.fixture
def models(shop: SimpleNamespace) -> SimpleNamespace:
    return SimpleNamespace(
        one=make.product("device", name="Heat Device One", serial_pattern=r"HS\d{1,4}ON\d{7}"),
        duo=make.product("device", name="Heat Device Duo", serial_pattern=r"HS\d{1,4}DU\d{7}"),
    )


def pdf_width(pdf: bytes) -> float:
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box, "no page size in the PDF"
    return float(box.group(1))


def test_a_delivery_of_20_scans_keeps_18_refuses_2_on_their_lines_and_prints_its_note(
    page: Page,
    shop: SimpleNamespace,
    models: SimpleNamespace,
    console,
    screenshot: Callable,
) -> None:
    console.allow(409, 422)  # the two refused scans
    open_tablet(page, "erik")
    page.get_by_role("banner").get_by_role("link", name="Stock").click()
    page.get_by_label("Delivery reference (from the supplier's delivery note)").fill("DN-2026-0042")
    page.get_by_role("button", name="Start receiving").click()
    expect(page.get_by_role("heading", name="Delivery DN-2026-0042")).to_be_visible()

    good = [f"HS7ON{n:07d}" for n in range(16)] + ["HS7DU0000001", "HS7DU0000002"]
    scans = [*good[:5], good[2], *good[5:12], "HS7XX0000001", *good[12:]]
    assert len(scans) == 20
    field = page.get_by_label("Scan or type a serial or SKU")
    expect(field).to_be_focused()
    page.wait_for_load_state("load")  # intake.js is deferred: a scanner waits for nothing
    for code in scans:  # as a scanner types: characters and Enter, no pause between serials
        page.keyboard.type(code + "\n", delay=0)

    lines = page.get_by_role("list", name="Scanned, newest first").get_by_role("listitem")
    expect(lines).to_have_count(20)
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    refused = lines.filter(has_text="Refused:")
    expect(refused).to_have_count(2)
    expect(refused.filter(has_text="HS7ON0000002 was scanned twice")).to_have_count(1)
    expect(refused.filter(has_text="HS7XX0000001 is in a format no model has")).to_have_count(1)
    expect(page.get_by_test_id("device-count")).to_have_text("18")
    expect(page.get_by_test_id("refused-count")).to_contain_text("2 scans refused")
    counts = page.get_by_role("region", name="In this delivery")
    expect(counts.get_by_role("row", name="Heat Device One 16")).to_be_visible()
    expect(counts.get_by_role("row", name="Heat Device Duo 2")).to_be_visible()
    assert [line.serial for line in DeliveryLine.select().order_by(DeliveryLine.id)] == [
        *good[:5],
        None,
        *good[5:12],
        None,
        *good[12:],
    ]
    screenshot(page, "stock-intake")

    page.reload()  # the draft lives on the server
    expect(lines).to_have_count(20)
    page.get_by_role("button", name="Receive into stock").click()
    expect(page.get_by_role("heading", name="Receiving note")).to_be_visible()
    expect(page.get_by_test_id("note-reference")).to_have_text("DN-2026-0042")
    expect(page.get_by_test_id("note-device-count")).to_have_text("18")
    note = page.get_by_role("article")
    for serial in good:
        expect(note.get_by_text(serial, exact=True)).to_be_visible()
    expect(note.get_by_role("heading", name="Refused at intake, not received (2)")).to_be_visible()
    units = Device.select().where(Device.store == shop.store)
    assert sorted(u.serial for u in units) == sorted(good)
    assert {u.status for u in units} == {"in_stock"}
    assert DeviceEvent.select().where(DeviceEvent.event == "received").count() == 18
    assert Delivery.get().status == "received"
    screenshot(page, "stock-receiving-note")

    # The receiving note prints on the receipt printer or on A4, by the button pressed.
    assert pdf_width(page.pdf(prefer_css_page_size=True)) == pytest.approx(WIDTH_80MM, abs=1)
    # Count the print dialogs instead of opening one (a function given to evaluate is called).
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    page.get_by_role("button", name="Print on A4").click()
    assert page.evaluate("window.printed") == 1
    assert pdf_width(page.pdf(prefer_css_page_size=True)) == pytest.approx(WIDTH_A4, abs=1)
    page.get_by_role("button", name="Print on the receipt printer (80 mm)").click()
    assert pdf_width(page.pdf(prefer_css_page_size=True)) == pytest.approx(WIDTH_80MM, abs=1)


def test_where_is_this_unit_shows_its_life_from_any_tablet_of_the_chain(
    page: Page, live_server, shop: SimpleNamespace, models: SimpleNamespace, console, screenshot
) -> None:
    console.allow(404)  # the serial the chain never had
    london = make.store(name="Kiosk London Soho", timezone="Europe/London")
    lena = make.staff(london, display_name="Lena")
    with live_server.app.app_context():
        delivery = intake.start(london, lena, "DN-LON-7")
        intake.scan(delivery, lena, "HS9ON0000123", language="en")
        receiving.receive(delivery, london, lena)
        unit = Device.get(Device.serial == "HS9ON0000123")
        unit_life.record([unit], "transfer_sent", store=london, staff=lena, status="in_transit")
    Device.update(status="in_transit").where(Device.id == unit.id).execute()

    open_tablet(page, "erik")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile(r"^Stock")
    ).click()
    page.get_by_label("Serial").fill("hs9-on 0000123")
    page.get_by_label("Serial").press("Enter")
    expect(page.get_by_role("heading", name="HS9ON0000123 · Heat Device One")).to_be_visible()
    expect(page.get_by_test_id("unit-now")).to_have_text(
        "in transit between stores at Kiosk London Soho"
    )
    steps = page.get_by_role("table").get_by_role("row")
    expect(steps).to_have_count(3)  # the header and two steps
    received = steps.nth(1)
    expect(received).to_contain_text("Received into stock")
    expect(received).to_contain_text("Kiosk London Soho")
    expect(received).to_contain_text("Lena")
    expect(received).to_contain_text("Delivery DN-LON-7")
    expect(received.get_by_role("time")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d (GMT|BST)$")
    )
    expect(steps.nth(2)).to_contain_text("Sent to another store")
    screenshot(page, "stock-where-is-this-unit")

    page.get_by_label("Serial").fill("HS9ON9999999")
    page.get_by_role("button", name="Find the unit").click()
    expect(page.get_by_text("No unit with serial HS9ON9999999 in the chain.")).to_be_visible()
    assert Product.select().count() == 2


def test_stock_screens_have_no_serious_or_critical_axe_violations(
    page: Page, live_server, shop: SimpleNamespace, models: SimpleNamespace, console
) -> None:
    from .test_accessibility import assert_no_serious_violations

    console.allow(409, 422)
    sticks = make.product("consumable", name="Sticks Amber")
    with live_server.app.app_context():
        received = intake.start(shop.store, shop.erik, "DN-1")
        for code in ("HS1ON0000001", "HS1ON0000002", "HS1ON0000001", "WRONG1"):
            intake.scan(received, shop.erik, code, language="en")
        intake.add_quantity(received, shop.erik, sticks.id, 12)
        receiving.receive(received, shop.store, shop.erik)
        draft = intake.start(shop.store, shop.erik, "DN-2")
        for code in ("HS1DU0000001", "HS1ON0000001", "WRONG2"):
            intake.scan(draft, shop.erik, code, language="en")
    open_tablet(page, "maja")
    screens = {
        "/stock/": "Stock",
        f"/stock/deliveries/{draft.id}": "Delivery DN-2",
        f"/stock/deliveries/{received.id}/note": "Receiving note",
        "/stock/units?serial=HS1ON0000001": "Where is this unit?",
        "/stock/levels": "Stock per product",
    }
    for path, heading in screens.items():
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        assert_no_serious_violations(page, path)
