"""The swap desk in a browser: warranty, accident once per chain, money back, refusals.

Each test walks the desk the way staff do (the "Swap" door, the serial, "Find device",
a case button, the decision panel htmx brings in, the replacement's serial, a fault code,
"Confirm replacement", the swap receipt) and then reads the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import Locator, Page, expect

from kiosk import clock, policy
from kiosk.models import (
    AuditEvent,
    Device,
    Market,
    Product,
    Registration,
    SaleLine,
    Staff,
    Store,
    Swap,
    SwapRefusal,
)
from tests import factories as make

from .test_shell import open_tablet

pytestmark = pytest.mark.browser

SHELF = ("NEW0000", "NEW0001", "NEW0002")


def sold(store: Store, seller: Staff, model: Product, *, serial: str, bought: date) -> Device:
    """A unit we sold on ``bought``: the sale and its line, nobody registered yet."""
    return make.sold_unit(store, seller, model, bought=bought, serial=serial)


def sold_and_registered(
    store: Store, seller: Staff, model: Product, *, serial: str, bought: date
) -> Device:
    """A unit we sold on ``bought`` that the customer registered the same day."""
    unit = sold(store, seller, model, serial=serial, bought=bought)
    owner = make.customer(name="Ann Berg", email=f"ann.{serial.lower()}@example.com")
    make.registration(store, owner, unit, purchase_date=bought, registration_date=bought)
    return Device.get_by_id(unit.id)


@pytest.fixture
def desk_world(shop: SimpleNamespace) -> SimpleNamespace:
    """An English store selling in euros, one device model, three new units on the shelf."""
    Store.update(language="en").where(Store.id == shop.store.id).execute()
    Market.update(currency="EUR").where(Market.id == shop.store.market_id).execute()
    shop.store = Store.get_by_id(shop.store.id)
    model = make.product("device", sku="HD-ONE", name="Heat Device One", price=49900)
    shelf = [make.device(shop.store, model, serial=serial) for serial in SHELF]
    return SimpleNamespace(model=model, shelf=shelf, today=clock.today_in(shop.store.timezone))


class SwapDesk:
    """Staff at the swap desk: the door, the serial, the case buttons, the replacement."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self, username: str = "erik") -> None:
        open_tablet(self.page, username)
        self.page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=re.compile(r"^Swap\b")
        ).click()
        expect(self.page).to_have_url(re.compile(r"/swaps/$"))
        expect(self.page.get_by_role("heading", name="Swap desk")).to_be_visible()

    def find(self, typed: str, unit: Device) -> None:
        """The serial into the autofocused field, as a scanner or a person types it."""
        field = self.page.get_by_label("Serial of the customer's device")
        expect(field).to_be_focused()
        self.page.keyboard.type(typed)
        self.page.get_by_role("button", name="Find device").click()
        expect(self.page).to_have_url(re.compile(rf"/swaps/devices/{unit.id}$"))
        expect(self.page.get_by_text(f"Serial {unit.serial}", exact=True)).to_be_visible()

    def next_swap(self) -> None:
        self.page.get_by_role("link", name="Next swap").click()
        expect(self.page.get_by_role("heading", name="Swap desk")).to_be_visible()

    def choose(self, case: str) -> Locator:
        """Tap a case button; the decision comes in under it without a page load."""
        url = self.page.url
        self.page.get_by_role("button", name=case, exact=True).click()
        decision = self.page.get_by_test_id("decision")
        expect(decision).to_be_visible()
        assert self.page.url == url
        return decision

    def replace_with(self, serial: str, fault: str, note: str = "") -> None:
        field = self.page.get_by_label("Serial of the new unit from the shelf")
        expect(field).to_be_focused()  # ready for the scanner without a tap
        self.page.keyboard.type(serial)
        self.page.get_by_label("Fault code").select_option(fault)
        if note:
            self.page.get_by_label("Note for the maker").fill(note)
        self.page.get_by_role("button", name="Confirm replacement").click()

    def receipt(self) -> Swap:
        expect(self.page).to_have_url(re.compile(r"/swaps/\d+/receipt$"))
        swap_id = int(self.page.url.rsplit("/", 2)[-2])
        expect(self.page.get_by_role("heading", name="Kiosk Test City", level=1)).to_be_visible()
        expect(self.page.get_by_text(f"Swap receipt {swap_id}", exact=True)).to_be_visible()
        return Swap.get_by_id(swap_id)


