"""The manager's reports in a browser, on the demo chain: today's replacements, the CSV, scope.

The demo is loaded into the live server's database with the server's clock frozen, so
"today" and the demo's swaps on it are the same on every run. (The demo keeps swaps on
today by chance, and how the dice fall depends on the time of day it is loaded.)
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from kiosk import clock, policy
from kiosk.demo import DEMO_PASSWORD, load_demo
from kiosk.models import Device, Registration, Sale, Staff, Store, Swap
from tests.conftest import wipe_database

from .conftest import Console, ServerClock

pytestmark = pytest.mark.browser

# 15:30 in London (BST), a moment of opening hours in both demo stores.
NOW = datetime(2026, 6, 4, 14, 30, tzinfo=UTC)
UNIT_STATES = {"opened": "Opened, back to the maker", "faulty": "Faulty, back to the maker"}
OUTCOMES = {
    "warranty": "Warranty replacement",
    "accident": "Accident replacement",
    "money_back": "Money back",
}


@pytest.fixture
def demo(
    shop: SimpleNamespace, live_server: SimpleNamespace, server_clock: ServerClock
) -> SimpleNamespace:
    """The demo chain (30 days) in place of the test shop: Stockholm and London."""
    server_clock.set(NOW)
    wipe_database()
    with live_server.app.app_context():  # the demo reads "now" from the frozen clock
        load_demo(days=30)
    london = Store.get(Store.code == "LON1")
    return SimpleNamespace(
        london=london,
        stockholm=Store.get(Store.code == "STO1"),
        today=clock.today_in(london.timezone, NOW),
    )


def _swaps_on(store: Store, day: date) -> list[Swap]:
    return list(
        Swap.select()
        .where((Swap.store == store) & (Swap.local_date == day))
        .order_by(Swap.created_at, Swap.id)
    )


def _serial(device_id: int | None) -> str:
    return Device.get_by_id(device_id).serial if device_id else ""


def _owner_email(swap: Swap) -> str:
    return Registration.get_by_id(swap.registration_id).customer.email


def _local_time(swap: Swap, store: Store) -> str:
    return swap.created_at.astimezone(ZoneInfo(store.timezone)).strftime("%H:%M")


def _sign_in(page: Page, username: str) -> None:
    page.goto("/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("banner").get_by_test_id("signed-in-as")).to_contain_text(
        "Mark Manager"
    )


def _table_matches_database(page: Page, store: Store, day: date) -> int:
    """The replacements table, row for row, against the swaps of that store-local day."""
    expect(page.get_by_role("heading", name=f"Replacements on {day.isoformat()}")).to_be_visible()
    swaps = _swaps_on(store, day)
    if not swaps:
        expect(page.get_by_text("No replacements or returns in this period.")).to_be_visible()
        return 0
    table = page.get_by_role("table", name="Every swap and money-back return")
    rows = table.get_by_role("row")
    expect(rows).to_have_count(len(swaps) + 1)  # and the header row
    for i, swap in enumerate(swaps, start=1):
        cells = rows.nth(i).get_by_role("cell").all_inner_texts()
        old, new = _serial(swap.old_device_id), _serial(swap.new_device_id)
        assert cells == [
            _local_time(swap, store),
            OUTCOMES[swap.outcome]
            + (f"\n{UNIT_STATES[swap.unit_state]}" if swap.unit_state else ""),
            swap.fault_code or "",
            Device.get_by_id(swap.old_device_id).product.name,
            f"{old} → {new}" if new else old,
            Staff.get_by_id(swap.staff_id).display_name,
            policy.mask_email(_owner_email(swap)),
            str(swap.id),  # the link to its swap receipt
        ]
    return len(swaps)


def _csv_matches_database(page: Page, store: Store, day: date) -> None:
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == f"replacements-{day}-{day}.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM, for spreadsheet programs
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    swaps = _swaps_on(store, day)
    assert len(rows) == len(swaps)
    for row, swap in zip(rows, swaps, strict=True):
        refund = "" if swap.refund_amount is None else str(swap.refund_amount)
        assert (
            row["store"],
            row["date"],
            row["time"],
            row["outcome"],
            row["case"],
            row["old_serial"],
            row["new_serial"],
            row["fault_code"],
            row["refund_minor_units"],
        ) == (
            store.name,
            day.isoformat(),
            _local_time(swap, store),
            swap.outcome,
            swap.swap_case,
            _serial(swap.old_device_id),
            _serial(swap.new_device_id),
            swap.fault_code or "",
            refund,
        )
        assert row["model"] == Device.get_by_id(swap.old_device_id).product.name
        assert row["staff"] == Staff.get_by_id(swap.staff_id).display_name
        # The customer is masked in the export as on the screen.
        email = _owner_email(swap)
        assert row["customer"] == policy.mask_email(email) != email


def test_manager_reads_todays_replacements_then_yesterdays_as_csv(
    page: Page, demo: SimpleNamespace, screenshot: Callable
) -> None:
    london, today = demo.london, demo.today
    todays = _swaps_on(london, today)
    assert todays, f"the demo left no swaps on {today} in {london.code}"

    _sign_in(page, "mark")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile(r"^Reports\b")
    ).click()
    expect(page).to_have_url(re.compile(r"/manager/$"))
    assert _table_matches_database(page, london, today) == len(todays)
    by_outcome = page.get_by_role("region", name="Totals")
    expect(by_outcome).to_contain_text("Money back")
    expect(page.get_by_role("img", name="Swaps per day over the last 30 days")).to_be_visible()
    screenshot(page, "manager-demo-replacements")
    _csv_matches_database(page, london, today)

    page.get_by_role("navigation", name="Day").get_by_role(
        "link", name=re.compile("Previous day")
    ).click()
    yesterday = today - timedelta(days=1)
    expect(page).to_have_url(re.compile(rf"day={yesterday.isoformat()}"))
    _table_matches_database(page, london, yesterday)
    _csv_matches_database(page, london, yesterday)


def test_manager_pages_show_only_their_store_and_another_store_is_403(
    page: Page, demo: SimpleNamespace, console: Console, screenshot: Callable
) -> None:
    console.allow(403)
    london, today = demo.london, demo.today
    _sign_in(page, "mark")
    page.goto("/manager/")
    tabs = page.get_by_role("navigation", name="Reports")

    tabs.get_by_role("link", name="Sales and refusals").click()
    expect(page.get_by_role("heading", name=f"Sales on {today.isoformat()}")).to_be_visible()
    sales = Sale.select().where((Sale.store == london) & (Sale.local_date == today)).count()
    expect(page.get_by_test_id("sales-count")).to_have_text(str(sales))
    expect(page.get_by_test_id("sales-revenue")).to_contain_text("£")
    screenshot(page, "manager-demo-sales")

    tabs.get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", name="Staff of Kiosk London Soho")).to_be_visible()
    people = page.get_by_role("table").get_by_role("row")
    expect(people).to_have_count(1 + Staff.select().where(Staff.store == london).count())
    expect(page.get_by_role("table")).not_to_contain_text("Maja Manager")
    screenshot(page, "manager-demo-staff")

    tabs.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings of Kiosk London Soho")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value("Europe/London")
    screenshot(page, "manager-demo-settings")

    other = demo.stockholm.id
    response = page.goto(f"/manager/?store={other}")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="This page is not for your role")).to_be_visible()
    expect(page.get_by_text("Kiosk Stockholm Centrum")).to_have_count(0)
    screenshot(page, "manager-demo-other-store-403")
    csv_response = page.request.get(f"/manager/replacements.csv?store={other}")
    assert csv_response.status == 403
