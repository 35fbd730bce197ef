"""The counter when the network goes: a tap that is not sent says so where it happened, keeps
what was typed, says when the connection is back, and a sale is written exactly once.

Two ways to lose the network: the browser's request aborted (Playwright's route), and the
server itself stopped and started again on the same port (a restartable werkzeug server
beside the session's live server, on the same app and database).
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest
from flask import Flask
from playwright.sync_api import Page, Request, Route, expect
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from kiosk import clock
from kiosk.models import CartLine, ClaimToken, Sale

from .conftest import Console
from .test_counter import Tablet, _years_before
from .test_counter import stock as stock  # noqa: F401  (the fixture)
from .test_shell import open_tablet

pytestmark = pytest.mark.browser

NOT_SENT = "Not sent: no connection. What you typed is kept."
BACK = "The connection is back. Tap again to send."
# What Chromium and htmx print when a request cannot get through (htmx logs a failed
# request as an error "htmx:afterRequest, <target>" too): expected here.
NETWORK_NOISE = re.compile(r"net::ERR_|htmx:(sendError|timeout|responseError|afterRequest)")


@pytest.fixture
def network_noise(page: Page, console: Console) -> Iterator[None]:
    """Let the page's console check pass over the failures these tests cause on purpose.

    Registered on the console rather than filtered afterwards: the kiosk's connection probe
    may fail once more while the page closes, after this fixture has ended."""
    console.expect(NETWORK_NOISE)
    yield


class OneConnectionPerRequest(WSGIRequestHandler):
    # HTTP/1.0: no kept-alive connection outlives a stop (its thread would go on serving it),
    # so a stopped server is gone for the browser, as a restarting one is.
    protocol_version = "HTTP/1.0"


class RestartableServer:
    """The app on a fixed port that a test can stop and start again."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: BaseWSGIServer | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.server = make_server(
            "127.0.0.1",
            self.port,
            self.app,
            threaded=True,
            request_handler=OneConnectionPerRequest,
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()  # the port refuses connections from now on
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.server = None