def _allowed(decision: Locator, outcome: str, reason: str) -> None:
    expect(decision.get_by_role("heading")).to_have_text(f"{outcome}: allowed")
    expect(decision).to_contain_text(reason)


def _refused(decision: Locator, reason: str) -> None:
    expect(decision.get_by_role("heading")).to_have_text("Not possible")
    expect(decision).to_contain_text(reason)
    expect(decision.get_by_role("button")).to_have_count(0)  # nothing to confirm


def _statuses() -> dict[str, str]:
    return {d.serial: d.status for d in Device.select()}


def test_warranty_swap_gives_a_new_unit_that_keeps_the_purchase_date(
    page: Page, shop: SimpleNamespace, desk_world: SimpleNamespace, screenshot: Callable
) -> None:
    bought = desk_world.today - timedelta(days=100)
    old = sold_and_registered(
        shop.store, shop.erik, desk_world.model, serial="HD0001", bought=bought
    )
    desk = SwapDesk(page)
    desk.open()
    desk.find("hd-0001 ", old)  # a person's variant of the serial finds the unit
    expect(page.get_by_role("heading", name="Heat Device One", level=1)).to_be_visible()
    expect(page.get_by_test_id("owner")).to_contain_text("A. ·")
    expect(page.get_by_test_id("owner")).not_to_contain_text("ann.hd0001@example.com")
    last_day = policy.warranty_last_day(bought)
    expect(page.get_by_test_id("warranty-until")).to_have_text(last_day.isoformat())

    decision = desk.choose("Defect or malfunction")
    _allowed(
        decision,
        "Warranty replacement",
        f"Covered by the warranty: the last covered day is {last_day.isoformat()}.",
    )
    screenshot(page, "swap-device-warranty")
    desk.replace_with("new0000", "BATTERY", note="Does not hold a charge")

    swap = desk.receipt()
    expect(page.get_by_test_id("swap-outcome")).to_have_text("Warranty replacement")
    expect(page.get_by_test_id("new-serial")).to_have_text("NEW0000")
    expect(page.get_by_test_id("refund")).to_have_count(0)
    expect(page.get_by_text("The warranty does not restart")).to_be_visible()
    screenshot(page, "swap-receipt-warranty")

    new = Device.get(Device.serial == "NEW0000")
    assert (swap.outcome, swap.swap_case, swap.old_device_id, swap.new_device_id) == (
        "warranty",
        "defect",
        old.id,
        new.id,
    )
    assert (swap.fault_code, swap.note, swap.staff_id, swap.local_date) == (
        "BATTERY",
        "Does not hold a charge",
        shop.erik.id,
        desk_world.today,
    )
    assert _statuses() == {
        "HD0001": "replaced_out",
        "NEW0000": "sold",
        "NEW0001": "in_stock",
        "NEW0002": "in_stock",
    }
    assert Device.get_by_id(old.id).fault_code == "BATTERY"
    assert new.registration_id == old.registration_id
    chain = Registration.get_by_id(old.registration_id)
    assert (chain.purchase_date, chain.registration_date) == (bought, bought)
    assert (chain.accident_claim_used, chain.money_back_used, chain.ended_at) == (
        False,
        False,
        None,
    )
    assert not SwapRefusal.select().exists()
    assert AuditEvent.select().where(AuditEvent.action == "swap.replaced").count() == 1


