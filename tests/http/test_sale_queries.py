"""Completing a sale and its receipt: statements that do not grow with the lines, refusals
that write nothing.

The counts are totals of one request through the views, the tablet's own reads included;
a change that lowers them lowers the numbers here too (each statement is a round trip to
PostgreSQL).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kiosk.models import Cart, Device, Sale, SaleLine, StockLevel
from tests import factories as make
from tests.http.test_counter import Counter, adult_birth_date
from tests.http.test_manager import _count_queries

# The tablet's person with its store and market (1); the sale with its seller, claim token,
# lines and serials (1).
RECEIPT_STATEMENTS = 2
# The tablet (1), the open cart (1); close the cart (1), its lines priced with its latest
# age check (1); the sale (1), the units sold (1), the lines (1), the units' life (1), the claim
# token (1), the audit event (1). Counted products off the shelf add one, however many.
COMPLETE_STATEMENTS = 10


@pytest.fixture
def shelf(shop) -> SimpleNamespace:
    model = make.product("device", name="Heat Device One", price=49900)
    sticks = make.product("consumable", name="Sticks Amber", price=6500)
    case = make.product("accessory", name="Holder case", price=29900)
    make.stock(shop.store, sticks, 50)
    make.stock(shop.store, case, 10)
    units = [make.device(shop.store, model, serial=f"HD2000{i}") for i in range(8)]
    return SimpleNamespace(model=model, sticks=sticks, case=case, units=units)


def _fill(counter: Counter, shop, serials: list[str], products: dict[int, int]) -> None:
    for serial in serials:
        assert counter.scan(serial).status_code == 200
    for product_id, quantity in products.items():
        for _ in range(quantity):
            assert counter.add(product_id).status_code == 200
    if serials or products:
        counter.age_check(adult_birth_date(shop.store))


def _complete_counted(counter: Counter, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    key = counter.key()
    seen = _count_queries(monkeypatch)
    done = counter.complete(key=key)
    monkeypatch.undo()
    assert done.status_code == 204, done.text
    return len(seen), done.headers["HX-Redirect"]


def _receipt_counted(counter: Counter, url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    seen = _count_queries(monkeypatch)
    receipt = counter.client.get(url)
    monkeypatch.undo()
    assert receipt.status_code == 200
    assert len(seen) == RECEIPT_STATEMENTS, seen
    return receipt.text


def test_a_sale_of_one_device_or_of_five_costs_the_same_statements(
    counter: Counter, shop, shelf, monkeypatch
) -> None:
    _fill(counter, shop, ["HD20000"], {})
    one, first = _complete_counted(counter, monkeypatch)
    _fill(counter, shop, [f"HD2000{i}" for i in range(1, 6)], {})
    five, second = _complete_counted(counter, monkeypatch)
    assert one == five == COMPLETE_STATEMENTS

    assert [unit.status for unit in Device.select().order_by(Device.serial)] == ["sold"] * 6 + [
        "in_stock"
    ] * 2
    small = _receipt_counted(counter, first, monkeypatch)
    large = _receipt_counted(counter, second, monkeypatch)
    assert "HD20000" in small and 'data-testid="claim-qr"' in small
    assert all(f"HD2000{i}" in large for i in range(1, 6)) and "HD20000" not in large
    assert 'data-testid="claim-qr"' in large


def test_counted_products_come_off_the_shelf_in_one_statement_however_many(
    counter: Counter, shop, shelf, monkeypatch
) -> None:
    _fill(counter, shop, ["HD20000"], {shelf.sticks.id: 1})
    few, _ = _complete_counted(counter, monkeypatch)
    _fill(counter, shop, ["HD20001", "HD20002", "HD20003"], {shelf.sticks.id: 3, shelf.case.id: 2})
    many, url = _complete_counted(counter, monkeypatch)
    assert few == many == COMPLETE_STATEMENTS + 1

    assert StockLevel.get(StockLevel.product == shelf.sticks).quantity == 50 - 1 - 3
    assert StockLevel.get(StockLevel.product == shelf.case).quantity == 10 - 2
    sale = Sale.get_by_id(int(url.split("/")[3]))
    assert sale.total == 3 * 49900 + 3 * 6500 + 2 * 29900
    receipt = _receipt_counted(counter, url, monkeypatch)
    assert "3 × Sticks Amber" in receipt and "2 × Holder case" in receipt


def test_a_receipt_without_devices_reads_as_little(
    counter: Counter, shop, shelf, monkeypatch
) -> None:
    _fill(counter, shop, [], {shelf.case.id: 1})
    _count, url = _complete_counted(counter, monkeypatch)
    receipt = _receipt_counted(counter, url, monkeypatch)
    assert "Holder case" in receipt and "claim-qr" not in receipt


def test_a_product_short_on_the_shelf_stops_the_sale_and_writes_nothing(
    counter: Counter, shop, shelf
) -> None:
    _fill(counter, shop, ["HD20000"], {shelf.sticks.id: 2, shelf.case.id: 3})
    # The shelf was counted meanwhile: one holder case fewer than the cart holds.
    StockLevel.update(quantity=2).where(StockLevel.product == shelf.case).execute()
    refused = counter.complete()
    assert refused.status_code == 409
    assert "fewer than 3 of Holder case" in refused.text
    assert not Sale.select().exists() and not SaleLine.select().exists()
    assert StockLevel.get(StockLevel.product == shelf.sticks).quantity == 50
    assert StockLevel.get(StockLevel.product == shelf.case).quantity == 2
    assert Device.get(Device.serial == "HD20000").status == "in_stock"
    assert Cart.get().status == "open"  # fix the cart, then complete it


def test_a_serial_sold_on_another_tablet_meanwhile_is_named_and_nothing_is_written(
    counter: Counter, shop, shelf
) -> None:
    _fill(counter, shop, ["HD20000", "HD20001", "HD20002"], {shelf.sticks.id: 1})
    # Another tablet sold the second unit after it was scanned here.
    Device.update(status="sold").where(Device.serial == "HD20001").execute()
    refused = counter.complete()
    assert refused.status_code == 409
    assert "Serial HD20001 was sold on another tablet" in refused.text
    assert not Sale.select().exists()
    statuses = {
        unit.serial: unit.status
        for unit in Device.select().where(Device.id << [u.id for u in shelf.units[:3]])
    }
    assert statuses == {"HD20000": "in_stock", "HD20001": "sold", "HD20002": "in_stock"}
    assert StockLevel.get(StockLevel.product == shelf.sticks).quantity == 50
    assert Cart.get().status == "open"
