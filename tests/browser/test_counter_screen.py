"""The counter on the tablet's own screen (1280x800): one screen for a one-device sale, errors
where the eye is, one message per event, and a receipt that prints on an 80 mm roll.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import Locator, Page, expect

from kiosk import clock
from kiosk.models import AgeCheck, Sale

from .conftest import LANDSCAPE, Console
from .test_counter import Tablet, _years_before
from .test_counter import stock as stock  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

MM = 72 / 25.4  # PDF points per millimetre


def assert_one_screen(page: Page, *controls: Locator) -> None:
    """Nothing scrolled, nothing to scroll, and each control wholly on the screen."""
    size = page.viewport_size
    assert size == LANDSCAPE
    scroll = page.evaluate(
        "() => ({x: scrollX, y: scrollY, height: document.scrollingElement.scrollHeight,"
        " width: document.scrollingElement.scrollWidth})"
    )
    assert scroll["x"] == 0 and scroll["y"] == 0, scroll
    assert scroll["height"] <= size["height"] and scroll["width"] <= size["width"], scroll
    for control in controls:
        expect(control).to_be_visible()
        # Wholly inside the screen and not clipped by a scrolled-away column.
        expect(control).to_be_in_viewport(ratio=1)


def age_check_controls(page: Page) -> list[Locator]:
    keypad = page.get_by_role("group", name="Keypad")
    return [
        page.get_by_role("form", name="Age check: 18 or over"),
        page.get_by_label("Document"),
        page.get_by_label("Day", exact=True),
        page.get_by_label("Month", exact=True),
        page.get_by_label("Year", exact=True),
        *(keypad.get_by_role("button", name=key, exact=True) for key in "1234567890"),
        keypad.get_by_role("button", name="Clear"),
        keypad.get_by_role("button", name="Delete last digit"),
        page.get_by_role("button", name="Check age"),
        page.get_by_role("button", name="No ID: refuse"),
    ]


def test_a_one_device_sale_from_scan_to_paid_by_card_never_leaves_one_screen(
    page: Page,
    shop: SimpleNamespace,
    stock: SimpleNamespace,  # noqa: F811
    screenshot: Callable,
) -> None:
    tablet = Tablet(page)
    tablet.open_counter()
    assert_one_screen(page, tablet.scan_field)
    screenshot(page, "one-screen-empty")

    tablet.scan("HD10000")
    expect(tablet.cart_line("Serial HD10000")).to_be_visible()
    card = page.get_by_role("button", name="Paid by card")
    cash = page.get_by_role("button", name="Paid in cash")
    total = page.get_by_test_id("cart-total")
    expect(total).to_have_text("€499.00")
    assert_one_screen(
        page,
        tablet.scan_field,
        tablet.cart_line("Serial HD10000"),
        total,
        *age_check_controls(page),
        card,
        cash,
    )
    screenshot(page, "one-screen-one-device")

    birth = _years_before(clock.today_in(shop.store.timezone), 30)
    tablet.type_birth_date(birth)
    tablet.check_age()
    expect(page.get_by_test_id("age-check-passed")).to_be_visible()
    expect(card).to_be_enabled()
    assert_one_screen(
        page, tablet.scan_field, total, page.get_by_test_id("age-check-passed"), card, cash
    )
    screenshot(page, "one-screen-age-passed")

    tablet.tap(card, "Paid by card")
    expect(page).to_have_url(re.compile(r"/counter/sales/\d+/receipt$"))
    expect(page.get_by_test_id("claim-code")).to_be_in_viewport(ratio=1)
    screenshot(page, "one-screen-receipt")

    # A scan, eight keypad digits and two taps: nobody scrolled, the page never moved.
    assert tablet.scans == ["HD10000"] and tablet.dob_keys == 8
    assert tablet.taps == ["Check age", "Paid by card"] and tablet.dob_part_taps == []
    sale = Sale.get()
    assert (sale.total, sale.tender, sale.staff_id) == (49900, "card", shop.erik.id)
    assert AgeCheck.get_by_id(sale.age_check_id).result == "passed"


def test_a_date_of_birth_typing_error_shows_beside_the_date_with_the_focus_on_it(
    page: Page,
    shop: SimpleNamespace,
    stock: SimpleNamespace,  # noqa: F811
    console: Console,
    screenshot: Callable,
) -> None:
    console.allow(422)
    tablet = Tablet(page)
    tablet.open_counter()
    tablet.scan("HD10000")
    expect(tablet.cart_line("Serial HD10000")).to_be_visible()

    tablet.type_birth_date("30021990")
    tablet.check_age()

    error = page.get_by_role("alert")
    expect(error).to_have_count(1)  # one event, one message
    expect(error).to_have_text(
        "That date does not exist. Check the document and type it again (DD MM YYYY)."
    )
    day = page.get_by_label("Day", exact=True)
    expect(day).to_be_focused()
    expect(day).to_have_attribute("aria-invalid", "true")
    expect(day).to_have_accessible_description(re.compile("That date does not exist"))
    # What was typed is still there to correct, and the message sits right under it.
    assert tablet.birth_date_shown() == ("30", "02", "1990")
    date_box = (
        page.get_by_role("group", name=re.compile("Date of birth"))
        .locator(".dob__parts")
        .bounding_box()
    )
    error_box = error.bounding_box()
    assert date_box and error_box
    assert 0 <= error_box["y"] - (date_box["y"] + date_box["height"]) <= 16
    assert abs(error_box["x"] - date_box["x"]) <= 4
    assert_one_screen(page, error, day, page.get_by_role("button", name="Check age"))
    screenshot(page, "one-screen-birth-date-error")

    # The keypad types into the focused day at once: the fix is two taps away.
    keypad = page.get_by_role("group", name="Keypad")
    keypad.get_by_role("button", name="Clear").click()
    for digit in "28":
        keypad.get_by_role("button", name=digit, exact=True).click()
    assert tablet.birth_date_shown() == ("28", "02", "1990")
    tablet.check_age()
    expect(page.get_by_test_id("age-check-passed")).to_be_visible()
    assert not AgeCheck.select().where(AgeCheck.result == "refused").exists()


def test_an_under_age_refusal_is_said_once_inside_the_age_check(
    page: Page,
    shop: SimpleNamespace,
    stock: SimpleNamespace,  # noqa: F811
    console: Console,
    screenshot: Callable,
) -> None:
    console.allow(403)
    tomorrow = clock.today_in(shop.store.timezone) + timedelta(days=1)
    tablet = Tablet(page)
    tablet.open_counter()
    tablet.scan("HD10000")
    expect(tablet.cart_line("Serial HD10000")).to_be_visible()
    tablet.type_birth_date(_years_before(tomorrow, 18))
    tablet.check_age()

    refusal = "Under 18: the sale cannot be completed. The refusal is recorded."
    expect(page.get_by_test_id("refusal")).to_have_text(refusal)
    expect(page.get_by_text(refusal)).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_count(1)
    age_check = page.get_by_role("form", name="Age check: 18 or over")
    expect(age_check.get_by_test_id("refusal")).to_be_visible()
    assert_one_screen(page, page.get_by_test_id("refusal"), *age_check_controls(page))
    expect(page.get_by_role("button", name="Paid by card")).to_be_disabled()
    screenshot(page, "one-screen-refusal")
    assert AgeCheck.get().result == "refused"


def test_the_receipt_prints_on_an_80_mm_roll(
    page: Page,
    shop: SimpleNamespace,
    stock: SimpleNamespace,  # noqa: F811
) -> None:
    tablet = Tablet(page)
    tablet.open_counter()
    tablet.scan("HD10000")
    tablet.type_birth_date(_years_before(clock.today_in(shop.store.timezone), 30))
    tablet.check_age()
    expect(page.get_by_test_id("age-check-passed")).to_be_visible()
    page.get_by_role("button", name="Paid by card").click()
    expect(page).to_have_url(re.compile(r"/counter/sales/\d+/receipt$"))

    # The @page rule is valid CSS (Chromium drops an invalid one and prints on Letter) ...
    size = page.evaluate(
        """() => [...document.styleSheets].flatMap(s => [...s.cssRules])
            .flatMap(r => r.cssRules ? [...r.cssRules] : [r])
            .filter(r => r instanceof CSSPageRule).map(r => r.style.getPropertyValue("size"))"""
    )
    assert size and all(value.startswith("80mm") for value in size), size
    # ... and the printer gets pages 80 mm wide.
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes, "no page in the printed PDF"
    for width, _height in boxes:
        assert abs(float(width) / MM - 80) < 0.5, f"a page {float(width) / MM:.1f} mm wide"


@pytest.mark.parametrize("role", ["staff", "manager", "admin"])
def test_the_bar_stays_one_line_for_every_role_in_swedish_and_the_counter_one_screen(
    page: Page,
    shop: SimpleNamespace,
    stock: SimpleNamespace,  # noqa: F811
    role: str,
) -> None:
    """An admin in a Swedish store has the most areas and the longest words: the bar must
    still keep to one line, or the counter's pay bar falls under the fold."""
    from kiosk.models import Store
    from tests import factories as make

    from .test_shell import open_tablet

    Store.update(language="sv", name="Kiosk Stockholm Centrum Drottninggatan").where(
        Store.id == shop.store.id
    ).execute()
    make.staff(
        shop.store, role=role, username=f"long{role}", display_name="Alexandra Administratörsson"
    )
    open_tablet(page, f"long{role}")
    page.goto("/counter/")
    tablet = Tablet(page)
    tablet.scan(stock.units[0].serial)
    expect(page.get_by_role("region", name="Varukorg", exact=True)).to_contain_text(
        stock.units[0].serial
    )
    bar = page.get_by_role("banner")
    assert bar.bounding_box()["height"] <= 64
    expect(bar.get_by_role("button", name="Lås")).to_be_in_viewport(ratio=1)
    assert_one_screen(page, page.get_by_role("button", name="Betalt med kort"))