def test_accident_swap_once_then_the_replacement_is_refused_a_second_one(
    page: Page, shop: SimpleNamespace, desk_world: SimpleNamespace, screenshot: Callable
) -> None:
    bought = desk_world.today - timedelta(days=20)
    old = sold_and_registered(
        shop.store, shop.erik, desk_world.model, serial="HD0002", bought=bought
    )
    desk = SwapDesk(page)
    desk.open()
    desk.find("HD0002", old)

    decision = desk.choose("Accidental damage")
    _allowed(decision, "Accident replacement", "Covered by the accidental damage cover")
    desk.replace_with("NEW0001", "CRACKED")
    swap = desk.receipt()
    expect(page.get_by_test_id("swap-outcome")).to_have_text("Accident replacement")
    expect(page.get_by_test_id("new-serial")).to_have_text("NEW0001")
    assert (swap.outcome, swap.fault_code) == ("accident", "CRACKED")
    assert Registration.get_by_id(old.registration_id).accident_claim_used

    # The customer comes back with the replacement, dropped again.
    replacement = Device.get(Device.serial == "NEW0001")
    desk.next_swap()
    desk.find("NEW0001", replacement)
    history = page.get_by_role("list").filter(has_text="swapped out")
    expect(history.get_by_role("listitem")).to_have_count(2)
    expect(history).to_contain_text("HD0002")
    decision = desk.choose("Accidental damage")
    _refused(decision, "already been used")
    screenshot(page, "swap-device-accident-used")

    assert Swap.select().count() == 1
    refusal = SwapRefusal.get()
    assert (refusal.device_id, refusal.swap_case, refusal.staff_id, refusal.local_date) == (
        replacement.id,
        "accident",
        shop.erik.id,
        desk_world.today,
    )
    assert "already been used" in refusal.reason
    assert _statuses() == {
        "HD0002": "replaced_out",
        "NEW0000": "in_stock",
        "NEW0001": "sold",
        "NEW0002": "in_stock",
    }
    chain = Registration.get_by_id(old.registration_id)
    assert chain.accident_claim_used and chain.ended_at is None
    assert Device.get_by_id(replacement.id).registration_id == chain.id


def test_money_back_refunds_the_sale_line_and_ends_the_chain(
    page: Page, shop: SimpleNamespace, desk_world: SimpleNamespace, screenshot: Callable
) -> None:
    bought = desk_world.today - timedelta(days=10)
    unit = sold_and_registered(
        shop.store, shop.erik, desk_world.model, serial="HD0003", bought=bought
    )
    line = SaleLine.get(SaleLine.device == unit)
    desk = SwapDesk(page)
    desk.open()
    desk.find("HD0003", unit)

    decision = desk.choose("Money back")
    last_day = policy.money_back_last_day(bought)
    _allowed(
        decision,
        "Money back",
        f"Money back is possible: the last day for a return is {last_day.isoformat()}.",
    )
    expect(decision.get_by_label("Serial of the new unit from the shelf")).to_have_count(0)
    decision.get_by_label("Opened: goes back to the maker").check()
    decision.get_by_role("button", name="Confirm money back").click()

    swap = desk.receipt()
    expect(page.get_by_test_id("swap-outcome")).to_have_text("Money back")
    expect(page.get_by_test_id("refund")).to_have_text("€499.00")
    expect(page.get_by_test_id("new-serial")).to_have_count(0)
    screenshot(page, "swap-receipt-money-back")

    assert line.line_total == 49900
    assert (swap.outcome, swap.refund_amount, swap.original_sale_line_id, swap.new_device_id) == (
        "money_back",
        line.line_total,
        line.id,
        None,
    )
    assert _statuses()["HD0003"] == "returned"
    assert {s for serial, s in _statuses().items() if serial in SHELF} == {"in_stock"}
    chain = Registration.get_by_id(unit.registration_id)
    assert chain.money_back_used and chain.ended_at is not None
    assert chain.end_reason == "money_back"
    assert AuditEvent.select().where(AuditEvent.action == "swap.money_back").count() == 1


