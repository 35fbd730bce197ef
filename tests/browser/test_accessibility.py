"""Accessibility in a browser: axe-core on every screen, kiosk and phone, and a sale by keyboard.

axe-core is vendored in ``tests/browser/vendor/axe-core/`` (version and licence in the README
beside it). The app's CSP allows scripts from 'self' only, so Playwright's inline
``add_script_tag(path=...)`` is refused; the test serves the vendored file at a same-origin
URL through ``page.route`` instead and adds it with ``add_script_tag(url=...)``. The page
keeps its real CSP while axe looks at it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Locator, Page, expect

from kiosk import clock
from kiosk.models import AgeCheck, Market, Sale, SaleLine, Store
from kiosk.services import claims
from kiosk.services import swaps as swap_desk
from tests import factories as make

from .conftest import Console
from .test_counter import Tablet, _years_before
from .test_shell import lock, open_tablet, signed_in_as
from .test_swaps import sold, sold_and_registered

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_URL = "/__tests__/vendor/axe-core/axe.min.js"
BLOCKING = ("serious", "critical")
SERIALS = ("HD30000", "HD30001", "HD30002")


# --- axe ---------------------------------------------------------------------------------


def axe_violations(page: Page) -> list[dict]:
    """Every axe violation on the page as it is now: id, impact, help and the nodes' targets."""
    if page.evaluate("typeof window.axe") == "undefined":
        page.route(
            f"**{AXE_URL}",
            lambda route: route.fulfill(path=AXE, content_type="text/javascript; charset=utf-8"),
        )
        page.add_script_tag(url=AXE_URL)
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ['violations']});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html})),
            }));
        }"""
    )


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}; first node {v['nodes'][0]['target']}"
        f" {v['nodes'][0]['html'][:120]}"
        + (f" (and {len(v['nodes']) - 1} more)" if len(v["nodes"]) > 1 else "")
        + f"\n    {v['helpUrl']}"
        for v in violations
    )


def assert_no_serious_violations(page: Page, screen: str) -> None:
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    if blocking:
        pytest.fail(
            f"axe: serious or critical violations on {screen} ({page.url}):\n" + describe(blocking)
        )


# --- the world -----------------------------------------------------------------------------


@pytest.fixture
def stock(shop: SimpleNamespace) -> SimpleNamespace:
    """An English store selling in euros: one device model with serials on the shelf, sticks."""
    Store.update(language="en").where(Store.id == shop.store.id).execute()
    Market.update(currency="EUR").where(Market.id == shop.store.market_id).execute()
    shop.store = Store.get_by_id(shop.store.id)
    model = make.product("device", sku="HD-ONE", name="Heat Device One", price=49900)
    sticks = make.product("consumable", sku="ST-AMB", name="Sticks Amber", price=6500)
    make.stock(shop.store, sticks, 50)
    units = [make.device(shop.store, model, serial=serial) for serial in SERIALS]
    return SimpleNamespace(
        model=model, sticks=sticks, units=units, today=clock.today_in(shop.store.timezone)
    )


class World(SimpleNamespace):
    """What a screen needs to be reached: the data, and the kiosk and the phone on demand.

    A phone screen opens no kiosk, and a kiosk screen no phone: each costs a browser page.
    """

    shop: SimpleNamespace
    stock: SimpleNamespace
    live_server: SimpleNamespace
    request: pytest.FixtureRequest

    @property
    def page(self) -> Page:
        return self.request.getfixturevalue("page")

    @property
    def console(self) -> Console:
        return self.request.getfixturevalue("console")

    @property
    def phone(self) -> Page:
        return self.request.getfixturevalue("phone")


# --- how each screen is reached ---------------------------------------------------------------


def _signin(w: World) -> Page:
    w.page.goto("/signin")
    expect(w.page.get_by_role("heading", name="Open the kiosk")).to_be_visible()
    return w.page


def _home(w: World) -> Page:
    open_tablet(w.page, "erik")
    signed_in_as(w.page, "Erik")
    return w.page


def _pin_list(w: World) -> Page:
    _home(w)
    lock(w.page)
    return w.page


def _pin_entry(w: World) -> Page:
    _pin_list(w)
    w.page.get_by_role("link", name="Sara", exact=True).click()
    expect(w.page).to_have_url(re.compile(rf"/pin/{w.shop.sara.id}$"))
    expect(w.page.get_by_label("PIN")).to_be_focused()
    return w.page


def _cart_with_a_device(w: World) -> Page:
    tablet = Tablet(w.page)
    tablet.open_counter()
    tablet.scan(SERIALS[0])
    expect(tablet.cart_line(f"Serial {SERIALS[0]}")).to_be_visible()
    expect(w.page.get_by_role("form", name="Age check: 18 or over")).to_be_visible()
    return w.page


def _receipt(w: World) -> Page:
    _cart_with_a_device(w)
    # Filled rather than tapped on the keypad: quicker, and it does not race the script that
    # moves the focus from part to part (test_counter.py taps the keypad itself).
    birth = _years_before(w.stock.today, 30)
    w.page.get_by_label("Day", exact=True).fill(f"{birth:%d}")
    w.page.get_by_label("Month", exact=True).fill(f"{birth:%m}")
    w.page.get_by_label("Year", exact=True).fill(f"{birth:%Y}")
    w.page.get_by_role("button", name="Check age").click()
    expect(w.page.get_by_test_id("age-check-passed")).to_be_visible()
    w.page.get_by_role("button", name="Paid by card").click()
    expect(w.page).to_have_url(re.compile(r"/counter/sales/\d+/receipt$"))
    expect(w.page.get_by_test_id("claim-code")).to_be_visible()
    return w.page


def _swap_desk(w: World) -> Page:
    _home(w)
    w.page.goto("/swaps/")
    expect(w.page.get_by_role("heading", name="Swap desk")).to_be_visible()
    return w.page


def _swap_decision(w: World) -> Page:
    unit = sold_and_registered(
        w.shop.store, w.shop.erik, w.stock.model, serial="OLD30000", bought=w.stock.today
    )
    _home(w)
    w.page.goto(f"/swaps/devices/{unit.id}")
    w.page.get_by_role("button", name="Defect or malfunction", exact=True).click()
    decision = w.page.get_by_test_id("decision")
    expect(decision.get_by_role("heading")).to_have_text("Warranty replacement: allowed")
    expect(w.page.get_by_label("Serial of the new unit from the shelf")).to_be_focused()
    return w.page


def _manager(path: str, heading: re.Pattern[str]) -> Callable[[World], Page]:
    """A manager's screen over a day with a sale, a warranty swap and a refused swap."""

    def reach(w: World) -> Page:
        unit = sold_and_registered(
            w.shop.store, w.shop.erik, w.stock.model, serial="OLD30000", bought=w.stock.today
        )
        refused = sold_and_registered(
            w.shop.store, w.shop.sara, w.stock.model, serial="OLD30001", bought=w.stock.today
        )
        with w.live_server.app.app_context():
            swap_desk.replace(
                w.shop.store,
                w.shop.erik,
                unit.id,
                case="defect",
                replacement_serial=SERIALS[1],
                fault_code="NO_HEAT",
                note="does not heat",
            )
            file = swap_desk.load(refused.id)
            decision = swap_desk.decide(file, "cosmetic", w.stock.today)
            swap_desk.record_refusal(w.shop.store, w.shop.sara, file, "cosmetic", decision)
        open_tablet(w.page, "maja")
        signed_in_as(w.page, "Maja")
        w.page.goto(path)
        expect(w.page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        return w.page

    return reach


def _forbidden(w: World) -> Page:
    w.console.allow(403)
    _home(w)
    response = w.page.goto("/manager/")
    assert response is not None and response.status == 403
    return w.page


def _claim_code_entry(w: World) -> Page:
    w.phone.goto("/c/")
    expect(w.phone.get_by_role("heading", name="Register your device")).to_be_visible()
    return w.phone


def _claim_page(w: World) -> Page:
    # The sale and its claim code as the counter leaves them (the receipt screen has its own
    # case): built here rather than sold again through the kiosk, which doubles the time.
    unit = sold(w.shop.store, w.shop.erik, w.stock.model, serial="OLD30002", bought=w.stock.today)
    with w.live_server.app.app_context():
        sale = SaleLine.get(SaleLine.device == unit).sale
        secret = claims.issue(sale, lifetime_days=w.shop.store.claim_token_days)
    code = claims.format_code(secret.code)  # XXXX-XXXX, as the receipt prints it
    phone = _claim_code_entry(w)
    phone.get_by_label("The 8-character code under the QR code on your receipt").fill(code)
    phone.get_by_role("button", name="Continue").tap()
    expect(phone).to_have_url(re.compile(r"/c/[A-Za-z0-9-]+$"))
    expect(phone.get_by_test_id("claim-items").get_by_role("listitem")).to_have_count(1)
    return phone


def _account_signup(w: World) -> Page:
    w.phone.goto("/account/signup")
    expect(w.phone.get_by_role("heading", name="Create account")).to_be_visible()
    return w.phone


def _account_signin(w: World) -> Page:
    w.phone.goto("/account/signin")
    expect(w.phone.get_by_role("button", name="Sign in")).to_be_visible()
    return w.phone


def _account_home(w: World) -> Page:
    make.customer(email="alva.berg@example.com", name="Alva Berg")
    phone = _account_signin(w)
    phone.get_by_label("Email", exact=True).fill("alva.berg@example.com")
    phone.get_by_label("Password", exact=True).fill("customer password")
    phone.get_by_role("button", name="Sign in").tap()
    expect(phone.get_by_role("heading", name="Hello, Alva Berg")).to_be_visible()
    return phone


def _phone_page(path: str, heading: str, signed_in: bool = False) -> Callable[[World], Page]:
    def reach(w: World) -> Page:
        phone = _account_home(w) if signed_in else w.phone
        phone.goto(path)
        expect(phone.get_by_role("heading", name=heading, level=1)).to_be_visible()
        return phone

    return reach


def _code_page(w: World) -> Page:
    phone = w.phone
    phone.goto("/account/signin/mobile")
    phone.get_by_label("Mobile number").fill("070-174 06 05")
    phone.get_by_role("button", name="Send me a code").tap()
    expect(phone.get_by_role("heading", name="Type the code")).to_be_visible()
    return phone


def _too_many_attempts(w: World) -> Page:
    w.request.getfixturevalue("phone_console").allow(404, 429)
    phone = w.phone
    for n in range(31):
        response = phone.goto(f"/c/AAAA-{n:04d}")
    assert response is not None and response.status == 429
    return phone


def _account_qr(w: World) -> Page:
    make.customer(email="mika@example.com", name="Mika Member")
    phone = _account_signin(w)
    phone.get_by_label("Email", exact=True).fill("mika@example.com")
    phone.get_by_label("Password", exact=True).fill("customer password")
    phone.get_by_role("button", name="Sign in").tap()
    expect(phone.get_by_role("heading", name="Hello, Mika Member")).to_be_visible()
    phone.get_by_role("link", name="Show my account QR").tap()
    expect(phone.get_by_role("heading", name="Show this at the counter")).to_be_visible()
    return phone


SCREENS: dict[str, Callable[[World], Page]] = {
    "kiosk-signin": _signin,
    "kiosk-pin-list": _pin_list,
    "kiosk-pin-entry": _pin_entry,
    "kiosk-home": _home,
    "counter-cart-age-check": _cart_with_a_device,
    "counter-receipt": _receipt,
    "swaps-find": _swap_desk,
    "swaps-device-decision": _swap_decision,
    "manager-replacements": _manager("/manager/", re.compile(r"^Replacements on ")),
    "manager-sales": _manager("/manager/sales", re.compile(r"Sales")),
    "manager-staff": _manager("/manager/staff", re.compile(r"Staff")),
    "manager-settings": _manager("/manager/settings", re.compile(r"Settings")),
    "error-403": _forbidden,
    "phone-claim-code-entry": _claim_code_entry,
    "phone-claim": _claim_page,
    "phone-account-signup": _account_signup,
    "phone-account-signin": _account_signin,
    "phone-account-home": _account_home,
    "phone-account-qr": _account_qr,
    "phone-signin-mobile": _phone_page("/account/signin/mobile", "Sign in with your mobile number"),
    "phone-signup-mobile": _phone_page(
        "/account/signup/mobile", "Create account with your mobile number"
    ),
    "phone-code": _code_page,
    "phone-details": _phone_page("/account/details", "My details", signed_in=True),
    "phone-address": _phone_page("/account/details/addresses/new", "New address", signed_in=True),
    "phone-add-device": _phone_page("/account/devices/add", "Add device", signed_in=True),
    "phone-help": _phone_page("/account/help", "Help and contact"),
    "phone-too-many-attempts": _too_many_attempts,
}
# Screens with a serious or critical violation the app still has: the fix turns them green,
# and strict xfail then asks for the mark to go.
KNOWN: dict[str, str] = {}


@pytest.mark.parametrize(
    "screen",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN[name]))
        if name in KNOWN
        else name
        for name in SCREENS
    ],
)
def test_screen_has_no_serious_or_critical_axe_violations(
    screen: str,
    shop: SimpleNamespace,
    stock: SimpleNamespace,
    live_server: SimpleNamespace,
    request: pytest.FixtureRequest,
) -> None:
    world = World(shop=shop, stock=stock, live_server=live_server, request=request)
    shown = SCREENS[screen](world)
    assert_no_serious_violations(shown, screen)


