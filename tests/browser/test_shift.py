"""A shift on the tablet: moving between areas by the staff bar, and a manager's second thought."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from kiosk import clock
from kiosk.models import AuditEvent, Staff

from .conftest import Console
from .test_counter import Tablet, _years_before
from .test_counter import stock as stock  # noqa: F401  (the fixture)
from .test_shell import open_tablet, signed_in_as
from .test_swaps import sold

pytestmark = pytest.mark.browser


def bar(page: Page):  # noqa: ANN201
    return page.get_by_role("banner").get_by_role("navigation", name="Areas")


def test_after_a_refusal_staff_go_to_the_swap_desk_and_back_by_the_bar(
    page: Page,
    shop: SimpleNamespace,
    stock: SimpleNamespace,  # noqa: F811
    console: Console,
    screenshot: Callable,
) -> None:
    console.allow(403)
    customers_unit = sold(
        shop.store,
        shop.sara,
        stock.model,
        serial="HD20000",
        bought=clock.today_in(shop.store.timezone) - timedelta(days=3),
    )
    tablet = Tablet(page)
    tablet.open_counter()
    expect(page.get_by_role("banner").get_by_test_id("store-name")).to_have_text(shop.store.name)
    expect(bar(page).get_by_role("link", name="Sell")).to_have_attribute("aria-current", "page")
    expect(bar(page).get_by_role("link", name="Reports")).to_have_count(0)  # plain staff

    tablet.scan("HD10000")
    tomorrow = clock.today_in(shop.store.timezone) + timedelta(days=1)
    tablet.type_birth_date(_years_before(tomorrow, 18))
    tablet.check_age()
    expect(page.get_by_test_id("refusal")).to_be_visible()

    # The customer has a faulty device too: one tap to the swap desk, no home screen.
    bar(page).get_by_role("link", name="Swap").click()
    expect(page.get_by_role("heading", name="Swap desk")).to_be_visible()
    expect(bar(page).get_by_role("link", name="Swap")).to_have_attribute("aria-current", "page")
    page.keyboard.type("HD20000")
    page.get_by_role("button", name="Find device").click()
    expect(page).to_have_url(re.compile(rf"/swaps/devices/{customers_unit.id}$"))
    screenshot(page, "shift-device-file")

    page.get_by_role("link", name="Find another device").click()
    expect(page).to_have_url(re.compile(r"/swaps/$"))
    expect(page.get_by_label("Serial of the customer's device")).to_be_focused()

    bar(page).get_by_role("link", name="Sell").click()
    expect(page).to_have_url(re.compile(r"/counter/$"))
    expect(tablet.cart_line("Serial HD10000")).to_be_visible()  # the cart waited


def test_a_manager_deactivates_after_a_second_tap_and_undoes_it(
    page: Page, shop: SimpleNamespace, screenshot: Callable
) -> None:
    open_tablet(page, "maja")
    signed_in_as(page, "Maja")
    bar(page).get_by_role("link", name="Reports").click()
    expect(bar(page).get_by_role("link", name="Reports")).to_have_attribute("aria-current", "page")
    page.get_by_role("navigation", name="Reports").get_by_role("link", name="Staff").click()
    erik = page.get_by_role("row").filter(has_text="Erik")

    # The first tap only asks; nothing is changed yet.
    erik.get_by_text("Deactivate…").click()
    confirm = erik.get_by_role("button", name="Deactivate Erik")
    expect(confirm).to_be_visible()
    expect(erik).to_contain_text("Erik can no longer sign in until reactivated.")
    screenshot(page, "shift-deactivate-confirm")
    assert Staff.get_by_id(shop.erik.id).is_active

    confirm.click()
    expect(page.get_by_role("status")).to_contain_text("Deactivated")
    assert not Staff.get_by_id(shop.erik.id).is_active

    erik = page.get_by_role("row").filter(has_text="Erik")
    erik.get_by_label("New PIN for Erik").fill("4242")
    erik.get_by_role("button", name="Reactivate").click()
    expect(page.get_by_role("status")).to_contain_text("Reactivated")
    assert Staff.get_by_id(shop.erik.id).is_active
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.subject_id == shop.erik.id)]
    assert actions == ["staff.deactivated", "staff.reactivated"]