@pytest.fixture
def restartable(live_server: SimpleNamespace) -> Iterator[RestartableServer]:
    server = RestartableServer(live_server.app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def completions(page: Page) -> list[str]:
    """The idempotency key of every "Paid by card" the browser sent, in order."""
    keys: list[str] = []

    def seen(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/counter/complete"):
            keys.extend(parse_qs(request.post_data or "").get("idempotency_key", []))

    page.on("request", seen)
    return keys


def age_checked(page: Page, tablet: Tablet, store) -> None:  # noqa: ANN001
    tablet.type_birth_date(_years_before(clock.today_in(store.timezone), 30))
    tablet.check_age()
    expect(page.get_by_test_id("age-check-passed")).to_be_visible()


def expect_not_sent_in(page: Page, where: str) -> None:
    """The message shows at once, inside the form that was tapped."""
    form = page.locator(where)
    note = form.get_by_role("alert")
    expect(note).to_have_text(NOT_SENT, timeout=2_000)
    expect(note).to_be_in_viewport(ratio=1)


def expect_back_in(page: Page, where: str) -> None:
    expect(page.locator(where).get_by_role("status").filter(has_text=BACK)).to_be_visible()


def test_a_cut_network_during_a_scan_and_paid_by_card_keeps_the_work_and_sells_once(
    page: Page,
    shop: SimpleNamespace,
    stock: SimpleNamespace,  # noqa: F811
    network_noise: None,
    screenshot,  # noqa: ANN001
) -> None:
    keys = completions(page)
    tablet = Tablet(page)
    tablet.open_counter()

    # The Wi-Fi goes: nothing reaches the server.
    page.route("**/*", lambda route: route.abort("internetdisconnected"))
    tablet.scan("HD10000")
    expect_not_sent_in(page, "[data-scan-form]")
    expect(tablet.scan_field).to_have_value("HD10000")  # what the scanner typed is kept
    expect(tablet.cart_line("Serial HD10000")).to_have_count(0)
    screenshot(page, "network-scan-not-sent")
    assert not CartLine.select().exists()

    page.unroute("**/*")
    expect_back_in(page, "[data-scan-form]")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(tablet.cart_line("Serial HD10000")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_text(BACK)).to_have_count(0)
    assert CartLine.select().count() == 1

    age_checked(page, tablet, shop.store)
    card = page.get_by_role("button", name="Paid by card")
    page.route("**/*", lambda route: route.abort("internetdisconnected"))
    card.click()
    expect_not_sent_in(page, ".paybar")
    expect(card).to_be_enabled()  # ready for the second tap
    expect(page).to_have_url(re.compile(r"/counter/$"))
    screenshot(page, "network-paid-by-card-not-sent")
    assert not Sale.select().exists()

    page.unroute("**/*")
    expect_back_in(page, ".paybar")
    card.click()
    expect(page).to_have_url(re.compile(r"/counter/sales/\d+/receipt$"))
    assert Sale.select().count() == 1
    assert len(keys) == 2 and keys[0] == keys[1]  # the retry is the same sale


def test_an_answer_lost_after_the_sale_was_written_is_retried_without_a_second_sale(
    page: Page,
    shop: SimpleNamespace,
    stock: SimpleNamespace,  # noqa: F811
    network_noise: None,
) -> None:
    keys = completions(page)
    tablet = Tablet(page)
    tablet.open_counter()
    tablet.scan("HD10000")
    expect(tablet.cart_line("Serial HD10000")).to_be_visible()
    age_checked(page, tablet, shop.store)

    def lose_the_answer(route: Route) -> None:
        route.fetch()  # the server writes the sale ...
        route.abort("connectionreset")  # ... and the answer never reaches the tablet

    page.route("**/counter/complete", lose_the_answer)
    card = page.get_by_role("button", name="Paid by card")
    card.click()
    expect_not_sent_in(page, ".paybar")
    [sale] = Sale.select()

    page.unroute("**/counter/complete")
    expect_back_in(page, ".paybar")
    card.click()  # staff cannot know it went through: they tap again
    expect(page).to_have_url(re.compile(rf"/counter/sales/{sale.id}/receipt$"))
    assert Sale.select().count() == 1
    assert len(keys) == 2 and keys[0] == keys[1]
    # The claim QR was never in the lost answer: the receipt derives it again.
    expect(page.get_by_test_id("claim-qr")).to_be_visible()
    assert ClaimToken.select().where(ClaimToken.sale == sale).count() == 1


def test_the_server_stopped_and_started_again_during_a_scan_and_paid_by_card(
    page: Page,
    shop: SimpleNamespace,
    stock: SimpleNamespace,  # noqa: F811
    restartable: RestartableServer,
    network_noise: None,
) -> None:
    keys = completions(page)
    tablet = Tablet(page)
    open_tablet(page, "erik", f"{restartable.url}/signin")
    page.goto(f"{restartable.url}/counter/")
    expect(tablet.scan_field).to_be_focused()

    restartable.stop()
    tablet.scan("HD10000")
    expect_not_sent_in(page, "[data-scan-form]")
    expect(tablet.scan_field).to_have_value("HD10000")
    assert not CartLine.select().exists()

    restartable.start()
    expect_back_in(page, "[data-scan-form]")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(tablet.cart_line("Serial HD10000")).to_be_visible()
    age_checked(page, tablet, shop.store)

    card = page.get_by_role("button", name="Paid by card")
    restartable.stop()
    card.click()
    expect_not_sent_in(page, ".paybar")
    assert not Sale.select().exists()

    restartable.start()
    expect_back_in(page, ".paybar")
    card.click()
    expect(page).to_have_url(
        re.compile(rf"^{re.escape(restartable.url)}/counter/sales/\d+/receipt$")
    )
    assert Sale.select().count() == 1
    assert len(keys) == 2 and keys[0] == keys[1]
