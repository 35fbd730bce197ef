"""A chain goes live from nothing, on SQLite and on PostgreSQL, as its admin would do it.

An empty database; `flask --app kiosk db upgrade` and `flask --app kiosk init` on the command
line; then, in Chromium against a real gunicorn: a second market and a store in it, a catalog
file with a bad row (shown in the preview, fixed, imported), a delivery of 20 scanned serials
(a duplicate and a wrong format refused on their lines), and one age-checked sale in each
store, whose receipt names the store's currency, VAT rate and the seller's VAT number.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kiosk.config import PROJECT_ROOT
from kiosk.db import open_database
from kiosk.models import MODELS, Delivery, Device, Product, Sale, SaleLine, Store
from tests.conftest import _pg_admin

from .conftest import LANDSCAPE
from .test_counter import Tablet
from .test_shell import type_pin

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "go live with care"
STAFF_PASSWORD = "olivia's own password"
CATALOG_HEADER = (
    "sku;kind;name;name_sv;age_restricted;serial_pattern;price_SE;vat_SE;price_GB;vat_GB\n"
)
CATALOG_ROWS = (
    "DEV-ONE;device;Heat Device One;Värmeenhet One;yes;HS\\d{1,4}ON\\d{7};499;25;39;20\n"
    "CON-AMBER;consumable;Tobacco sticks Amber;Tobaksstift Amber;yes;;65;25;5.50;twenty\n"
)


@contextmanager
def _served(env: dict[str, str], log: Path) -> Iterator[str]:
    """The kiosk under gunicorn, as `make run` serves it, on a port this process chose."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=PROJECT_ROOT,
            env={**env, "KIOSK_BIND": f"fd://{listener.fileno()}", "KIOSK_WORKERS": "2"},
            pass_fds=(listener.fileno(),),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    listener.close()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
            with suppress(OSError), urllib.request.urlopen(f"{url}/signin", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    break
            time.sleep(0.2)
        yield url
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "kiosk", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"flask {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with nothing in it, not even a table."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'chain.sqlite3'}"
        return
    name = f"kiosk_golive_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        _pg_admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')


@contextmanager
def _models(url: str) -> Iterator[None]:
    """The kiosk's models bound to the chain's database, to check what the screens wrote."""
    database = open_database(url.replace("postgresql://", "postgresql+nopool://"))
    with database.bind_ctx(MODELS), database.connection_context():
        yield


def _tablet(chromium: Browser, url: str) -> Page:
    context = chromium.new_context(base_url=url, viewport=LANDSCAPE)
    context.set_default_timeout(10_000)
    return context.new_page()


def _sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("banner")).to_be_visible()


def _receive(page: Page, reference: str, scans: list[str]) -> None:
    page.get_by_role("banner").get_by_role("link", name="Stock", exact=True).click()
    page.get_by_label("Delivery reference (from the supplier's delivery note)").fill(reference)
    page.get_by_role("button", name="Start receiving").click()
    field = page.get_by_label("Scan or type a serial or SKU")
    expect(field).to_be_focused()
    page.wait_for_load_state("load")
    for code in scans:  # as a scanner types them: no pause between serials
        page.keyboard.type(code + "\n", delay=0)
    lines = page.get_by_role("list", name="Scanned, newest first").get_by_role("listitem")
    expect(lines).to_have_count(len(scans))


def _sell_one(page: Page, serial: str, birth: date) -> None:
    page.get_by_role("banner").get_by_role("link", name="Sell", exact=True).click()
    tablet = Tablet(page)
    tablet.scan(serial)
    expect(tablet.cart_line(f"Serial {serial}")).to_be_visible()
    tablet.type_birth_date(birth)
    tablet.check_age()
    expect(page.get_by_test_id("age-check-passed")).to_be_visible()
    page.get_by_role("button", name="Paid by card").click()
    expect(page).to_have_url(re.compile(r"/counter/sales/\d+/receipt$"))