# --- the keyboard ----------------------------------------------------------------------------


class Keyboard:
    """Someone at the counter with a keyboard and no pointer: every key is counted."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.keys: list[str] = []

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.keys.append(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.keys.extend(text)

    def focus(self, target: Locator, limit: int = 40) -> None:
        """Tab to the target (Shift+Tab when it lies before the focus); the focus must show."""
        expect(target).to_be_visible()
        # A person whose focus was moved by the page (the cart's swap sends it back to the
        # scan field) tabs to the target again: up to three times.
        for _attempt in range(3):
            where = target.element_handle()
            for _ in range(limit):
                # 0: focused; 1: the focus is past the target; -1: before it, or nowhere.
                position = where.evaluate(
                    "e => e === document.activeElement ? 0"
                    " : document.activeElement !== document.body"
                    " && e.compareDocumentPosition(document.activeElement)"
                    " & Node.DOCUMENT_POSITION_FOLLOWING ? 1 : -1"
                )
                if position == 0:
                    break
                self.press("Shift+Tab" if position == 1 else "Tab")
            else:
                raise AssertionError(f"{limit} presses of Tab did not reach {target}")
            outline = where.evaluate(
                "e => e !== document.activeElement ? 'moved'"
                " : e.matches(':focus-visible') ? getComputedStyle(e).outlineStyle : 'not visible'"
            )
            if outline != "moved":
                break
        assert outline not in ("none", "not visible", "moved"), (
            f"no visible focus on {target}: {outline}"
        )


def _sign_in_and_open_sell(page: Page, keys: Keyboard) -> None:
    page.goto("/signin")
    keys.focus(page.get_by_label("Username"))
    keys.type("erik")
    keys.focus(page.get_by_label("Password"))
    keys.type("correct horse")
    keys.focus(page.get_by_role("button", name="Sign in"))
    keys.press("Space")
    signed_in_as(page, "Erik")
    keys.focus(
        page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Sell\b"))
    )
    keys.press("Enter")
    expect(page).to_have_url(re.compile(r"/counter/$"))
    page.wait_for_load_state("domcontentloaded")  # kiosk.js: the scan field, the date parts


def _scan_and_type_birth_date(page: Page, keys: Keyboard, birth: date) -> None:
    keys.focus(page.get_by_label("Scan or type a serial or SKU"))
    keys.type(SERIALS[0])
    keys.press("Enter")
    expect(Tablet(page).cart_line(f"Serial {SERIALS[0]}")).to_be_visible()
    digits = f"{birth:%d%m%Y}"
    for label, part in (("Day", digits[:2]), ("Month", digits[2:4]), ("Year", digits[4:])):
        keys.focus(page.get_by_label(label, exact=True))  # no key: the parts move on by themselves
        keys.type(part)
    expect(page.get_by_label("Year", exact=True)).to_have_value(f"{birth:%Y}")


def test_whole_sale_with_the_keyboard_alone(
    page: Page, shop: SimpleNamespace, stock: SimpleNamespace
) -> None:
    keys = Keyboard(page)
    _sign_in_and_open_sell(page, keys)
    _scan_and_type_birth_date(page, keys, _years_before(stock.today, 30))
    keys.focus(page.get_by_role("button", name="Check age"))
    keys.press("Enter")
    expect(page.get_by_test_id("age-check-passed")).to_be_visible()

    card = page.get_by_role("button", name="Paid by card")
    expect(card).to_be_enabled()
    keys.focus(card)
    keys.press("Enter")
    expect(page).to_have_url(re.compile(r"/counter/sales/\d+/receipt$"))
    expect(page.get_by_test_id("receipt-total")).to_have_text("€499.00")

    sale = Sale.get()
    assert page.url.endswith(f"/counter/sales/{sale.id}/receipt")
    assert (sale.tender, sale.total, sale.staff_id) == ("card", 49900, shop.erik.id)
    lines = SaleLine.select().where(SaleLine.sale == sale)
    assert [line.device.serial for line in lines] == [SERIALS[0]]
    assert AgeCheck.get_by_id(sale.age_check_id).result == "passed"


def test_space_presses_the_focused_check_age_button_at_the_counter(
    page: Page, shop: SimpleNamespace, stock: SimpleNamespace
) -> None:
    Tablet(page).open_counter()
    keys = Keyboard(page)
    _scan_and_type_birth_date(page, keys, _years_before(stock.today, 30))
    keys.focus(page.get_by_role("button", name="Check age"))
    keys.press("Space")
    # The space lands in the scan field at once, or never: no need to wait long for it.
    expect(page.get_by_label("Scan or type a serial or SKU")).to_have_value("", timeout=1_000)
    expect(page.get_by_test_id("age-check-passed")).to_be_visible()
