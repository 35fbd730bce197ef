"""The manager's reports as things to act on: each test was a problem a manager saw.

Signals that name serials and lead to the device file, a chart that shows its counts
without hovering, refunds netted in sales, sales by day with a CSV, the desk's refusals,
a receipt behind every replacement row, whose report in which time zone, and the units
waiting too long to go back to the maker.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from kiosk import clock
from kiosk.models import Device, Shipment, ShipmentUnit, Store, Swap, SwapRefusal
from tests import factories as make


@pytest.fixture
def world(shop):  # noqa: ANN201
    model = make.product("device", name="Heat Device One", price=49900)
    today = clock.today_in(shop.store.timezone)
    return model, today


def _swap(shop, model, *, outcome: str = "warranty", days_ago: int = 0, **fields) -> Swap:  # noqa: ANN001
    today = clock.today_in(shop.store.timezone)
    old = fields.pop("old", None) or make.device(
        shop.store, model, status="replaced_out", fault_code="LED"
    )
    reg = fields.pop("registration", None) or make.registration(
        shop.store, make.customer(name="Ann Berg"), old
    )
    Device.update(
        registration=reg, status="replaced_out" if outcome != "money_back" else "returned"
    ).where(Device.id == old.id).execute()
    new = None if outcome == "money_back" else make.device(shop.store, model, status="sold")
    if new is not None:
        later = clock.now_utc() + timedelta(seconds=Swap.select().count() + 1)
        Device.update(registration=reg, first_registered_at=later).where(
            Device.id == new.id
        ).execute()
    return Swap.create(
        store=shop.store,
        staff=shop.erik,
        registration=reg,
        old_device=old,
        new_device=new,
        swap_case="money_back" if outcome == "money_back" else "defect",
        outcome=outcome,
        fault_code=None if outcome == "money_back" else "LED",
        refund_amount=49900 if outcome == "money_back" else None,
        unit_state="faulty" if outcome == "money_back" else None,
        created_at=clock.now_utc() - timedelta(days=days_ago),
        local_date=today - timedelta(days=days_ago),
        **fields,
    )


def test_signals_name_the_chains_serials_model_customer_and_lead_to_the_device_file(
    client: FlaskClient, auth, shop, world
) -> None:
    """Seen: "Registration 379: 2 swaps" with no serial, model or customer, and no link."""
    model, _today = world
    first = _swap(shop, model)
    second = _swap(shop, model, registration=first.registration, old=first.new_device)
    auth.sign_in("maja")
    page = client.get("/manager/signals").text
    table = page[page.index('data-testid="repeat-chains"') :]
    for unit in (first.old_device, second.old_device, second.new_device):
        assert unit.serial in table
    owner = first.registration.customer
    assert "Heat Device One" in table and f"c***@{owner.email.split('@')[1]}" in table
    newest = second.new_device
    assert f'href="/swaps/devices/{newest.id}"' in table
    assert client.get(f"/swaps/devices/{newest.id}").status_code == 200


def test_the_chart_writes_its_counts_on_the_bars_and_comes_before_the_table(
    client: FlaskClient, auth, shop, world
) -> None:
    """Seen: counts only in hover tooltips (no hover on a touch screen), chart below the fold."""
    model, _today = world
    for _ in range(3):
        _swap(shop, model)
    auth.sign_in("maja")
    page = client.get("/manager/").text
    assert re.search(r'<text[^>]*data-count="warranty"[^>]*>3</text>', page)
    assert page.index('class="chart"') < page.index('data-testid="replacements"')


def test_sales_net_the_refunds_of_the_day(client: FlaskClient, auth, shop, world) -> None:
    """Seen: sales of a day neither showed nor netted the money given back."""
    model, today = world
    make.sold_unit(shop.store, shop.erik, model, bought=today)
    make.sold_unit(shop.store, shop.erik, model, bought=today)
    _swap(shop, model, outcome="money_back")
    auth.sign_in("maja")
    page = client.get("/manager/sales").text
    assert re.search(r'data-testid="sales-refunds">−\D*499[.,]00', page)
    assert re.search(r'data-testid="sales-net">\D*499[.,]00', page)


def test_the_same_amount_is_written_in_the_language_of_the_store_being_shown(
    client: FlaskClient, auth, shop, world
) -> None:
    """Amounts are written once and kept per language: a Swedish store never gets English."""
    model, today = world
    make.sold_unit(shop.store, shop.erik, model, bought=today)
    auth.sign_in("maja")

    def revenue() -> str:
        page = client.get("/manager/sales").text
        return re.search(r'data-testid="sales-revenue">([^<]+)<', page).group(1)

    assert revenue() == "SEK499.00"
    Store.update(language="sv").where(Store.id == shop.store.id).execute()
    assert revenue() == "499,00\xa0kr"
    Store.update(language="en").where(Store.id == shop.store.id).execute()
    assert revenue() == "SEK499.00"


def test_a_day_without_refunds_shows_none_not_minus_zero(
    client: FlaskClient, auth, shop, world
) -> None:
    """Seen at 1366x768: "0 refunds −0.00" on the sales page of an ordinary day."""
    model, today = world
    make.sold_unit(shop.store, shop.erik, model, bought=today)
    auth.sign_in("maja")
    page = client.get("/manager/sales").text
    refunds = re.search(r'data-testid="sales-refunds">([^<]*)<', page).group(1)
    assert "0" in refunds and "−" not in refunds and "-" not in refunds, refunds


def test_sales_over_a_range_have_a_row_per_day_and_a_csv(
    client: FlaskClient, auth, shop, world
) -> None:
    """Seen: sales and refusals had no per-day table and no CSV."""
    model, today = world
    make.sold_unit(shop.store, shop.erik, model, bought=today - timedelta(days=2))
    _swap(shop, model, outcome="money_back", days_ago=1)
    auth.sign_in("maja")
    start, end = (today - timedelta(days=2)).isoformat(), today.isoformat()
    page = client.get(f"/manager/sales?from={start}&to={end}").text
    table = page[page.index('data-testid="sales-days"') :]
    assert table.count("<tr>") == 4  # a header and three days, the empty one too
    download = client.get(f"/manager/sales.csv?from={start}&to={end}")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert [r["date"] for r in rows] == [(today - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert rows[0]["sales"] == "1" and rows[0]["revenue_minor_units"] == "49900"
    assert rows[1]["refunds_minor_units"] == "49900" and rows[1]["net_minor_units"] == "-49900"


def test_swaps_the_desk_refused_are_listed_for_the_manager(
    client: FlaskClient, auth, shop, world
) -> None:
    """Seen: swap-desk refusals were invisible to the manager."""
    model, today = world
    unit = make.device(shop.store, model, status="sold", serial="REFUSED0001")
    SwapRefusal.create(
        store=shop.store,
        staff=shop.sara,
        device=unit,
        swap_case="cosmetic",
        reason="Purely cosmetic damage is not covered.",
        created_at=clock.now_utc(),
        local_date=today,
    )
    auth.sign_in("maja")
    page = client.get("/manager/sales").text
    table = page[page.index('data-testid="refused-swaps"') :]
    assert "REFUSED0001" in table and "Cosmetic damage only" in table and "Sara" in table


def test_every_replacement_row_leads_to_its_swap_receipt(
    client: FlaskClient, auth, shop, world
) -> None:
    """Seen: a replacement row did not lead to its swap receipt for a reprint."""
    model, _today = world
    swap = _swap(shop, model)
    auth.sign_in("maja")
    page = client.get("/manager/").text
    assert f'href="/swaps/{swap.id}/receipt"' in page
    receipt = client.get(f"/swaps/{swap.id}/receipt")
    assert receipt.status_code == 200 and f"Swap receipt {swap.id}" in receipt.text


def test_an_admin_sees_whose_report_and_in_which_time_zone(
    client: FlaskClient, auth, shop, world
) -> None:
    """Seen: the report heading named no store and its times no time zone."""
    model, _today = world
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    london = make.store(name="Kiosk London Soho", timezone="Europe/London")
    london_swap = _swap(SimpleShop(london, shop.erik), model)
    auth.sign_in("root")
    page = client.get(f"/manager/?store={london.id}").text
    scope = page[page.index('data-testid="report-scope"') :][:200]
    assert "Kiosk London Soho" in scope and "Europe/London" in scope
    # The admin can reprint that store's receipt too, with that store's name on it.
    receipt = client.get(f"/swaps/{london_swap.id}/receipt")
    assert receipt.status_code == 200 and "Kiosk London Soho" in receipt.text
    everything = client.get("/manager/?store=all").text
    assert "All stores · times are each store" in everything


class SimpleShop:
    def __init__(self, store, erik) -> None:  # noqa: ANN001
        self.store, self.erik = store, erik


def test_the_managers_home_counts_units_waiting_over_14_days_for_the_maker(
    client: FlaskClient, auth, shop, world
) -> None:
    model, _today = world
    _swap(shop, model, days_ago=15)
    _swap(shop, model, days_ago=14)  # 14 days is not yet overdue
    auth.sign_in("maja")
    page = client.get("/manager/").text
    notice = page[page.index('data-testid="overdue-for-maker"') :][:300]
    assert "1 unit has waited more than 14 days" in notice
    assert 'href="/returns/"' in notice


def test_the_overdue_count_agrees_with_the_days_on_the_list_of_units_to_send_back(
    client: FlaskClient, auth, shop, world
) -> None:
    """The home counts from its own narrow read: the same units and days as the returns list."""
    model, _today = world
    weeks_ago = clock.now_utc() - timedelta(days=20)
    # Marked for the maker by hand 20 days ago, no swap: waits since the day it came in.
    make.device(shop.store, model, status="replaced_out", received_at=weeks_ago)
    make.device(shop.store, model, status="replaced_out")  # came in today: not overdue
    # Overdue, but already packed: it no longer waits.
    packed = _swap(shop, model, days_ago=30)
    shipment = Shipment.create(
        store=shop.store, rma_reference="RMA-1", created_by=shop.manager, created_at=weeks_ago
    )
    ShipmentUnit.create(
        shipment=shipment, device=packed.old_device, packed_by=shop.manager, packed_at=weeks_ago
    )
    # Swapped out 30 days ago, sold again, swapped out again 3 days ago: waits 3 days.
    resold = _swap(shop, model, days_ago=30)
    _swap(shop, model, days_ago=3, old=resold.old_device)
    _swap(shop, model, days_ago=16)  # overdue
    auth.sign_in("maja")
    waiting = client.get("/returns/").text
    days = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', waiting)]
    assert sorted(days) == [0, 3, 16, 20]
    notice = client.get("/manager/").text
    notice = notice[notice.index('data-testid="overdue-for-maker"') :][:300]
    assert "2 units have waited more than 14 days" in notice