def test_cosmetic_damage_is_refused_recorded_and_changes_nothing(
    page: Page, shop: SimpleNamespace, desk_world: SimpleNamespace, screenshot: Callable
) -> None:
    bought = desk_world.today - timedelta(days=5)
    unit = sold_and_registered(
        shop.store, shop.erik, desk_world.model, serial="HD0004", bought=bought
    )
    desk = SwapDesk(page)
    desk.open("sara")
    desk.find("HD0004", unit)

    decision = desk.choose("Cosmetic damage only")
    _refused(decision, "Purely cosmetic damage is not covered")
    screenshot(page, "swap-device-cosmetic-refused")

    refusal = SwapRefusal.get()
    assert (refusal.device_id, refusal.swap_case, refusal.staff_id, refusal.store_id) == (
        unit.id,
        "cosmetic",
        shop.sara.id,
        shop.store.id,
    )
    assert refusal.local_date == desk_world.today
    assert AuditEvent.select().where(AuditEvent.action == "swap.refused").count() == 1
    assert not Swap.select().exists()
    assert _statuses() == {
        "HD0004": "sold",
        "NEW0000": "in_stock",
        "NEW0001": "in_stock",
        "NEW0002": "in_stock",
    }
    chain = Registration.get_by_id(unit.registration_id)
    assert (chain.accident_claim_used, chain.money_back_used, chain.ended_at) == (
        False,
        False,
        None,
    )


def test_unregistered_device_is_registered_at_the_desk_then_swapped_under_warranty(
    page: Page, shop: SimpleNamespace, desk_world: SimpleNamespace, screenshot: Callable
) -> None:
    bought = desk_world.today - timedelta(days=30)
    unit = sold(shop.store, shop.erik, desk_world.model, serial="HD0005", bought=bought)
    desk = SwapDesk(page)
    desk.open()
    desk.find("HD0005", unit)
    expect(page.get_by_test_id("owner")).to_have_text("Not registered")
    expect(page.get_by_role("status")).to_contain_text("This device is not registered")
    # No outcome can be allowed before the registration: the six buttons wait for it.
    cases = page.get_by_role("region", name="What happened?").get_by_role("button")
    expect(cases).to_have_count(6)
    for n in range(6):
        expect(cases.nth(n)).to_be_disabled()
    screenshot(page, "swap-device-unregistered")

    page.get_by_role("link", name="Register this device").click()
    expect(page.get_by_role("heading", name="Register a device")).to_be_visible()
    # We sold this unit: the purchase date is the sale's, nobody types it.
    expect(page.get_by_label("Purchase date (from the customer's receipt)")).to_have_count(0)
    page.get_by_label("Customer's email").fill("Ann.Berg@Example.com")
    page.get_by_label("Name", exact=True).fill("Ann Berg")
    page.get_by_label("Date of birth").fill("1990-05-01")
    page.get_by_label("The customer accepts the terms").check()
    page.get_by_role("button", name="Register", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/swaps/devices/{unit.id}$"))
    expect(page.get_by_test_id("owner")).to_contain_text("A. ·")
    expect(page.get_by_role("status").filter(has_text="not registered")).to_have_count(0)
    chain = Registration.get()
    assert (chain.customer.email, chain.customer.name) == ("ann.berg@example.com", "Ann Berg")
    assert (chain.source, chain.registered_by_id, chain.store_id) == (
        "counter",
        shop.erik.id,
        shop.store.id,
    )
    assert (chain.purchase_date, chain.registration_date) == (bought, desk_world.today)
    assert Device.get_by_id(unit.id).registration_id == chain.id

    decision = desk.choose("Defect or malfunction")
    _allowed(decision, "Warranty replacement", "Covered by the warranty")
    desk.replace_with("NEW0002", "NO_HEAT")
    swap = desk.receipt()
    expect(page.get_by_test_id("new-serial")).to_have_text("NEW0002")

    assert (swap.outcome, swap.registration_id, swap.fault_code) == (
        "warranty",
        chain.id,
        "NO_HEAT",
    )
    assert _statuses() == {
        "HD0005": "replaced_out",
        "NEW0000": "in_stock",
        "NEW0001": "in_stock",
        "NEW0002": "sold",
    }
    assert Device.get(Device.serial == "NEW0002").registration_id == chain.id
    assert not SwapRefusal.select().exists()  # nothing could be tapped before registering
