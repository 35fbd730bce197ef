"""The admin's product form over HTTP, and the rule that a sale keeps what it was sold at."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import clock
from kiosk.models import (
    AuditEvent,
    ModelSuccessor,
    Product,
    ProductName,
    ProductPrice,
    Sale,
    SaleLine,
    Swap,
)
from tests import factories as make
from tests.conftest import AuthActions
from tests.http.test_backoffice import Office, office_for
from tests.http.test_counter import Counter, adult_birth_date
from tests.http.test_swaps import Desk


@pytest.fixture
def markets(shop):  # noqa: ANN001, ANN201
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    return (
        make.market("SE"),
        make.market("GB", name="United Kingdom", currency="GBP", vat_rates="2000,500,0"),
    )


@pytest.fixture
def admin(app: Flask, markets) -> Office:  # noqa: ANN001
    return office_for(app, "root")


PRODUCT = {
    "sku": "dev-new",
    "kind": "device",
    "name": "Heat Device New",
    "name_sv": "Värmeenhet Ny",
    "age_restricted": "y",
    "min_age": "",
    "serial_pattern": r"HS\d{1,4}NW\d{7}",
    "try_serial": "hs-12-nw-0000001",
    "active": "y",
    "price_SE": "1 099,50",
    "vat_SE": "25",
    "price_GB": "",
    "vat_GB": "20",
}


def test_admin_creates_a_product_with_names_prices_and_its_serial_format(admin: Office) -> None:
    done = admin.post("/admin/catalog/new", PRODUCT)

    assert done.status_code == 302
    product = Product.get(Product.sku == "DEV-NEW")  # upper case: the scanner's lookup
    assert (product.kind, product.name, product.serial_pattern) == (
        "device",
        "Heat Device New",
        r"HS\d{1,4}NW\d{7}",
    )
    assert product.age_restricted and product.is_active and product.min_age is None
    assert ProductName.get(ProductName.product == product).name == "Värmeenhet Ny"
    prices = {(p.market.code, p.price, p.vat_rate) for p in ProductPrice.select()}
    assert prices == {("SE", 109950, 2500)}  # no price in GB: not sold there
    event = AuditEvent.get(AuditEvent.action == "catalog.product_created")
    assert event.subject_id == product.id and json.loads(event.details)["via"] == "form"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sku", "has space", "A SKU is 1 to 32 letters"),
        ("name", "", "Type the product"),
        ("price_SE", "12,3,4", "A price is a number such as 499 or 499.90."),
        ("price_SE", "-5", "A price is a number such as 499 or 499.90."),
        ("vat_SE", "20", "The VAT rate in SE is one of 25, 12, 6, 0"),
        ("min_age", "12", "A minimum age is a whole number from 16 to 30."),
        ("min_age", "²", "A minimum age is a whole number from 16 to 30."),  # a digit, not int
        ("serial_pattern", "HS(", "Not a serial format we can use"),
        ("serial_pattern", "hs\\d+", "write the pattern"),
        ("serial_pattern", ".*", "must not accept an empty serial"),
        ("try_serial", "HS1NW12", "does not have this format"),
        ("age_restricted", "", "Devices and consumables are always age-restricted."),
    ],
)
def test_a_wrong_product_is_answered_at_its_field_and_nothing_is_written(
    admin: Office, field: str, value: str, message: str
) -> None:
    data = PRODUCT | {field: value}
    if field == "age_restricted":
        data.pop("age_restricted")  # an unticked box sends nothing
    answer = admin.post("/admin/catalog/new", data)

    assert answer.status_code == 422
    assert message in answer.text.replace("&#39;", "'")
    assert f'id="{field}-error"' in answer.text or f'id="{field}' in answer.text
    assert Product.select().count() == 0 and ProductPrice.select().count() == 0
    assert not AuditEvent.select().where(AuditEvent.action.startswith("catalog")).exists()


def test_a_serial_format_belongs_to_a_device_and_a_sku_to_one_product(admin: Office) -> None:
    sticks = make.product("consumable", sku="CON-AMBER")
    accessory = PRODUCT | {"sku": "acc-x", "kind": "accessory", "age_restricted": ""}
    answer = admin.post("/admin/catalog/new", accessory)
    assert answer.status_code == 422 and "Only a device model has a serial format." in answer.text

    taken = admin.post("/admin/catalog/new", PRODUCT | {"sku": sticks.sku})
    assert taken.status_code == 422 and "There is already a product with that SKU." in taken.text
    assert Product.select().count() == 1


def test_admin_maps_successor_models_but_never_the_model_itself(admin: Office) -> None:
    old = make.product("device", sku="DEV-ONE")
    new = make.product("device", sku="DEV-TWO")
    sticks = make.product("consumable", sku="CON-X")
    form = {k: v for k, v in PRODUCT.items() if k not in ("sku", "try_serial", "serial_pattern")}
    url = f"/admin/catalog/{old.id}"

    itself = admin.post(url, form | {"successor_sku": [old.sku]})
    not_a_device = admin.post(url, form | {"successor_sku": [sticks.sku]})
    mapped = admin.post(url, form | {"successor_sku": [new.sku]})

    assert itself.status_code == 422 and "cannot be its own successor" in itself.text
    assert not_a_device.status_code == 422 and "CON-X is not a device model" in not_a_device.text
    assert mapped.status_code == 302
    assert [(m.product_id, m.successor_id) for m in ModelSuccessor.select()] == [(old.id, new.id)]


def test_a_sold_product_is_deactivated_never_deleted(admin: Office, shop) -> None:
    sold = make.product("device", sku="DEV-SOLD")
    make.sold_unit(shop.store, shop.erik, sold, bought=clock.today_in(shop.store.timezone))
    fresh = make.product("accessory", sku="ACC-FRESH")

    page = admin.client.get(f"/admin/catalog/{sold.id}")
    refused = admin.post(f"/admin/catalog/{sold.id}/delete", {})
    deleted = admin.post(f"/admin/catalog/{fresh.id}/delete", {})

    assert "Delete DEV-SOLD" not in page.text and "Untick Active" in page.text
    assert refused.status_code == 302
    assert "deactivate it instead" in admin.client.get(refused.headers["Location"]).text
    assert Product.get_or_none(Product.id == sold.id) is not None
    assert deleted.status_code == 302 and Product.get_or_none(Product.id == fresh.id) is None
    assert ProductPrice.select().where(ProductPrice.product == fresh.id).count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "catalog.product_deleted").count() == 1

    form = {"kind": "device", "name": sold.name, "age_restricted": "y", "price_SE": "499"}
    assert admin.post(f"/admin/catalog/{sold.id}", form).status_code == 302  # Active unticked
    assert not Product.get_by_id(sold.id).is_active
    kind_change = admin.post(f"/admin/catalog/{sold.id}", form | {"kind": "consumable"})
    assert kind_change.status_code == 422 and "its kind stays device" in kind_change.text


def _main(page: str) -> str:
    """What a page shows, without the per-request CSRF token around it."""
    return page[page.index("<main") : page.index("</main>")]


def test_a_price_change_after_a_sale_changes_nothing_of_that_sale(
    app: Flask, client: FlaskClient, auth: AuthActions, shop, markets, admin: Office
) -> None:
    """The sale, its receipt, the day's report and its money back keep the price sold at."""
    sweden, _britain = markets
    model = make.product("device", sku="DEV-ONE", name="Heat Device One", markets=[sweden])
    make.device(shop.store, model, serial="HS1ON0000001")
    make.device(shop.store, model, serial="HS1ON0000002")
    auth.sign_in("erik")
    counter = Counter(client)
    counter.scan("HS1ON0000001")
    counter.age_check(adult_birth_date(shop.store))
    receipt_url = counter.complete().headers["HX-Redirect"]
    sale = Sale.get()
    maja = office_for(app, "maja")
    day = clock.today_in(shop.store.timezone).isoformat()
    report_before = _main(maja.client.get(f"/manager/sales?day={day}").text)
    assert "SEK499.00" in report_before

    changed = admin.post(
        f"/admin/catalog/{model.id}",
        {
            "kind": "device",
            "name": "Heat Device One Plus",
            "age_restricted": "y",
            "active": "y",
            "price_SE": "549",
            "vat_SE": "12",
        },
    )
    assert changed.status_code == 302
    assert ProductPrice.get(ProductPrice.product == model).price == 54900

    line = SaleLine.get(SaleLine.sale == sale)
    assert (Sale.get_by_id(sale.id).total, line.unit_price, line.vat_rate) == (49900, 49900, 2500)
    assert line.description == "Heat Device One"
    receipt = client.get(receipt_url).text.replace("\xa0", " ")
    assert "SEK499.00" in receipt and "SEK549" not in receipt and "VAT 25%" in receipt
    assert _main(maja.client.get(f"/manager/sales?day={day}").text) == report_before
    # The customer registers it, then brings it back: the refund is what they paid.
    unit = line.device
    make.registration(shop.store, make.customer(), unit)
    assert Desk(client).money_back(unit).status_code == 204
    assert Swap.get().refund_amount == 49900
    swap_receipt = client.get(f"/swaps/{Swap.get().id}/receipt").text
    assert "SEK499.00" in swap_receipt and "of which VAT 25%" in swap_receipt
    # The next sale is at the new price, with the new name and VAT.
    counter.scan("HS1ON0000002")
    counter.age_check(adult_birth_date(shop.store))
    counter.complete()
    newest = SaleLine.select().order_by(SaleLine.id.desc()).get()
    assert (newest.unit_price, newest.vat_rate, newest.description) == (
        54900,
        1200,
        "Heat Device One Plus",
    )


