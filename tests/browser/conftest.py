"""The world the browser tests run in: the real app on a real port, and Debian's Chromium.

The app is served by werkzeug in a background thread on a SQLite file (the HTTP and
database tests cover PostgreSQL). Each test gets a fresh browser context (no cookies),
a store with a manager and two staff, and an empty database afterwards. A console error
or an uncaught script error fails the test: that is where a CSP violation shows up.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, sync_playwright
from werkzeug.serving import make_server

from kiosk.config import PROJECT_ROOT
from kiosk.extensions import db
from tests import factories as make
from tests.conftest import Mailbox, make_app, wipe_database
from tests.sms import Gateway, SmsOutbox, gateway_config, gateway_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
LANDSCAPE = {"width": 1280, "height": 800}
PORTRAIT = {"width": 800, "height": 1280}
PHONE = {"width": 390, "height": 844}
# Chromium reports every 4xx/5xx document as a console error; a test names the ones it expects.
_FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


@pytest.fixture(scope="session")
def live_server(sqlite_url: str) -> Iterator[SimpleNamespace]:
    # The browser reaches the app as 127.0.0.1:<port>, not as the test client's kiosk.test.
    app = make_app(sqlite_url, SERVER_NAME=None)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(
            url=f"http://127.0.0.1:{server.server_port}", database=db.obj, app=app
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def shop(live_server: SimpleNamespace) -> Iterator[SimpleNamespace]:
    """A store with a manager (PIN 1111) and two staff (PINs 2222 and 3333)."""
    # Other test packages rebind the global proxy to their own databases; ours is the server's.
    db.initialize(live_server.database)
    wipe_database()
    store = make.store(name="Kiosk Test City")
    try:
        yield SimpleNamespace(
            store=store,
            manager=make.staff(
                store, role="manager", pin="1111", username="maja", display_name="Maja"
            ),
            erik=make.staff(store, pin="2222", username="erik", display_name="Erik"),
            sara=make.staff(store, pin="3333", username="sara", display_name="Sara"),
        )
    finally:
        if not db.is_closed():
            db.close()
        wipe_database()


@pytest.fixture
def within_app(live_server: SimpleNamespace) -> Iterator[Flask]:
    """The live server's app context in the test itself: for a service that needs the app's
    keys, as issuing a claim code does (its secret is derived from the secret key)."""
    with live_server.app.app_context():
        yield live_server.app


class ServerClock:
    """The live server's "now", moved by a test (kiosk.clock reads ``CLOCK_NOW``)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("CLOCK_NOW must be an aware datetime")
        self.app.config["CLOCK_NOW"] = now


@pytest.fixture
def server_clock(live_server: SimpleNamespace) -> Iterator[ServerClock]:
    """Freeze the server's clock for one test; the real time is back afterwards."""
    app = live_server.app
    before = app.config.get("CLOCK_NOW")
    try:
        yield ServerClock(app)
    finally:
        app.config["CLOCK_NOW"] = before


