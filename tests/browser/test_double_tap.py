"""A double tap on a form's button sends it once: quantities are not added twice, and one
transfer is started, not two."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import Delivery, DeliveryLine, Store, Transfer, TransferLine
from tests import factories as make

from .test_shell import open_tablet

pytestmark = pytest.mark.browser


@pytest.fixture
def english(shop: SimpleNamespace) -> SimpleNamespace:
    Store.update(language="en").where(Store.id == shop.store.id).execute()
    shop.sticks = make.product("consumable", name="Sticks Amber")
    make.stock(shop.store, shop.sticks, 50)
    shop.other = make.store(name="Kiosk Göteborg")
    return shop


def test_a_double_tap_starts_one_transfer_and_adds_its_items_once(
    page: Page, english: SimpleNamespace
) -> None:
    open_tablet(page, "erik", "/signin?next=/transfers/")
    page.get_by_label("Send to").select_option(label="Kiosk Göteborg")
    page.get_by_role("button", name="Start a transfer").dblclick()
    expect(page.get_by_role("button", name="Add items")).to_be_visible()
    assert Transfer.select().count() == 1

    page.get_by_label("Item", exact=True).select_option(label="Sticks Amber")
    page.get_by_label("Quantity").fill("5")
    page.get_by_role("button", name="Add items").dblclick()
    expect(page.get_by_role("cell", name="Sticks Amber")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert [line.quantity for line in TransferLine.select()] == [5]


def test_a_double_tap_adds_a_deliverys_quantity_once(page: Page, english: SimpleNamespace) -> None:
    open_tablet(page, "erik", "/signin?next=/stock/")
    page.get_by_label("Delivery reference (from the supplier's delivery note)").fill("DN-7")
    page.get_by_role("button", name="Start receiving").click()
    page.get_by_label("Consumable or accessory").select_option(label="Sticks Amber")
    page.get_by_label("Quantity").fill("12")
    page.get_by_role("button", name="Add to the delivery").dblclick()
    expect(page.get_by_text("12 now on the line.")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert [line.quantity for line in DeliveryLine.select()] == [12]
    assert Delivery.select().count() == 1
