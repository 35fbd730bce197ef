"""The back office in a browser at the manager's 1366x768: a store in another market, a
product's prices, and a catalog file with a bad row shown in the preview, fixed, imported.

Each screen is found by role and label, as a person reads it, and checked with axe.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from kiosk.models import CatalogImport, Product, ProductPrice, Staff, Store
from tests import factories as make

from .conftest import ARTIFACTS, Console
from .test_accessibility import assert_no_serious_violations
from .test_shell import open_tablet

pytestmark = pytest.mark.browser

MANAGER = {"width": 1366, "height": 768}


@pytest.fixture
def office(page: Page, shop: SimpleNamespace, console: Console) -> SimpleNamespace:
    """The test shop in Sweden, the United Kingdom as a second market, an admin at the desk."""
    console.allow(422)  # each test sends one wrong form first, answered at its field
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    britain = make.market("GB", name="United Kingdom", currency="GBP", vat_rates="2000,500,0")
    page.set_viewport_size(MANAGER)
    open_tablet(page, "root")
    expect(page.get_by_role("link", name="Back office", exact=True)).to_be_visible()
    sweden = make.market("SE")
    sweden.name = "Sweden"
    sweden.save()
    return SimpleNamespace(sweden=sweden, britain=britain)


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}-1366x768.png"
    page.screenshot(path=str(path))
    return path


def test_admin_creates_a_store_in_another_market_and_its_first_manager(
    page: Page, office: SimpleNamespace
) -> None:
    page.get_by_role("link", name="Back office", exact=True).click()
    page.get_by_role("link", name="Stores").click()
    page.get_by_role("link", name="New store").click()
    expect(page.get_by_role("heading", name="New store", level=1)).to_be_visible()

    page.get_by_label("Store code").fill("LON2")
    page.get_by_label("Store name").fill("Kiosk London Bridge")
    page.get_by_label("Market").select_option(label="United Kingdom (GB, GBP)")
    page.get_by_label("Time zone").fill("Europe/Londn")  # a slip of the finger first
    page.get_by_label("Language").select_option(label="English")
    page.get_by_label("Address on receipts").fill("1 Tooley Street\nLondon SE1 2TF")
    page.get_by_label("Organisation number").fill("09876543")
    page.get_by_label("VAT number").fill("GB987654321")
    page.get_by_label("Benefit Program discount on accessories (%)").fill("15")
    page.get_by_label("Money-back returns per customer (at most)").fill("2")
    page.get_by_role("button", name="Create store").click()

    zone = page.get_by_label("Time zone")
    expect(zone).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").filter(has_text="Unknown time zone")).to_be_visible()
    expect(page.get_by_label("Store name")).to_have_value("Kiosk London Bridge")  # kept
    assert not Store.select().where(Store.code == "LON2").exists()
    shot(page, "backoffice-store-error")
    zone.fill("Europe/London")
    page.get_by_role("button", name="Create store").click()

    expect(page.get_by_role("status")).to_contain_text("Store LON2 created")
    expect(page.get_by_role("heading", name="Store LON2", level=1)).to_be_visible()
    store = Store.get(Store.code == "LON2")
    assert (store.market_id, store.timezone, store.benefit_discount_percent) == (
        office.britain.id,
        "Europe/London",
        15,
    )
    people = page.get_by_role("region", name="People of Kiosk London Bridge")
    people.get_by_label("Name", exact=True).fill("Lena Lead")
    people.get_by_label("Username").fill("lena")
    people.get_by_label("Role").select_option(label="Manager")
    people.get_by_label("Password").fill("a long password")
    people.get_by_label("PIN").fill("4321")
    people.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("status")).to_contain_text("Lena Lead can now sign in")
    assert Staff.get(Staff.username == "lena").store_id == store.id
    assert_no_serious_violations(page, "backoffice-store")
    shot(page, "backoffice-store")


def test_admin_edits_a_products_prices_in_each_market(page: Page, office: SimpleNamespace) -> None:
    model = make.product(
        "device", sku="DEV-ONE", name="Heat Device One", price=49900, markets=[office.sweden]
    )
    page.goto("/admin/catalog")
    expect(page.get_by_role("heading", name="Catalog", level=1)).to_be_visible()
    expect(page.get_by_test_id("price-DEV-ONE-GB")).to_have_text("not sold")
    assert_no_serious_violations(page, "backoffice-catalog")
    page.get_by_role("link", name="Edit DEV-ONE").click()

    page.get_by_label("Price in United Kingdom (GBP)").fill("39,90")
    page.get_by_label("VAT in United Kingdom").select_option("20")
    page.get_by_label("Price in Sweden (SEK)").fill("five hundred")
    page.get_by_role("button", name="Save product").click()
    expect(page.get_by_label("Price in Sweden (SEK)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").first).to_contain_text("A price is a number")
    assert ProductPrice.select().count() == 1
    shot(page, "backoffice-product-error")
    page.get_by_label("Price in Sweden (SEK)").fill("549")
    page.get_by_role("button", name="Save product").click()

    expect(page.get_by_role("status")).to_contain_text("DEV-ONE saved")
    expect(page.get_by_test_id("price-DEV-ONE-GB")).to_contain_text("£39.90")
    expect(page.get_by_test_id("price-DEV-ONE-SE")).to_contain_text("SEK549.00")
    prices = {(p.market.code, p.price, p.vat_rate) for p in model.prices}
    assert prices == {("SE", 54900, 2500), ("GB", 3990, 2000)}
    page.get_by_role("link", name="Edit DEV-ONE").click()
    assert_no_serious_violations(page, "backoffice-product")
    shot(page, "backoffice-product")


def test_a_catalog_file_with_a_bad_row_is_previewed_fixed_and_imported(
    page: Page, office: SimpleNamespace, tmp_path: Path
) -> None:
    make.product("device", sku="DEV-ONE", name="Heat Device One", price=49900)
    header = "sku;kind;name;name_sv;price_SE;vat_SE;price_GB;vat_GB\n"
    bad = tmp_path / "catalog.csv"
    bad.write_text(
        header
        + "DEV-ONE;device;Heat Device One;Värmeenhet One;549,00;25;39;20\n"
        + "ACC-CASE;accessory;Holder case;Fodral;299;25;nineteen;20\n",
        encoding="utf-8",
    )
    page.goto("/admin/catalog")
    page.get_by_role("link", name="Import CSV").click()
    page.get_by_label("Catalog file (CSV)").set_input_files(bad)
    page.get_by_role("button", name="Preview").click()

    errors = page.get_by_role("table", name="Rows with errors")
    expect(errors.get_by_role("row").nth(1)).to_contain_text("3")
    expect(errors).to_contain_text("price_GB")
    expect(errors).to_contain_text("A price is a number")
    expect(page.get_by_text("Nothing was written.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Import "))).to_have_count(0)
    assert not Product.select().where(Product.sku == "ACC-CASE").exists()
    assert_no_serious_violations(page, "backoffice-import-errors")
    shot(page, "backoffice-import-errors")

    fixed = tmp_path / "catalog-fixed.csv"
    fixed.write_text(bad.read_text(encoding="utf-8").replace("nineteen", "19"), encoding="utf-8")
    page.get_by_label("Catalog file (CSV)").set_input_files(fixed)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("preview-counts")).to_have_text(
        "1 new, 1 changed, 0 unchanged, 0 with errors."
    )
    changes = page.get_by_role("table", name="Changes")
    expect(changes).to_contain_text("price_SE: 499.00 → 549.00")
    expect(changes).to_contain_text("ACC-CASE")
    shot(page, "backoffice-import-preview")
    page.get_by_role("button", name="Import 1 new and 1 changed products").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Imported catalog-fixed.csv: 1 new, 1 changed, 0 unchanged."
    )
    case = Product.get(Product.sku == "ACC-CASE")
    assert {(p.market.code, p.price) for p in case.prices} == {("SE", 29900), ("GB", 1900)}
    assert CatalogImport.get().imported_at is not None
