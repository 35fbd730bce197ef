"""The counter in a browser: an age-checked sale, the receipt and its claim QR, refusals."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from kiosk import clock
from kiosk.models import (
    AgeCheck,
    Cart,
    ClaimToken,
    Device,
    Market,
    Sale,
    SaleLine,
    StockLevel,
    Store,
)
from kiosk.services import claims
from tests import factories as make

from .conftest import Console, ServerClock
from .test_shell import open_tablet

pytestmark = pytest.mark.browser

SCAN_FIELD = "Scan or type a serial or SKU"
SERIALS = ("HD10000", "HD10001", "HD10002")


@pytest.fixture
def stock(shop: SimpleNamespace) -> SimpleNamespace:
    """An English store selling in euros: one device model with serials, sticks, a case."""
    Store.update(language="en").where(Store.id == shop.store.id).execute()
    Market.update(currency="EUR").where(Market.id == shop.store.market_id).execute()
    shop.store = Store.get_by_id(shop.store.id)
    model = make.product("device", sku="HD-ONE", name="Heat Device One", price=49900)
    sticks = make.product("consumable", sku="ST-AMB", name="Sticks Amber", price=6500)
    case = make.product("accessory", sku="CASE-1", name="Holder case", price=29900)
    make.stock(shop.store, sticks, 50)
    make.stock(shop.store, case, 10)
    units = [make.device(shop.store, model, serial=serial) for serial in SERIALS]
    return SimpleNamespace(model=model, sticks=sticks, case=case, units=units)


class Tablet:
    """Staff at the counter screen; counts every tap, scan and keypad key on the way."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.taps: list[str] = []
        self.scans: list[str] = []
        self.dob_keys = 0
        self.dob_part_taps: list[str] = []

    @property
    def scan_field(self) -> Locator:
        return self.page.get_by_label(SCAN_FIELD)

    def open_counter(self, username: str = "erik") -> None:
        open_tablet(self.page, username)
        self.page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=re.compile(r"^Sell\b")
        ).click()
        expect(self.page).to_have_url(re.compile(r"/counter/$"))
        # The keypad and the scan field work once kiosk.js has run (a deferred script).
        self.page.wait_for_load_state("domcontentloaded")

    def tap(self, target: Locator, what: str) -> None:
        target.click()
        self.taps.append(what)

    def scan(self, code: str) -> None:
        """A keyboard-wedge scanner: the characters, then Enter, into whatever has focus."""
        # kiosk.js (deferred) catches the scanner's keys; text can show before it has run.
        self.page.wait_for_load_state("domcontentloaded")
        self.page.keyboard.type(code)
        self.page.keyboard.press("Enter")
        self.scans.append(code)

    def type_birth_date(self, birth: date | str) -> None:
        """DD MM YYYY on the on-screen keypad, as staff read it off the ID document.

        The parts should move on by themselves (DD, then MM, then YYYY). Where the keypad
        is not typing into the right part, staff tap that part first; those taps are
        counted apart (see test_keypad_moves_on_from_day_to_month_to_year).
        """
        digits = birth.strftime("%d%m%Y") if isinstance(birth, date) else birth
        keypad = self.page.get_by_role("group", name="Keypad")
        for label, part in (("Day", digits[:2]), ("Month", digits[2:4]), ("Year", digits[4:])):
            field = self.page.get_by_label(label, exact=True)
            target = field.get_attribute("id")
            if keypad.get_attribute("data-keypad-for") != target:
                field.click()
                self.dob_part_taps.append(label)
            for digit in part:
                keypad.get_by_role("button", name=digit, exact=True).click()
                self.dob_keys += 1

    def birth_date_shown(self) -> tuple[str, str, str]:
        day, month, year = (
            self.page.get_by_label(part, exact=True).input_value()
            for part in ("Day", "Month", "Year")
        )
        return day, month, year

    def check_age(self) -> None:
        self.tap(self.page.get_by_role("button", name="Check age"), "Check age")

    def cart_line(self, text: str) -> Locator:
        cart = self.page.get_by_role("region", name="Cart", exact=True)
        return cart.get_by_role("listitem").filter(has_text=text)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year: the birthday is 1 March
        return date(day.year - years, 3, 1)


def _decode_qr(element: Locator) -> str:
    png = element.screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"expected one QR code, found {len(found)}"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def _age_check_keeps_no_birth_date(check: AgeCheck, birth: date) -> None:
    row = AgeCheck.select().where(AgeCheck.id == check.id).dicts().get()
    assert not any("birth" in column for column in row)
    for column, value in row.items():
        if isinstance(value, datetime | date):
            # A timestamp's microseconds may spell any year; compare the date itself.
            assert value.year != birth.year, column
        else:
            assert str(birth.year) not in str(value), column