def test_managers_see_their_markets_prices_in_their_language(app: Flask, shop, markets) -> None:
    sweden, britain = markets
    model = make.product("device", name="Heat Device One", markets=[])
    make.product_price(model, sweden, 49900, 2500)
    make.product_price(model, britain, 3900, 2000)
    ProductName.create(product=model, language="sv", name="Värmeenhet One")
    shop.store.language = "sv"
    shop.store.save()
    page = office_for(app, "maja").client.get("/admin/catalog").text
    assert "Värmeenhet One" in page and "499,00" in page
    assert "39,00" not in page and "GBP" not in page


def test_the_catalog_list_searches_filters_and_pages(admin: Office) -> None:
    for n in range(60):
        make.product("consumable", sku=f"CON-{n:03d}", name=f"Sticks {n}")
    make.product("device", sku="DEV-ONE", name="Heat Device One", is_active=False)

    first = admin.client.get("/admin/catalog?kind=consumable").text
    second = admin.client.get("/admin/catalog?kind=consumable&page=2").text
    found = admin.client.get("/admin/catalog?q=heat&status=inactive").text

    assert "60 products · page 1 of 2" in first and "CON-049" in first and "CON-050" not in first
    assert "CON-050" in second and "CON-059" in second
    assert "DEV-ONE" in found and "CON-001" not in found
    assert admin.client.get("/admin/catalog?page=99999999999").status_code == 200


def test_the_catalog_reads_in_a_fixed_number_of_queries(
    app: Flask, admin: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.http.test_manager import _count_queries

    counts = []
    for n in (5, 45):
        while Product.select().count() < n:
            make.product("consumable", sku=f"CON-{Product.select().count():03d}")
        seen = _count_queries(monkeypatch)
        assert admin.client.get("/admin/catalog").status_code == 200
        counts.append(len(seen))
        monkeypatch.undo()
    assert counts[0] == counts[1]
