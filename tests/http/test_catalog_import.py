"""The catalog as a CSV file over HTTP: export, a preview that writes nothing, an import that
writes exactly what was previewed, and every kind of bad file answered with nothing written."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from flask import Flask

from kiosk import clock
from kiosk.models import (
    AuditEvent,
    CatalogImport,
    ModelSuccessor,
    Product,
    ProductName,
    ProductPrice,
)
from tests import factories as make
from tests.http.test_backoffice import Office, office_for

HEADER = (
    "sku,kind,name,name_sv,age_restricted,min_age,serial_pattern,active,successor_sku,"
    "price_GB,vat_GB,price_SE,vat_SE"
)


@pytest.fixture
def admin(app: Flask, shop) -> Office:  # noqa: ANN001
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    make.market("SE")
    make.market("GB", name="United Kingdom", currency="GBP", vat_rates="2000,500,0")
    return office_for(app, "root")


@pytest.fixture
def catalog(admin: Office):  # noqa: ANN201
    model = make.product(
        "device",
        sku="DEV-ONE",
        name="Heat Device One",
        serial_pattern=r"HS\d{1,4}ON\d{7}",
        markets=[],
    )
    sticks = make.product("consumable", sku="CON-AMBER", name="Sticks Amber", markets=[])
    for product, se, gb in ((model, 49900, 3900), (sticks, 6500, 550)):
        make.product_price(product, make.market("SE"), se, 2500)
        make.product_price(product, make.market("GB"), gb, 2000)
    ProductName.create(product=model, language="sv", name="Värmeenhet One")
    return model, sticks


def upload(admin: Office, content: bytes | str, name: str = "catalog.csv"):  # noqa: ANN201
    data = content.encode() if isinstance(content, str) else content
    return admin.client.post(
        "/admin/catalog/import",
        data={"csrf_token": admin.token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def confirm(admin: Office, preview_html: str):  # noqa: ANN201
    action = re.search(r'action="(/admin/catalog/import/\d+)"', preview_html).group(1)
    fields = dict(re.findall(r'name="(sha256|plan)" value="([^"]*)"', preview_html))
    return admin.post(action, fields)


def snapshot() -> tuple:
    """Everything an import could write."""
    return (
        [tuple(p.__data__.values()) for p in Product.select().order_by(Product.id)],
        [tuple(p.__data__.values()) for p in ProductPrice.select().order_by(ProductPrice.id)],
        [tuple(n.__data__.values()) for n in ProductName.select().order_by(ProductName.id)],
        ModelSuccessor.select().count(),
        AuditEvent.select().where(AuditEvent.action.startswith("catalog")).count(),
        CatalogImport.select().count(),
    )


def test_export_then_import_changes_nothing(admin: Office, catalog) -> None:
    exported = admin.client.get("/admin/catalog.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    text = exported.data.decode("utf-8")
    assert text.startswith("\ufeff" + HEADER)
    row = 'DEV-ONE,device,Heat Device One,Värmeenhet One,yes,,"HS\\d{1,4}ON\\d{7}",yes,,'
    assert row + "39.00,20,499.00,25\r\n" in text
    before = snapshot()

    preview = upload(admin, exported.data)

    assert preview.status_code == 200
    assert "0 new, 0 changed, 2 unchanged, 0 with errors." in preview.text
    assert snapshot()[:5] == before[:5]  # a preview writes nothing to the catalog


def test_export_neutralises_formulas_and_import_reads_them_back(admin: Office) -> None:
    make.product("accessory", sku="ACC-EVIL", name='=HYPERLINK("http://x")', markets=[])
    make.product("accessory", sku="ACC-MINUS", name="-20% case", markets=[])
    exported = admin.client.get("/admin/catalog.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["sku"]: r["name"] for r in rows} == {
        "ACC-EVIL": '\'=HYPERLINK("http://x")',
        "ACC-MINUS": "'-20% case",
    }
    preview = upload(admin, exported)
    assert "0 new, 0 changed, 2 unchanged" in preview.text


def test_preview_lists_every_rows_change_then_import_writes_it_all_at_once(
    admin: Office, catalog
) -> None:
    model, _sticks = catalog
    # Semicolons and decimal commas, as a Swedish spreadsheet writes them.
    content = (
        "sku;kind;name;price_SE;vat_SE;successor_sku\n"
        "DEV-ONE;device;Heat Device One;549,00;25;DEV-TWO\n"
        "CON-AMBER;consumable;Sticks Amber;65;25;\n"
        "DEV-TWO;device;Heat Device Two;999;25;\n"
    )
    before = snapshot()

    preview = upload(admin, "\ufeff" + content)

    assert preview.status_code == 200
    assert "1 new, 1 changed, 1 unchanged, 0 with errors." in preview.text
    assert "price_SE</span>: 499.00 → 549.00" in preview.text
    assert "successor_sku</span>: – → DEV-TWO" in preview.text
    assert re.search(r"<td>4</td><td class=\"mono\">DEV-TWO</td>\s*<td>new</td>", preview.text)
    assert "2: CON-AMBER" not in preview.text and "3: CON-AMBER" in preview.text
    assert snapshot()[:5] == before[:5]

    done = confirm(admin, preview.text)

    assert done.status_code == 302
    two = Product.get(Product.sku == "DEV-TWO")
    prices = {(p.product.sku, p.market.code): p.price for p in ProductPrice.select()}
    assert prices == {
        ("DEV-ONE", "SE"): 54900,
        ("DEV-ONE", "GB"): 3900,  # no GB column in the file: kept
        ("CON-AMBER", "SE"): 6500,
        ("CON-AMBER", "GB"): 550,
        ("DEV-TWO", "SE"): 99900,
    }
    assert [(m.product_id, m.successor_id) for m in ModelSuccessor.select()] == [(model.id, two.id)]
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions.count("catalog.product_created") == 1
    assert actions.count("catalog.product_changed") == 1
    assert actions.count("catalog.imported") == 1
    changed = AuditEvent.get(AuditEvent.action == "catalog.product_changed")
    assert json.loads(changed.details)["changes"]["price_SE"] == ["499.00", "549.00"]
    assert CatalogImport.get().imported_at is not None


BAD_FILES = {
    "not UTF-8": ("sku,name\nACC-1,Kåpa\n".encode("latin-1"), "not UTF-8 text (line 2)"),
    "unknown column": (HEADER + ",colour\n", "Unknown columns: colour"),
    "a market we do not have": ("sku,price_NO\nDEV-ONE,1\n", "Unknown columns: price_NO"),
    "no sku column": ("name,kind\nX,device\n", "The file needs a sku column."),
    "empty": (b"", "The file is empty."),
    "only a header": (HEADER + "\n\n", "no products under its header"),
    "a NUL byte": ("sku,name\nDEV-ONE,Heat\x00\n", "NUL character on line 2"),
    "an unclosed quote": ('sku,name\nDEV-ONE,"Heat\n', "cannot be read as CSV"),
    "too many rows": (
        "sku,kind,name\n" + "".join(f"S{n},accessory,Case {n}\n" for n in range(100_000)),
        "more than 20,000 products",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_gets_a_clear_message_and_nothing_is_written(
    admin: Office, catalog, case: str
) -> None:
    content, message = BAD_FILES[case]
    before = snapshot()

    answer = upload(admin, content)

    assert answer.status_code == 422
    assert message in answer.text.replace("&#34;", '"').replace("&#39;", "'")
    assert 'id="file-error"' in answer.text
    assert snapshot() == before


BAD_ROWS = {
    "a price that is not a number": (
        "DEV-ONE,,,,,,,,,,,4 99 kr,25",
        2,
        "price_SE",
        "A price is a number",
    ),
    "a VAT rate the market does not have": (
        "DEV-ONE,,,,,,,,,,,499,20",
        2,
        "vat_SE",
        "one of 25, 12, 6, 0",
    ),
    "a duplicate SKU": ("CON-AMBER,,,,,,,,,,,,", 3, "sku", "CON-AMBER is also on line 2"),
    "a new product without a kind": (
        "NEW-1,,New,,,,,,,,,,",
        2,
        "kind",
        "A new product needs a kind.",
    ),
    "an unknown successor": (
        "DEV-ONE,,,,,,,,DEV-NINE,,,,",
        2,
        "successor_sku",
        "No product has the SKU DEV-NINE",
    ),
    "a wrong serial format": ("DEV-ONE,,,,,,HS(,,,,,,", 2, "serial_pattern", "Not a serial format"),
    "a sold product's kind": ("DEV-ONE,accessory,,,,,,,,,,,", 2, "kind", "its kind stays device"),
    "too few cells": ("DEV-ONE,device", 2, "", "This line has 2 cells; the header has 13."),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_a_bad_row_is_shown_with_its_line_and_nothing_is_written(
    admin: Office, catalog, shop, case: str
) -> None:
    make.sold_unit(shop.store, shop.erik, catalog[0], bought=clock.today_in(shop.store.timezone))
    row, line, column, message = BAD_ROWS[case]
    first = (
        "CON-AMBER,,,,,,,,,,,," if case == "a duplicate SKU" else "CON-AMBER,consumable,,,,,,,,,,,"
    )
    content = f"{HEADER}\n{first}\n{row}\n" if line == 3 else f"{HEADER}\n{row}\n{first}\n"
    before = snapshot()

    answer = upload(admin, content)

    assert answer.status_code == 422
    text = answer.text.replace("&#39;", "'")
    assert re.search(
        rf'<tr class="row--error"><td>{line}</td><td class="mono">[^<]*</td>'
        rf'<td class="mono">{column}</td><td>[^<]*{re.escape(message)}',
        text,
    ), text[text.find("Rows with errors") :][:2000]
    assert "Nothing was written" in text and "/admin/catalog/import/" not in text  # no Import
    assert snapshot() == before


def test_a_fixed_file_is_imported_after_its_bad_row_was_shown(admin: Office, catalog) -> None:
    bad = f"{HEADER}\nACC-NEW,accessory,Case,Fodral,,,,,,19,20,199,twenty-five\n"
    assert upload(admin, bad).status_code == 422
    good = upload(admin, bad.replace("twenty-five", "25"))
    assert good.status_code == 200
    assert confirm(admin, good.text).status_code == 302
    case = Product.get(Product.sku == "ACC-NEW")
    assert (case.kind, case.age_restricted, case.is_active) == ("accessory", False, True)
    assert {(p.market.code, p.price, p.vat_rate) for p in case.prices} == {
        ("GB", 1900, 2000),
        ("SE", 19900, 2500),
    }


def test_a_file_changed_after_its_preview_does_not_slip_through(admin: Office, catalog) -> None:
    first = upload(admin, "sku,name\nDEV-ONE,First name\n")
    second = upload(admin, "sku,name\nDEV-ONE,Second name\n")
    # The first preview's hash and plan with the second upload's id: not what was previewed.
    action = re.search(r'action="(/admin/catalog/import/\d+)"', second.text).group(1)
    fields = dict(re.findall(r'name="(sha256|plan)" value="([^"]*)"', first.text))
    before = snapshot()

    refused = admin.post(action, fields)

    assert refused.status_code == 422 and "not the file that was previewed" in refused.text
    assert snapshot() == before
    assert confirm(admin, second.text).status_code == 302
    assert Product.get(Product.sku == "DEV-ONE").name == "Second name"
    again = confirm(admin, second.text)
    assert again.status_code == 422 and "already been imported" in again.text


def test_a_catalog_changed_since_the_preview_is_previewed_again(admin: Office, catalog) -> None:
    preview = upload(admin, "sku,price_SE\nDEV-ONE,549\n")
    ProductPrice.update(price=52900).where(ProductPrice.product == catalog[0]).execute()
    before = snapshot()

    answer = confirm(admin, preview.text)

    assert answer.status_code == 409
    assert "The catalog changed since the preview" in answer.text
    assert "price_SE</span>: 529.00 → 549.00" in answer.text  # the new plan, to check again
    assert snapshot() == before
    assert confirm(admin, answer.text).status_code == 302
    assert (
        ProductPrice.get(
            ProductPrice.product == catalog[0], ProductPrice.market == make.market("SE")
        ).price
        == 54900
    )


def test_a_file_past_the_size_limit_is_answered_on_the_import_page(admin: Office, catalog) -> None:
    before = snapshot()
    answer = upload(admin, b"sku,name\n" + b"A" * (9 * 1024 * 1024))
    assert answer.status_code == 413 and "larger than 8 MB" in answer.text
    assert 'id="file-error"' in answer.text
    assert snapshot() == before


def test_an_import_of_5000_products_puts_every_one_in_the_catalog(admin: Office) -> None:
    lines = [HEADER] + [
        f"CON-{n:05d},consumable,Sticks {n},Stift {n},yes,,,yes,,{n % 90}.50,20,{n % 900}.00,25"
        for n in range(5000)
    ]
    preview = upload(admin, "\n".join(lines))
    assert "5000 new, 0 changed, 0 unchanged, 0 with errors." in preview.text

    assert confirm(admin, preview.text).status_code == 302

    assert Product.select().count() == 5000
    assert ProductPrice.select().count() == 10000 and ProductName.select().count() == 5000
    last = Product.get(Product.sku == "CON-04999")
    assert {(p.market.code, p.price) for p in last.prices} == {("GB", 4950), ("SE", 49900)}
    assert AuditEvent.select().where(AuditEvent.action == "catalog.product_created").count() == 5000


def test_import_pressed_on_two_screens_at_once_imports_once(
    app: Flask, admin: Office, catalog
) -> None:
    import threading

    preview = upload(admin, "sku,kind,name,price_SE\nACC-NEW,accessory,Case,299\n")
    screens = [admin, office_for(app, "root")]
    answers: list[int] = []
    barrier = threading.Barrier(2)

    def press(screen: Office) -> None:
        barrier.wait()
        answers.append(confirm(screen, preview.text).status_code)

    threads = [threading.Thread(target=press, args=(s,)) for s in screens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [302, 422]
    assert Product.select().where(Product.sku == "ACC-NEW").count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "catalog.imported").count() == 1
