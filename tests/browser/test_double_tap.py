"""A double tap on a form's button sends it once: a quantity is not added twice, and one
transfer is started, not two.

The server answers each of these forms in a few milliseconds here; on a store's Wi-Fi, or a
busy server, the second tap comes while the first is still on its way (seen in a full test
run). So the browser's network is made slow, as such a Wi-Fi is, and the button tapped twice.
"""

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


def slow_network(page: Page) -> None:
    """Each answer takes 0.6 s to come back, as on a store's busy Wi-Fi."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 600, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def double_tap(page: Page, name: str) -> None:
    """Two taps 150 ms apart, as a thumb does: the second while the first is on its way."""
    page.wait_for_load_state("load")  # the page's scripts, as a tablet has them cached
    box = page.get_by_role("button", name=name).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(150)
    page.mouse.click(x, y)


def test_a_double_tap_starts_one_transfer_and_adds_its_items_once(
    page: Page, english: SimpleNamespace
) -> None:
    open_tablet(page, "erik", "/signin?next=/transfers/")
    slow_network(page)
    page.get_by_label("Send to").select_option(label="Kiosk Göteborg")
    double_tap(page, "Start a transfer")
    expect(page.get_by_role("button", name="Add items")).to_be_visible()

    page.get_by_label("Item", exact=True).select_option(label="Sticks Amber")
    page.get_by_label("Quantity").fill("5")
    double_tap(page, "Add items")
    expect(page.get_by_role("cell", name="Sticks Amber")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert Transfer.select().count() == 1
    assert [line.quantity for line in TransferLine.select()] == [5]


def test_a_double_tap_adds_a_deliverys_quantity_once(page: Page, english: SimpleNamespace) -> None:
    open_tablet(page, "erik", "/signin?next=/stock/")
    slow_network(page)
    page.get_by_label("Delivery reference (from the supplier's delivery note)").fill("DN-7")
    page.get_by_role("button", name="Start receiving").click()
    page.get_by_label("Consumable or accessory").select_option(label="Sticks Amber")
    page.get_by_label("Quantity").fill("12")
    double_tap(page, "Add to the delivery")
    expect(page.get_by_text("12 now on the line.")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert [line.quantity for line in DeliveryLine.select()] == [12]
    assert Delivery.select().count() == 1
