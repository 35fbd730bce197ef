"""Stock per store and product, the low-stock signal, and where any unit is, over HTTP."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import clock
from kiosk.models import AuditEvent, Device, LowStockLevel, Sale, SaleLine, StockLevel
from kiosk.services import unit_life
from tests import factories as make
from tests.conftest import AuthActions, csrf_from
from tests.http.test_counter import Counter, adult_birth_date
from tests.http.test_intake import Intake
from tests.http.test_manager import _count_queries


def row_of(page: str, store_id: int, product_id: int) -> list[str]:
    """The cells of one product's row on the stock page, as text."""
    found = re.search(rf'<tr id="row-level-{store_id}-{product_id}".*?</tr>', page, re.S)
    assert found, f"no row for product {product_id}"
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", found.group(0), re.S)
    return [re.sub(r"<[^>]+>", " ", c).split()[0] if c.strip() else "" for c in cells]


@pytest.fixture
def goods(shop) -> SimpleNamespace:  # noqa: ANN001
    one = make.product("device", name="Heat Device One", serial_pattern=r"HD\d{5}")
    sticks = make.product("consumable", sku="CON-AMBER", name="Sticks Amber")
    return SimpleNamespace(one=one, sticks=sticks)


def test_stock_page_counts_in_stock_sold_today_and_waiting_to_go_back(
    client: FlaskClient, auth: AuthActions, shop, goods
) -> None:
    for n in range(3):
        make.device(shop.store, goods.one, serial=f"HD0000{n}")
    make.device(shop.store, goods.one, status="replaced_out")
    make.device(shop.store, goods.one, status="returned")
    today = clock.today_in(shop.store.timezone)
    make.sold_unit(shop.store, shop.erik, goods.one, bought=today)
    make.sold_unit(shop.store, shop.erik, goods.one, bought=today - timedelta(days=1))
    make.stock(shop.store, goods.sticks, 40)
    elsewhere = make.store(name="Elsewhere")
    make.device(elsewhere, goods.one)  # not this store's
    auth.sign_in("maja")
    page = client.get("/stock/levels")
    assert page.status_code == 200
    # product, in stock, sold today, waiting, level
    assert row_of(page.text, shop.store.id, goods.one.id)[:4] == ["Heat", "3", "1", "2"]
    assert row_of(page.text, shop.store.id, goods.sticks.id)[:4] == ["Sticks", "40", "0", ""]


def test_sold_today_is_the_stores_own_day(
    app: Flask, client: FlaskClient, auth: AuthActions, shop, goods
) -> None:
    # 23:30 on the 10th in Stockholm is 22:30 UTC; at 00:10 on the 11th it is "yesterday".
    app.config["CLOCK_NOW"] = datetime(2026, 3, 10, 23, 10, tzinfo=UTC)
    make.sold_unit(shop.store, shop.erik, goods.one, bought=datetime(2026, 3, 10).date())
    auth.sign_in("maja")
    assert row_of(client.get("/stock/levels").text, shop.store.id, goods.one.id)[2] == "0"
    app.config["CLOCK_NOW"] = datetime(2026, 3, 10, 22, 50, tzinfo=UTC)
    assert row_of(client.get("/stock/levels").text, shop.store.id, goods.one.id)[2] == "1"


def set_level(client: FlaskClient, store_id: int, product_id: int, level: object, **extra):  # noqa: ANN201
    token = csrf_from(client.get("/stock/levels").text)
    return client.post(
        f"/stock/levels/{store_id}/{product_id}",
        data={"level": level},
        headers={"X-CSRFToken": token, **extra},
    )


def test_the_manager_sets_a_low_stock_level_and_the_home_signals_it_until_stock_comes(
    client: FlaskClient, auth: AuthActions, shop, goods
) -> None:
    make.device(shop.store, goods.one, serial="HD00001")
    auth.sign_in("maja")
    assert "Running low" not in client.get("/manager/").text
    saved = set_level(client, shop.store.id, goods.one.id, "3", **{"HX-Request": "true"})
    assert saved.status_code == 200 and "Saved" in saved.text and "Low" in saved.text
    assert LowStockLevel.get().level == 3
    audit = AuditEvent.get(AuditEvent.action == "stock.low_level_changed")
    assert json.loads(audit.details) == {"level": 3, "product_id": goods.one.id}

    home = client.get("/manager/")
    assert "Running low" in home.text
    assert "Heat Device One: 1 left, under the low-stock level of 3" in home.text

    Intake(client).start("DN-7")
    tablet = Intake(client)
    for serial in ("HD00002", "HD00003"):
        tablet.scan(serial)
    assert tablet.receive().status_code == 302
    assert "Running low" not in client.get("/manager/").text  # 3 on the shelf: not under 3

    cleared = set_level(client, shop.store.id, goods.one.id, "")
    assert cleared.status_code == 302 and not LowStockLevel.select().exists()


