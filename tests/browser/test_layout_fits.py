"""Wide tables at the sizes they are used at: every column in view, nothing scrolled sideways."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import Store
from tests import factories as make

from .test_shell import open_tablet

pytestmark = pytest.mark.browser

TABLET = {"width": 1280, "height": 800}
MANAGER = {"width": 1366, "height": 768}


def fits_sideways(page: Page, selector: str) -> None:
    """The table's box holds the whole table: its last column is not cut off."""
    wrap = page.locator(selector).locator("xpath=..")
    expect(wrap).to_be_visible()
    overflow = wrap.evaluate("e => e.scrollWidth - e.clientWidth")
    assert overflow <= 0, f"{selector} is {overflow} px wider than its box"
    last = page.locator(f"{selector} thead th").last.bounding_box()
    assert last["x"] + last["width"] <= page.viewport_size["width"], last


@pytest.fixture
def english(shop: SimpleNamespace) -> SimpleNamespace:
    Store.update(language="en").where(Store.id == shop.store.id).execute()
    return shop


@pytest.mark.parametrize("size", [TABLET, MANAGER], ids=["tablet", "manager"])
def test_back_to_the_maker_shows_every_waiting_column_and_its_headings_apart(
    page: Page, english: SimpleNamespace, size: dict
) -> None:
    model = make.product("device", name="Heat Device Prime 2 Limited Edition")
    for n in range(3):
        make.device(
            english.store,
            model,
            serial=f"HS1PR00000{n}",
            status="replaced_out",
            fault_code="NO_HEAT",
            notes="does not heat after charging overnight",
        )
    page.set_viewport_size(size)
    open_tablet(page, "maja", "/signin?next=/returns/")
    expect(page.get_by_role("heading", name="Back to the maker")).to_be_visible()

    fits_sideways(page, "[data-testid=waiting]")
    expect(page.get_by_role("columnheader", name="Days waiting")).to_be_in_viewport()
    button = page.get_by_role("button", name="Start shipment").bounding_box()
    heading = page.get_by_role("heading", name="Shipments").bounding_box()
    beside = heading["x"] >= button["x"] + button["width"]
    assert beside or heading["y"] >= button["y"] + button["height"] + 16, (button, heading)


def test_the_catalog_shows_a_price_column_per_market_at_a_managers_width(
    page: Page, shop: SimpleNamespace
) -> None:
    # In Swedish, as the demo's admin reads it: its words ("Förbrukningsvara", "Moms 25 %")
    # are the wider ones.
    Store.update(language="sv").where(Store.id == shop.store.id).execute()
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    britain = make.market("GB", name="United Kingdom", currency="GBP", vat_rates="2000,500,0")
    for kind, sku, name in (
        ("device", "DEV-PRIME2", "Värmeenhet Prime 2"),
        ("consumable", "CON-AMBER", "Tobaksstift Amber, 20 st"),
        ("accessory", "ACC-CLEAN", "Rengöringsstickor, 30 st"),
    ):
        item = make.product(kind, sku=sku, name=name, markets=[make.market("SE")], price=129900)
        make.product_price(item, britain, 12900, 2000)
    page.set_viewport_size(MANAGER)
    open_tablet(page, "root", "/signin?next=/admin/catalog")
    expect(page.get_by_role("heading", name="Sortiment", exact=True)).to_be_visible()

    fits_sideways(page, "table[aria-describedby=catalog-count]")
    expect(page.get_by_role("columnheader", name="Pris SE")).to_be_in_viewport()


def test_a_transfers_item_list_is_wide_enough_to_read_the_items(
    page: Page, english: SimpleNamespace
) -> None:
    make.product("consumable", name="Tobacco sticks Amber, 20 pieces")
    other = make.store(name="Kiosk Göteborg")
    open_tablet(page, "erik", "/signin?next=/transfers/")
    page.get_by_label("Send to").select_option(label=other.name)
    page.get_by_role("button", name="Start a transfer").click()
    item = page.get_by_label("Item", exact=True)
    item.select_option(label="Tobacco sticks Amber, 20 pieces")
    shown = item.evaluate("e => e.clientWidth")
    needed = item.evaluate(
        "e => { const c = document.createElement('canvas').getContext('2d');"
        " c.font = getComputedStyle(e).font;"
        " return c.measureText(e.selectedOptions[0].text).width; }"
    )
    assert shown >= needed + 40, (shown, needed)  # the text and the select's arrow
