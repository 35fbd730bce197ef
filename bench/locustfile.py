"""Store Kiosk under load: tablets at the counter, one hot path at a time.

Run by ``bench/run.sh`` (``make bench``) as
``locust -f bench/locustfile.py --headless -u 16 -r 16 -t ... --host http://127.0.0.1:PORT``.

Every simulated tablet signs in once with a staff member's username and password (the
app allows 20 password attempts per client per 5 minutes, and every tablet here is the
same client, 127.0.0.1) and keeps its session. Then all tablets move through the phases
together, on one clock: each phase hammers one hot path with no think time for
BENCH_PHASE_SECONDS, and only requests that start after the first BENCH_SETTLE_SECONDS
of a phase count. Requests named "setup: ..." prepare a phase and are not reported.

The raw samples (name, start, milliseconds, ok) go to BENCH_SAMPLES as JSON;
``bench/summarize.py`` turns them into requests/s and percentiles per phase.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
import tablet
from locust import FastHttpUser, events, task
from locust.contrib.fasthttp import FastHttpSession

FIXTURES = json.loads(Path(os.environ["BENCH_FIXTURES"]).read_text())
PHASE_SECONDS = float(os.environ.get("BENCH_PHASE_SECONDS", "20"))
SETTLE_SECONDS = float(os.environ.get("BENCH_SETTLE_SECONDS", "2"))
WARMUP_SECONDS = float(os.environ.get("BENCH_WARMUP_SECONDS", "12"))
CEILING_URL = os.environ["BENCH_CEILING_URL"].rstrip("/")
SAMPLES_PATH = Path(os.environ["BENCH_SAMPLES"])

# Phase name -> the request names it measures (the first is the hot path itself).
PHASES: dict[str, tuple[str, ...]] = {
    "ceiling": ("ceiling",),
    "sign-in page": ("sign-in page",),
    "scan": ("scan", "scan: remove line"),
    "age check": ("age check",),
    "complete": ("complete", "complete: scan", "complete: age check"),
    # The same sale, but each tablet taps once a second: a busy counter, not a flood.
    "counter at a tap a second": (
        "paced: scan",
        "paced: age check",
        "paced: complete",
        "paced: receipt",
    ),
    "receipt": ("receipt",),
    "claim": ("claim",),
    "swap assess": ("swap assess",),
    "manager report": ("manager report",),
    "manager CSV": ("manager CSV",),
}
ORDER = list(PHASES)
# The managers' phase starts with 16 PIN switches (scrypt, on purpose slow): let them pass.
# The manager phase starts with 16 PIN switches; a short (quick) phase keeps half for measuring.
SETTLE = {"manager report": min(max(SETTLE_SECONDS, 5.0), PHASE_SECONDS / 2)}

clock: dict[str, float] = {}
samples: list[tuple[str, float, float, bool, int]] = []
claim_tokens: list[str] = []
claim_codes_seen: set[str] = set()
problems: dict[str, int] = {}
next_tablet = itertools.count()
claim_turn = itertools.count()


def total_seconds() -> float:
    return WARMUP_SECONDS + PHASE_SECONDS * len(ORDER)


def current_phase() -> str | None:
    """The phase all tablets are in now; None before the first and after the last."""
    if "start" not in clock:
        return None
    elapsed = time.time() - clock["start"]
    index = int(elapsed // PHASE_SECONDS) if elapsed >= 0 else -1
    return ORDER[index] if 0 <= index < len(ORDER) else None


def finished() -> bool:
    return "start" in clock and time.time() >= clock["start"] + PHASE_SECONDS * len(ORDER)


@events.test_start.add_listener
def _start(**_: Any) -> None:
    clock["start"] = time.time() + WARMUP_SECONDS


@events.request.add_listener
def _record(
    name: str,
    response_time: float,
    response_length: int,
    exception: BaseException | None,
    start_time: float | None = None,
    **_: Any,
) -> None:
    samples.append(
        (name, start_time or time.time(), response_time, exception is None, response_length)
    )
    if exception is not None:
        key = f"{name}: {str(exception)[:120]}"
        problems[key] = problems.get(key, 0) + 1


@events.quitting.add_listener
def _write(**_: Any) -> None:
    start = clock.get("start", time.time())
    phases = [
        {
            "name": name,
            "requests": list(PHASES[name]),
            "start": start + i * PHASE_SECONDS,
            "measure_from": start + i * PHASE_SECONDS + SETTLE.get(name, SETTLE_SECONDS),
            "end": start + (i + 1) * PHASE_SECONDS,
        }
        for i, name in enumerate(ORDER)
    ]
    SAMPLES_PATH.write_text(
        json.dumps(
            {
                "phases": phases,
                "tablets": len(FIXTURES["tablets"]),
                "problems": problems,
                "samples": samples,
            }
        )
    )


class Tablet(FastHttpUser):
    """One counter tablet: signed in once, then doing whatever the phase asks, flat out."""

    def on_start(self) -> None:
        tablets = FIXTURES["tablets"]
        self.me: dict[str, Any] = tablets[next(next_tablet) % len(tablets)]
        self.phone = FastHttpSession(self.host, self.environment.events.request, user=self)
        self.phase: str | None = None
        self.scan_serials = itertools.cycle(self.me["scan_serials"])
        self.sale_serials: list[str] = list(self.me["sale_serials"])
        self.devices = itertools.cycle(self.me["devices"])
        self.days = itertools.cycle(self.me["days"])
        self.sales: list[int] = []
        self.sign_in()

    # -- the tablet's own requests -------------------------------------------------------

    def sign_in(self) -> None:
        page = self.client.get("/signin", name="setup: sign-in page")
        self.client.post(
            "/signin",
            data={
                "csrf_token": tablet.csrf_field(page.text),
                "username": self.me["username"],
                "password": FIXTURES["password"],
            },
            name="setup: sign in",
        )
        self.refresh_csrf()

    def refresh_csrf(self) -> None:
        page = self.client.get("/counter/", name="setup: counter page")
        self.csrf = tablet.csrf_header(page.text)

    def hx_post(self, path: str, name: str, data: dict[str, str] | None = None, expect: int = 200):
        with self.client.post(
            path,
            data=data or {},
            headers=tablet.htmx_headers(self.csrf),
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code != expect:
                response.failure(f"HTTP {response.status_code}")
        return response

    def get(self, path: str, name: str, must_contain: str = "") -> None:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif must_contain and must_contain not in (response.text or ""):
                response.failure(f"no {must_contain!r} in the page")

    def phone_get(self, url: str, name: str) -> None:
        """A first visit with no cookies: a new tablet, or a customer's phone."""
        self.phone.cookiejar.clear()
        with self.phone.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    # -- the phases --------------------------------------------------------------------------

    @task
    def work(self) -> None:
        phase = current_phase()
        if phase is None:
            if finished():
                self.environment.runner.quit()
            gevent.sleep(0.05)
            return
        if phase != self.phase:
            self.phase = phase
            SETUP.get(phase, lambda _tablet: None)(self)
        ACTION[phase](self)

    def clear_cart(self) -> None:
        self.hx_post("/counter/clear", "setup: clear cart")

    def scan(self) -> None:
        added = self.hx_post("/counter/scan", "scan", {"code": next(self.scan_serials)})
        line = tablet.last_line_id(added.text or "")
        if line is None:
            self.clear_cart()
            return
        self.hx_post(f"/counter/lines/{line}/remove", "scan: remove line")

    def load_cart_for_age_check(self) -> None:
        self.clear_cart()
        self.hx_post("/counter/scan", "setup: scan", {"code": next(self.scan_serials)})

    def age_check(self) -> None:
        self.hx_post("/counter/age-check", "age check", tablet.age_check_form())

    def complete(self) -> None:
        if not self.sale_serials:
            problems["complete: the tablet ran out of in-stock serials"] = 1
            gevent.sleep(0.5)
            return
        cart = self.hx_post("/counter/scan", "complete: scan", {"code": self.sale_serials.pop()})
        key = tablet.idempotency_key(cart.text or "")
        self.hx_post("/counter/age-check", "complete: age check", tablet.age_check_form())
        done = self.hx_post(
            "/counter/complete",
            "complete",
            {"tender": "card", "idempotency_key": key or ""},
            expect=204,
        )
        sale = tablet.sale_id(done.headers.get("HX-Redirect") if done.headers else None)
        if sale is not None:
            self.sales.append(sale)

    def paced_sale(self) -> None:
        """Scan, check the age, complete, show the receipt: one tap a second."""
        if not self.sale_serials:
            gevent.sleep(0.5)
            return
        tick = time.monotonic()

        def tap() -> None:
            nonlocal tick
            tick += 1.0
            gevent.sleep(max(0.0, tick - time.monotonic()))

        cart = self.hx_post("/counter/scan", "paced: scan", {"code": self.sale_serials.pop()})
        key = tablet.idempotency_key(cart.text or "")
        tap()
        self.hx_post("/counter/age-check", "paced: age check", tablet.age_check_form())
        tap()
        done = self.hx_post(
            "/counter/complete",
            "paced: complete",
            {"tender": "card", "idempotency_key": key or ""},
            expect=204,
        )
        sale = tablet.sale_id(done.headers.get("HX-Redirect") if done.headers else None)
        tap()
        if sale is not None:
            self.sales.append(sale)
            self.get(
                f"/counter/sales/{sale}/receipt",
                "paced: receipt",
                must_contain='data-testid="claim-qr"',
            )
        tap()

    def receipt(self) -> None:
        """Any sale's receipt: the QR is derived again, so a reprint shows it too."""
        if not self.sales:
            gevent.sleep(0.5)
            return
        sale = random.choice(self.sales)
        path = f"/counter/sales/{sale}/receipt"
        with self.client.get(path, name="receipt", catch_response=True) as response:
            code = tablet.claim_code(response.text or "")
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif code is None:
                response.failure("no claim code on the receipt")
            elif code not in claim_codes_seen:
                # The code the receipt prints: what a customer's phone opens in the claim phase.
                claim_codes_seen.add(code)
                claim_tokens.append(code)

    def claim(self) -> None:
        """A customer opens a receipt's claim: GET /c/<code> of a sale made in this run."""
        if not claim_tokens:
            gevent.sleep(0.5)
            return
        token = claim_tokens[next(claim_turn) % len(claim_tokens)]
        started = time.time()
        error = None
        try:
            status, length, ms = tablet.phone_get(self.host, f"/c/{token}")
            if status != 200:
                error = RuntimeError(f"HTTP {status}")
        except OSError as err:
            status, length, ms, error = 0, 0, (time.time() - started) * 1000, err
        self.environment.events.request.fire(
            request_type="GET",
            name="claim",
            response_time=ms,
            response_length=length,
            response=None,
            context={},
            exception=error,
            start_time=started,
            url=f"/c/{token[:6]}...",
        )

    def assess(self) -> None:
        self.hx_post(
            f"/swaps/devices/{next(self.devices)}/assess", "swap assess", {"case": "defect"}
        )

    def switch_to_manager(self) -> None:
        """The store's manager steps up to this tablet and switches to themself by PIN."""
        self.client.post(
            f"/pin/{self.me['manager_id']}",
            data={"csrf_token": self.csrf, "pin": self.me["manager_pin"]},
            name="setup: PIN switch",
        )

    def report(self) -> None:
        self.get(f"/manager/?day={next(self.days)}", "manager report")

    def report_csv(self) -> None:
        self.get(f"/manager/replacements.csv?day={next(self.days)}", "manager CSV")


SETUP: dict[str, Callable[[Tablet], None]] = {
    "scan": Tablet.clear_cart,
    "age check": Tablet.load_cart_for_age_check,
    "complete": Tablet.clear_cart,
    "counter at a tap a second": Tablet.clear_cart,
    "manager report": Tablet.switch_to_manager,
}
ACTION: dict[str, Callable[[Tablet], None]] = {
    "ceiling": lambda t: t.phone_get(CEILING_URL + "/", "ceiling"),
    "sign-in page": lambda t: t.phone_get("/signin", "sign-in page"),
    "scan": Tablet.scan,
    "age check": Tablet.age_check,
    "complete": Tablet.complete,
    "counter at a tap a second": Tablet.paced_sale,
    "receipt": Tablet.receipt,
    "claim": Tablet.claim,
    "swap assess": Tablet.assess,
    "manager report": Tablet.report,
    "manager CSV": Tablet.report_csv,
}