def test_a_chain_goes_live_from_an_empty_database(
    empty_database: str, tmp_path: Path, chromium: Browser
) -> None:
    env = {
        **os.environ,
        "KIOSK_DATABASE_URL": empty_database,
        "KIOSK_INSTANCE_PATH": str(tmp_path / "instance"),
        "KIOSK_SECRET_KEY": "go-live-" + uuid.uuid4().hex,
    }
    _flask(env, "db", "upgrade")
    ready = _flask(
        env,
        "init",
        "--market", "SE", "--market-name", "Sweden", "--currency", "SEK",
        "--vat-rates", "25, 12, 6, 0",
        "--store", "STO1", "--store-name", "Kiosk Stockholm", "--timezone", "Europe/Stockholm",
        "--language", "en", "--username", "anna", "--name", "Anna Admin",
        "--password", ADMIN_PASSWORD, "--pin", "2580",
    )  # fmt: skip
    assert "Ready: market SE (SEK), store STO1" in ready

    with _served(env, tmp_path / "gunicorn.log") as url:
        admin = _tablet(chromium, url)
        admin.set_viewport_size({"width": 1366, "height": 768})
        _sign_in(admin, "anna", ADMIN_PASSWORD)

        # The first store's receipt must name its seller.
        admin.get_by_role("banner").get_by_role("link", name="Back office", exact=True).click()
        admin.get_by_role("link", name="Stores").click()
        admin.get_by_role("link", name=re.compile("STO1")).first.click()
        admin.get_by_label("Address on receipts").fill("Drottninggatan 1\n111 51 Stockholm")
        admin.get_by_label("Organisation number").fill("556677-8899")
        admin.get_by_label("VAT number").fill("SE556677889901")
        admin.get_by_role("button", name=re.compile("^Save")).click()
        expect(admin.get_by_role("status")).to_be_visible()

        # A second market, and a store in it with its first member of staff.
        admin.get_by_role("link", name="Markets").click()
        admin.get_by_label("Country code (ISO 3166, e.g. SE)").fill("GB")
        admin.get_by_label("Name").fill("United Kingdom")
        admin.get_by_label("Currency (ISO 4217, e.g. SEK)").fill("GBP")
        admin.get_by_label("VAT rates in per cent, the standard rate first").fill("20, 5, 0")
        admin.get_by_role("button", name="Create market").click()
        expect(admin.get_by_role("status")).to_be_visible()
        admin.get_by_role("link", name="Stores").click()
        admin.get_by_role("link", name="New store").click()
        admin.get_by_label("Store code").fill("LON1")
        admin.get_by_label("Store name").fill("Kiosk London Soho")
        admin.get_by_label("Market").select_option(label="United Kingdom (GB, GBP)")
        admin.get_by_label("Time zone").fill("Europe/London")
        admin.get_by_label("Language").select_option(label="English")
        admin.get_by_label("Address on receipts").fill("1 Old Compton Street\nLondon W1D 5JA")
        admin.get_by_label("VAT number").fill("GB123456789")
        admin.get_by_role("button", name="Create store").click()
        expect(admin.get_by_role("status")).to_contain_text("Store LON1 created")
        people = admin.get_by_role("region", name="People of Kiosk London Soho")
        people.get_by_label("Name", exact=True).fill("Olivia Stone")
        people.get_by_label("Username").fill("olivia")
        people.get_by_label("Role").select_option(label="Staff")
        people.get_by_label("Password").fill(STAFF_PASSWORD)
        people.get_by_label("PIN").fill("2222")
        people.get_by_role("button", name="Add person").click()
        expect(admin.get_by_role("status")).to_contain_text("Olivia Stone can now sign in")

        # The catalog from a file: one bad row shown in the preview, fixed, imported.
        catalog = tmp_path / "catalog.csv"
        catalog.write_text(CATALOG_HEADER + CATALOG_ROWS, encoding="utf-8")
        admin.get_by_role("link", name="Catalog").first.click()
        admin.get_by_role("link", name="Import CSV").click()
        admin.get_by_label("Catalog file (CSV)").set_input_files(catalog)
        admin.get_by_role("button", name="Preview").click()
        errors = admin.get_by_role("table", name="Rows with errors")
        expect(errors).to_contain_text("vat_GB")
        expect(errors.get_by_role("row").nth(1)).to_contain_text("3")  # the file's line 3
        expect(admin.get_by_text("Nothing was written.")).to_be_visible()
        catalog.write_text(CATALOG_HEADER + CATALOG_ROWS.replace("twenty", "20"), encoding="utf-8")
        admin.get_by_label("Catalog file (CSV)").set_input_files(catalog)
        admin.get_by_role("button", name="Preview").click()
        expect(admin.get_by_test_id("preview-counts")).to_have_text(
            "2 new, 0 changed, 0 unchanged, 0 with errors."
        )
        admin.get_by_role("button", name="Import 2 new and 0 changed products").click()
        expect(admin.get_by_role("status")).to_contain_text("Imported catalog.csv: 2 new")

        # A delivery of 20 scans into Stockholm: a duplicate and a wrong format refused.
        admin.set_viewport_size(LANDSCAPE)
        good = [f"HS1ON{n:07d}" for n in range(18)]
        _receive(admin, "DN-STO-0001", [*good[:9], good[4], *good[9:], "HS1XX0000001"])
        refused = (
            admin.get_by_role("list", name="Scanned, newest first")
            .get_by_role("listitem")
            .filter(has_text="Refused:")
        )
        expect(refused).to_have_count(2)
        expect(refused.filter(has_text=f"{good[4]} was scanned twice")).to_have_count(1)
        expect(refused.filter(has_text="HS1XX0000001 is in a format no model has")).to_have_count(1)
        admin.get_by_role("button", name="Receive into stock").click()
        expect(admin.get_by_test_id("note-device-count")).to_have_text("18")

        # One age-checked sale in Stockholm, by the admin at the counter.
        adult = date(1990, 5, 17)
        _sell_one(admin, good[0], adult)
        receipt = admin.get_by_role("main")
        expect(receipt).to_contain_text("SE556677889901")
        expect(receipt).to_contain_text("25%")
        expect(admin.get_by_test_id("receipt-total")).to_contain_text("SEK")
        expect(admin.get_by_test_id("receipt-total")).to_contain_text("499.00")

        # London: its own delivery and its own sale, in pounds at British VAT.
        london = _tablet(chromium, url)
        _sign_in(london, "olivia", STAFF_PASSWORD)
        _receive(london, "DN-LON-0001", ["HS2ON0000001", "HS2ON0000002"])
        london.get_by_role("button", name="Receive into stock").click()
        expect(london.get_by_test_id("note-device-count")).to_have_text("2")
        _sell_one(london, "HS2ON0000001", adult)
        receipt = london.get_by_role("main")
        expect(receipt).to_contain_text("GB123456789")
        expect(receipt).to_contain_text("20%")
        expect(london.get_by_test_id("receipt-total")).to_have_text("£39.00")

        # The PIN still opens the admin's own tablet after all that (the shift goes on).
        admin.get_by_role("banner").get_by_role("button", name="Lock").click()
        admin.get_by_role("link", name="Anna Admin", exact=True).click()
        type_pin(admin, "2580")
        expect(admin.get_by_role("banner")).to_contain_text("Anna Admin")

    # Every step the screens took left the books whole: the operator's own check says so.
    assert "0 broken." in _flask(env, "check")
    with _models(empty_database):
        stores = {s.code: s for s in Store.select()}
        assert set(stores) == {"STO1", "LON1"}
        assert stores["LON1"].market.currency == "GBP"
        assert {p.sku for p in Product.select()} == {"DEV-ONE", "CON-AMBER"}
        lines = {
            line.sale.store.code: (line.unit_price, line.vat_rate)
            for line in SaleLine.select().join(Sale)
        }
        assert lines == {"STO1": (49900, 2500), "LON1": (3900, 2000)}
        assert Delivery.select().where(Delivery.status == "received").count() == 2
        sold = {d.serial for d in Device.select().where(Device.status == "sold")}
        assert sold == {good[0], "HS2ON0000001"}
        assert Device.select().where(Device.status == "in_stock").count() == 17 + 1