def test_running_low_names_units_and_items_under_their_level_in_this_store_only(
    client: FlaskClient, auth: AuthActions, shop, goods
) -> None:
    """The home reads only the products with a level; what it names is what the list shows."""
    make.device(shop.store, goods.one, serial="HD00001")
    make.device(shop.store, goods.one, serial="HD00002", status="sold")
    make.stock(shop.store, goods.sticks, 2)
    elsewhere = make.store(name="Elsewhere")
    make.stock(elsewhere, goods.sticks, 40)  # another store's stock lifts nothing here
    never = make.product("accessory", name="Case Never")  # level 0: no signal
    old = make.product("device", name="Old Model", is_active=False)  # none left, none waiting
    kept = make.product("device", name="Kept Model", is_active=False)  # none left, one waiting
    make.device(shop.store, kept, status="replaced_out")
    levels = {goods.one: 3, goods.sticks: 5, never: 0, old: 2, kept: 2}
    for product, level in levels.items():
        LowStockLevel.create(store=shop.store, product=product, level=level)
    LowStockLevel.create(store=elsewhere, product=goods.one, level=9)
    auth.sign_in("maja")
    home = client.get("/manager/").text
    notice = home[home.index('data-testid="low-stock"') :]
    notice = notice[: notice.index("</ul>")]
    named = re.findall(r"<li>(.*?)</li>", notice)
    assert named == [
        "Heat Device One: 1 left, under the low-stock level of 3",
        "Kept Model: 0 left, under the low-stock level of 2",
        "Sticks Amber: 2 left, under the low-stock level of 5",
    ]
    # The stock list marks the same products low.
    page = client.get("/stock/levels").text
    marked = re.findall(r'<tr id="row-level-\d+-(\d+)" class="row--low"', page)
    assert sorted(int(n) for n in marked) == sorted(p.id for p in (goods.one, goods.sticks, kept))


@pytest.mark.parametrize("level", ["-1", "100001", "lots", "1.5"])
def test_a_bad_low_stock_level_is_answered_at_the_field(
    client: FlaskClient, auth: AuthActions, shop, goods, level
) -> None:
    auth.sign_in("maja")
    answer = set_level(client, shop.store.id, goods.one.id, level, **{"HX-Request": "true"})
    assert answer.status_code == 422 and 'role="alert"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert not LowStockLevel.select().exists()


def test_levels_are_the_managers_and_only_of_their_own_store(
    app: Flask, client: FlaskClient, auth: AuthActions, shop, goods
) -> None:
    other = make.store(name="London")
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    auth.sign_in("erik")
    assert client.get("/stock/levels").status_code == 403
    token = csrf_from(client.get("/stock/").text)
    staff_try = client.post(
        f"/stock/levels/{shop.store.id}/{goods.one.id}",
        data={"level": "2"},
        headers={"X-CSRFToken": token},
    )
    assert staff_try.status_code == 403
    manager = app.test_client()
    AuthActions(manager).sign_in("maja")
    assert set_level(manager, other.id, goods.one.id, "2").status_code == 403
    assert manager.get(f"/stock/levels?store={other.id}").status_code == 403
    assert not LowStockLevel.select().exists()
    admin = app.test_client()
    AuthActions(admin).sign_in("root")
    assert set_level(admin, other.id, goods.one.id, "2").status_code == 302
    assert LowStockLevel.get().store_id == other.id
    everything = admin.get("/stock/levels?store=all")
    assert "London" in everything.text and "Kiosk Test City" in everything.text