def test_whole_sale_from_scan_to_printed_receipt_with_a_claim_qr_that_decodes(
    page: Page, shop: SimpleNamespace, stock: SimpleNamespace, screenshot: Callable
) -> None:
    tablet = Tablet(page)
    tablet.open_counter()
    expect(page.get_by_text("The cart is empty. Scan a serial or tap a product.")).to_be_visible()
    expect(tablet.scan_field).to_be_focused()
    screenshot(page, "counter-empty")

    # The first serial goes into the scan field, as a scanner does when the field has focus.
    tablet.scan("HD10000")
    expect(tablet.cart_line("Serial HD10000")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Added Heat Device One.")

    # Nobody tapped the field: the scanner's characters still land in it.
    tablet.scan_field.blur()
    expect(tablet.scan_field).not_to_be_focused()
    assert page.evaluate("document.activeElement === document.body")
    tablet.scan("HD10001")
    expect(tablet.cart_line("Serial HD10001")).to_be_visible()

    tablet.tap(page.get_by_role("button", name=re.compile(r"^Sticks Amber\b")), "Sticks Amber")
    expect(tablet.cart_line("Sticks Amber")).to_be_visible()
    expect(tablet.cart_line("Serial")).to_have_count(2)
    expect(page.get_by_test_id("cart-total")).to_have_text("€1,063.00")

    card = page.get_by_role("button", name="Paid by card")
    expect(card).to_be_disabled()
    expect(page.get_by_role("form", name="Age check: 18 or over")).to_be_visible()
    birth = _years_before(clock.today_in(shop.store.timezone), 30)
    tablet.type_birth_date(birth)
    assert tablet.birth_date_shown() == (f"{birth:%d}", f"{birth:%m}", f"{birth:%Y}")
    screenshot(page, "counter-cart-age-check")

    tablet.check_age()
    expect(page.get_by_test_id("age-check-passed")).to_have_text(
        "✓ Age check passed (18+) for this sale."
    )
    expect(card).to_be_enabled()
    screenshot(page, "counter-age-passed")

    tablet.tap(card, "Paid by card")
    expect(page).to_have_url(re.compile(r"/counter/sales/\d+/receipt$"))
    expect(page.get_by_role("heading", name="Kiosk Test City", level=1)).to_be_visible()
    expect(page.get_by_test_id("receipt-total")).to_have_text("€1,063.00")
    for serial in ("HD10000", "HD10001"):
        expect(page.get_by_role("table").get_by_text(f"Serial {serial}")).to_be_visible()

    claim_url = _decode_qr(page.get_by_test_id("claim-qr"))
    parts = urlsplit(claim_url)
    assert parts.scheme in ("http", "https") and parts.netloc
    token = re.fullmatch(r"/c/([A-Za-z0-9_-]+)", parts.path)
    assert token, claim_url

    tablet.tap(page.get_by_role("button", name="Print receipt"), "Print receipt")
    screenshot(page, "receipt")

    # Within budget: a scan per device, a tap per other item, the date of birth, and
    # "Check age", "Paid by card", "Print receipt".
    assert tablet.scans == ["HD10000", "HD10001"]
    assert tablet.taps == ["Sticks Amber", "Check age", "Paid by card", "Print receipt"]
    assert tablet.dob_keys == 8
    # None: the parts move on by themselves (DD, MM, YYYY).
    assert tablet.dob_part_taps == []

    # The database: one sale, its lines, the stock, the serials, the age check, the claim.
    sale = Sale.get()
    assert page.url.endswith(f"/counter/sales/{sale.id}/receipt")
    assert (sale.total, sale.tender, sale.staff_id, sale.store_id) == (
        2 * 49900 + 6500,
        "card",
        shop.erik.id,
        shop.store.id,
    )
    lines = sorted(
        (line.description, line.quantity, line.device.serial if line.device_id else None)
        for line in SaleLine.select().where(SaleLine.sale == sale)
    )
    assert lines == [
        ("Heat Device One", 1, "HD10000"),
        ("Heat Device One", 1, "HD10001"),
        ("Sticks Amber", 1, None),
    ]
    assert {d.serial: d.status for d in Device.select()} == {
        "HD10000": "sold",
        "HD10001": "sold",
        "HD10002": "in_stock",
    }
    assert StockLevel.get(StockLevel.product == stock.sticks).quantity == 49
    check = AgeCheck.get()
    assert sale.age_check_id == check.id
    assert (check.result, check.method, check.document_type, check.cart_id) == (
        "passed",
        "document",
        "id_card",
        sale.cart_id,
    )
    _age_check_keeps_no_birth_date(check, birth)
    assert Cart.get_by_id(sale.cart_id).status == "completed"
    assert ClaimToken.get(ClaimToken.sale == sale).token_hash == claims.digest(token.group(1))

    page.get_by_role("link", name="Show QR to customer").click()
    expect(
        page.get_by_role("heading", name="Scan with your phone to register your device")
    ).to_be_visible()
    assert _decode_qr(page.get_by_test_id("claim-qr")) == claim_url
    screenshot(page, "claim-qr-large")


def test_refuses_sale_one_day_before_18th_birthday(
    page: Page, shop: SimpleNamespace, stock: SimpleNamespace, console: Console
) -> None:
    console.allow(403)  # the answer to a refused age check
    tomorrow = clock.today_in(shop.store.timezone) + timedelta(days=1)
    birth = _years_before(tomorrow, 18)
    tablet = Tablet(page)
    tablet.open_counter()
    tablet.scan("HD10000")
    expect(tablet.cart_line("Serial HD10000")).to_be_visible()

    tablet.type_birth_date(birth)
    tablet.check_age()
    expect(page.get_by_test_id("refusal")).to_have_text(
        "Under 18: the sale cannot be completed. The refusal is recorded."
    )
    expect(page.get_by_role("button", name="Paid by card")).to_be_disabled()
    expect(page.get_by_role("button", name="Paid in cash")).to_be_disabled()
    expect(page.get_by_test_id("age-check-passed")).to_have_count(0)

    assert not Sale.select().exists()
    assert Device.get(Device.serial == "HD10000").status == "in_stock"
    refusal = AgeCheck.get()
    assert (refusal.result, refusal.refusal_reason, refusal.staff_id, refusal.store_id) == (
        "refused",
        "under_age",
        shop.erik.id,
        shop.store.id,
    )
    _age_check_keeps_no_birth_date(refusal, birth)
    assert Cart.get().status == "open"


def test_born_on_29_february_is_18_on_1_march_not_on_28_february(
    page: Page,
    shop: SimpleNamespace,
    stock: SimpleNamespace,
    console: Console,
    server_clock: ServerClock,
) -> None:
    console.allow(403)
    birth = date(2008, 2, 29)
    # 23:58 on 28 February in Stockholm (UTC+1), then two minutes past midnight on 1 March,
    # while it is still 28 February in UTC: the store's own date decides.
    server_clock.set(datetime(2026, 2, 28, 22, 58, tzinfo=UTC))
    tablet = Tablet(page)
    tablet.open_counter()
    tablet.tap(page.get_by_role("button", name=re.compile(r"^Sticks Amber\b")), "Sticks Amber")
    expect(tablet.cart_line("Sticks Amber")).to_be_visible()

    tablet.type_birth_date(birth)
    tablet.check_age()
    expect(page.get_by_test_id("refusal")).to_contain_text("Under 18")
    expect(page.get_by_role("button", name="Paid by card")).to_be_disabled()
    refused = AgeCheck.get()
    assert (refused.result, refused.refusal_reason, refused.local_date) == (
        "refused",
        "under_age",
        date(2026, 2, 28),
    )

    server_clock.set(datetime(2026, 2, 28, 23, 2, tzinfo=UTC))
    tablet.type_birth_date(birth)
    tablet.check_age()
    expect(page.get_by_test_id("age-check-passed")).to_be_visible()
    expect(page.get_by_role("button", name="Paid by card")).to_be_enabled()
    passed = AgeCheck.select().where(AgeCheck.result == "passed").get()
    assert passed.local_date == date(2026, 3, 1)
    assert AgeCheck.select().count() == 2


def test_unknown_serial_and_a_date_that_does_not_exist_are_shown_where_typed(
    page: Page, shop: SimpleNamespace, stock: SimpleNamespace, console: Console
) -> None:
    console.allow(404, 422)  # an unknown serial, a date of birth that does not exist
    tablet = Tablet(page)
    tablet.open_counter()

    tablet.scan("NOSUCH1")
    expect(page.get_by_role("alert")).to_have_text("No device with serial NOSUCH1.")
    expect(tablet.scan_field).to_have_attribute("aria-invalid", "true")
    expect(tablet.scan_field).to_have_accessible_description("No device with serial NOSUCH1.")
    expect(tablet.scan_field).to_be_focused()
    expect(page.get_by_text("The cart is empty. Scan a serial or tap a product.")).to_be_visible()

    tablet.scan("HD10002")
    expect(tablet.cart_line("Serial HD10002")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)

    tablet.type_birth_date("30021990")
    tablet.check_age()
    expect(page.get_by_role("alert")).to_contain_text("That date does not exist")
    expect(
        page.get_by_role("group", name=re.compile("Date of birth"))
    ).to_have_accessible_description(re.compile("That date does not exist"))
    expect(page.get_by_test_id("refusal")).to_have_count(0)
    expect(page.get_by_role("button", name="Paid by card")).to_be_disabled()
    assert not AgeCheck.select().exists()
    assert not Sale.select().exists()


def test_keypad_moves_on_from_day_to_month_to_year(
    page: Page, shop: SimpleNamespace, stock: SimpleNamespace
) -> None:
    tablet = Tablet(page)
    tablet.open_counter()
    tablet.scan("HD10000")
    expect(tablet.cart_line("Serial HD10000")).to_be_visible()
    keypad = page.get_by_role("group", name="Keypad")
    for digit in "14071990":
        keypad.get_by_role("button", name=digit, exact=True).click()
    assert tablet.birth_date_shown() == ("14", "07", "1990")