class Console:
    """Everything the page said went wrong; a test allows the HTTP statuses it provokes."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.server_errors: list[str] = []
        self.allowed_statuses: set[int] = set()
        self.expected: list[re.Pattern[str]] = []

    def allow(self, *statuses: int) -> None:
        self.allowed_statuses.update(statuses)

    def expect(self, pattern: re.Pattern[str]) -> None:
        """Messages a test provokes on purpose, whenever they arrive (even at teardown)."""
        self.expected.append(pattern)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def on_page_error(self, error: Exception) -> None:
        self.errors.append(f"uncaught: {error}")

    def on_response(self, response: Response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    def unexpected(self) -> list[str]:
        return [
            text
            for text in self.errors
            if not ((m := _FAILED_LOAD.search(text)) and int(m.group(1)) in self.allowed_statuses)
            and not any(pattern.search(text) for pattern in self.expected)
        ]


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(
    chromium: Browser, live_server: SimpleNamespace, shop: SimpleNamespace, console: Console
) -> Iterator[Page]:
    # Depends on ``shop`` so the browser is closed before the database is wiped.
    context = chromium.new_context(base_url=live_server.url, viewport=LANDSCAPE)
    context.set_default_timeout(5_000)
    page = context.new_page()
    page.on("console", console.on_console)
    page.on("pageerror", console.on_page_error)
    page.on("response", console.on_response)
    try:
        yield page
    finally:
        context.close()
    assert not console.server_errors, f"server errors: {console.server_errors}"
    assert not console.unexpected(), f"browser console errors: {console.unexpected()}"


@pytest.fixture(scope="session")
def screenshot() -> Callable[[Page, str], list[Path]]:
    """Save the screen at tablet landscape and portrait into test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page: Page, name: str) -> list[Path]:
        paths = []
        for label, size in (("1280x800", LANDSCAPE), ("800x1280", PORTRAIT)):
            page.set_viewport_size(size)
            path = ARTIFACTS / f"{name}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            paths.append(path)
        page.set_viewport_size(LANDSCAPE)
        # Hiding the caret leaves an empty style="" on every input; htmx copies it onto the
        # swapped-in twin of an element with an id, and the CSP reports that as a violation.
        page.evaluate(
            "document.querySelectorAll('[style=\"\"]').forEach(e => e.removeAttribute('style'))"
        )
        return paths

    return take


@pytest.fixture
def mailbox(live_server: SimpleNamespace) -> Iterator[Mailbox]:
    """A real SMTP server on loopback that the live server sends its mail to."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # aiosmtpd wants a port number, not 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    live_server.app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    try:
        yield box
    finally:
        live_server.app.config.update(SMTP_HOST="")
        controller.stop()


@pytest.fixture
def public_base_url(live_server: SimpleNamespace) -> Iterator[str]:
    """Links for phones (claim QR, mail) point at the live server, as they would in a store."""
    app = live_server.app
    before = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = live_server.url
    try:
        yield live_server.url
    finally:
        app.config["PUBLIC_BASE_URL"] = before


@pytest.fixture
def phone_console() -> Console:
    return Console()


@pytest.fixture
def phone(
    chromium: Browser,
    live_server: SimpleNamespace,
    shop: SimpleNamespace,
    phone_console: Console,
) -> Iterator[Page]:
    """A customer's phone: its own cookies, a small touch screen, the same console checks."""
    context = chromium.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(5_000)
    page = context.new_page()
    page.on("console", phone_console.on_console)
    page.on("pageerror", phone_console.on_page_error)
    page.on("response", phone_console.on_response)
    try:
        yield page
    finally:
        context.close()
    assert not phone_console.server_errors, f"server errors: {phone_console.server_errors}"
    assert not phone_console.unexpected(), f"phone console errors: {phone_console.unexpected()}"


@pytest.fixture(scope="session")
def phone_screenshot() -> Callable[[Page, str], Path]:
    """Save a phone page, whole length, at 390x844 into test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = ARTIFACTS / f"{name}-390x844.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sms_outbox(live_server: SimpleNamespace, tmp_path: Path) -> Iterator[SmsOutbox]:
    """The live server writes its SMS into a folder of this test's own."""
    app = live_server.app
    before = {k: app.config[k] for k in ("SMS_GATEWAY_URL", "SMS_OUTBOX_DIR")}
    folder = tmp_path / "sms-outbox"
    app.config.update(SMS_GATEWAY_URL="", SMS_OUTBOX_DIR=str(folder))
    try:
        yield SmsOutbox(folder)
    finally:
        app.config.update(before)


@pytest.fixture
def sms_gateway(live_server: SimpleNamespace) -> Iterator[Gateway]:
    """A real HTTP server on loopback as the SMS provider of the live server."""
    app = live_server.app
    keys = ("SMS_GATEWAY_URL", "SMS_GATEWAY_USER", "SMS_GATEWAY_PASSWORD", "SMS_FROM")
    before = {k: app.config[k] for k in keys}
    with gateway_server() as gateway:
        app.config.update(gateway_config(gateway.url))
        try:
            yield gateway
        finally:
            app.config.update(before)