@pytest.mark.parametrize(
    "page", ["/stock/levels", "/stock/", "/manager/", "/stock/deliveries/{delivery}"]
)
def test_stock_pages_run_the_same_number_of_queries_for_few_and_many_products(
    client: FlaskClient, auth: AuthActions, shop, monkeypatch, page
) -> None:
    auth.sign_in("maja")
    tablet = Intake(client)
    tablet.start("DN-1")
    counts = []
    for n in (2, 25):
        for _ in range(n):
            model = make.product("device", serial_pattern=r"Q\d+")
            make.device(shop.store, model)
            make.device(shop.store, model, status="replaced_out")
            make.sold_unit(shop.store, shop.erik, model, bought=clock.today_in("Europe/Stockholm"))
            LowStockLevel.create(store=shop.store, product=model, level=5)
            pack = make.product("consumable")
            make.stock(shop.store, pack, 3)
            tablet.scan(f"Q{Device.select().count() * 100}", model=model.id)
            tablet.add(pack.id, 2)
        seen = _count_queries(monkeypatch)
        response = client.get(page.format(delivery=tablet.delivery.id))
        assert response.status_code == 200
        counts.append(len(seen))
        monkeypatch.undo()
    assert counts[0] == counts[1], counts


def test_where_is_this_unit_shows_each_step_with_store_person_and_local_time(
    app: Flask, client: FlaskClient, auth: AuthActions, shop, goods
) -> None:
    # Received at 13:05 UTC: 14:05 in Stockholm (CET).
    app.config["CLOCK_NOW"] = datetime(2026, 3, 10, 13, 5, tzinfo=UTC)
    auth.sign_in("erik")
    tablet = Intake(client)
    tablet.start("DN-2026-0042")
    Intake(client).scan("HD12345")
    assert Intake(client).receive().status_code == 302

    app.config["CLOCK_NOW"] = datetime(2026, 3, 10, 13, 7, tzinfo=UTC)  # before the idle lock
    counter = Counter(client)
    counter.scan("HD12345")
    counter.age_check(adult_birth_date(shop.store))
    assert counter.complete().status_code == 204
    sale = Sale.get()
    unit = Device.get(Device.serial == "HD12345")
    owner = make.customer(name="Ann Berg", email="ann.berg@example.com")
    make.registration(shop.store, owner, unit)
    unit_life.record([unit.id], "registered", store=shop.store, staff=None, status="sold")

    found = client.get("/stock/units?serial=hd-12 345")  # a person's variant of the serial
    assert found.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.text))
    assert "HD12345 · Heat Device One" in text
    assert "Now sold at Kiosk Test City" in text
    assert (
        "Received into stock Kiosk Test City Erik 2026-03-10 14:05 CET Delivery DN-2026-0042"
        in (text)
    )
    assert f"Sold Kiosk Test City Erik 2026-03-10 14:07 CET Receipt {sale.id}" in text
    assert "Registered to a customer" in text
    assert "a***@example.com" in text
    assert "ann.berg" not in found.text and "Ann Berg" not in found.text

    auth.lock()
    auth.enter_pin(shop.manager.id, "1111")
    assert client.get("/stock/units?serial=HD12345").status_code == 200


def test_where_is_this_unit_answers_unknown_and_bad_serials_at_the_field(
    client: FlaskClient, auth: AuthActions, shop
) -> None:
    auth.sign_in("erik")
    unknown = client.get("/stock/units?serial=NOSUCH1")
    assert (
        unknown.status_code == 404 and "No unit with serial NOSUCH1 in the chain." in unknown.text
    )
    for bad in ("", "☃", "A" * 81):
        answer = client.get(f"/stock/units?serial={bad}")
        assert answer.status_code == 422 and 'class="field__error"' in answer.text, bad


def test_a_unit_in_another_store_is_found_across_the_chain(
    client: FlaskClient, auth: AuthActions, shop, goods
) -> None:
    london = make.store(name="Kiosk London Soho", timezone="Europe/London")
    unit = make.device(london, goods.one, serial="HD77777")
    unit_life.record([unit], "received", store=london, staff=None, status="in_stock")
    auth.sign_in("erik")
    found = client.get("/stock/units?serial=HD77777")
    assert "in stock at Kiosk London Soho" in found.text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d (GMT|BST)", found.text)
    assert StockLevel.select().count() == 0 and SaleLine.select().count() == 0
