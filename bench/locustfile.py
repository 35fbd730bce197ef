"""Store Kiosk under load: tablets at the counter, one hot path at a time.

Run by ``bench/run.sh`` (``make bench``) as
``locust -f bench/locustfile.py --headless -u 16 -r 16 -t ... --host http://127.0.0.1:PORT``.

Every simulated tablet signs in once with a staff member's username and password (the
app allows 20 password attempts per client per 5 minutes, and every tablet here is the
same client, 127.0.0.1) and keeps its session. Then all tablets move through the phases
together, on one clock: each phase hammers one hot path with no think time for
BENCH_PHASE_SECONDS, and only requests that start after the first BENCH_SETTLE_SECONDS
of a phase count. Requests named "setup: ..." prepare a phase and are not reported.

The paced phase is the exception: each tablet taps once a second, starting at its own
moment within the first second (tablets in a store do not tap in step), and a store
manager (one more user, signed in by password) asks for the daily report once a second
beside them. It lasts BENCH_PACED_SECONDS (three normal phases by default): at one tap a
second, a p99 needs many more seconds than a flood does.

The raw samples (name, start, milliseconds, ok) go to BENCH_SAMPLES as JSON;
``bench/summarize.py`` turns them into requests/s and percentiles per phase.
"""

from __future__ import annotations

import bisect
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
PACED = "counter at a tap a second"
# Every step of a paced sale counted at least twice per tablet, however short the phases.
TAPS_PER_SALE = 6
PACED_SECONDS = max(
    float(os.environ.get("BENCH_PACED_SECONDS", 3 * PHASE_SECONDS)),
    SETTLE_SECONDS + 2 * TAPS_PER_SALE,
)

# Phase name -> the request names it measures (the first is the hot path itself).
PHASES: dict[str, tuple[str, ...]] = {
    "ceiling": ("ceiling",),
    "sign-in page": ("sign-in page",),
    "scan": ("scan", "scan: remove line"),
    "age check": ("age check",),
    "complete": ("complete", "complete: scan", "complete: age check"),
    # A sale with one change of mind, each tablet tapping once a second: a busy counter,
    # not a flood; and the manager reading the daily report in the back office meanwhile.
    PACED: (
        "paced: scan",
        "paced: remove line",
        "paced: age check",
        "paced: complete",
        "paced: receipt",
        "paced: manager report",
    ),
    "receipt": ("receipt",),
    "claim": ("claim",),
    "swap assess": ("swap assess",),
    "manager report": ("manager report",),
    "manager CSV": ("manager CSV",),
}
ORDER = list(PHASES)
# The managers' phase starts with 16 PIN switches (scrypt, slow on purpose): let them pass,
# and keep at least half a phase to measure after them, however short the phases.
SETTLE = {"manager report": max(SETTLE_SECONDS, 5.0)}
LENGTH = {name: PHASE_SECONDS for name in ORDER} | {
    PACED: PACED_SECONDS,
    "manager report": max(PHASE_SECONDS, SETTLE["manager report"] + PHASE_SECONDS / 2),
}
# Each phase's start, in seconds from the first phase's; the last entry is the end.
STARTS = list(itertools.accumulate((LENGTH[name] for name in ORDER), initial=0.0))

clock: dict[str, float] = {}
samples: list[tuple[str, float, float, bool, int]] = []
claim_tokens: list[str] = []
claim_codes_seen: set[str] = set()
problems: dict[str, int] = {}
next_tablet = itertools.count()
claim_turn = itertools.count()


def current_phase() -> str | None:
    """The phase all tablets are in now; None before the first and after the last."""
    if "start" not in clock:
        return None
    elapsed = time.time() - clock["start"]
    index = bisect.bisect_right(STARTS, elapsed) - 1 if elapsed >= 0 else -1
    return ORDER[index] if 0 <= index < len(ORDER) else None


def finished() -> bool:
    return "start" in clock and time.time() >= clock["start"] + STARTS[-1]


def quit_once(user: FastHttpUser) -> None:
    """The last phase is over: the first user to notice stops the run (Locust complains when
    every user asks it to stop the others)."""
    if not clock.get("quitting"):
        clock["quitting"] = 1.0
        user.environment.runner.quit()


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
            "start": start + STARTS[i],
            "measure_from": start + STARTS[i] + SETTLE.get(name, SETTLE_SECONDS),
            "end": start + STARTS[i + 1],
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


class SignedIn(FastHttpUser):
    """A person signed in once by password, keeping the session; the requests they send."""

    abstract = True

    def sign_in(self, username: str) -> None:
        page = self.client.get("/signin", name="setup: sign-in page")
        self.client.post(
            "/signin",
            data={
                "csrf_token": tablet.csrf_field(page.text),
                "username": username,
                "password": FIXTURES["password"],
            },
            name="setup: sign in",
        )

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

    # -- the paced phase: one tap a second, each user on its own beat -------------------

    def begin_pacing(self, seat: int) -> None:
        """Wait for this user's first tap: its own moment in the phase's first second (the
        same in every run), so that 16 tablets do not all tap at the same instant."""
        index = ORDER.index(PACED)
        self.paced_end = clock["start"] + STARTS[index + 1]
        self.due = clock["start"] + STARTS[index] + random.Random(seat).random()
        gevent.sleep(max(0.0, self.due - time.time()))

    def tap(self) -> bool:
        """Wait for the next tap, a second after the last one was due (at once if that one
        came late); False when the phase ends first."""
        self.due = max(self.due + 1.0, time.time())
        if self.due >= self.paced_end:
            gevent.sleep(max(0.0, self.paced_end - time.time()))
            return False
        gevent.sleep(max(0.0, self.due - time.time()))
        return True


class Manager(SignedIn):
    """The store manager in the back office while the counter is busy (the paced phase):
    the daily report once a second. Idle in every other phase."""

    fixed_count = 1  # beside the tablets: locust -u is the tablets plus one

    def on_start(self) -> None:
        self.days = itertools.cycle(FIXTURES["report"]["days"])
        self.pacing = False
        self.sign_in(FIXTURES["report"]["username"])

    @task
    def work(self) -> None:
        if current_phase() != PACED:
            if finished():
                quit_once(self)
            self.pacing = False
            gevent.sleep(0.05)
            return
        if not self.pacing:
            self.pacing = True
            self.begin_pacing(-1)
        self.get(f"/manager/?day={next(self.days)}", "paced: manager report")
        self.tap()


class Tablet(SignedIn):
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
        self.sign_in(self.me["username"])
        self.refresh_csrf()

    # -- the tablet's own requests -------------------------------------------------------

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
                quit_once(self)
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

    def start_paced(self) -> None:
        self.clear_cart()
        self.begin_pacing(self.me["seat"])

    def paced_sale(self) -> None:
        """A customer changes their mind about one unit, then buys another: scan, remove,
        scan, check the age, complete, show the receipt; one tap a second. A sale the
        phase's end cuts short stops there, so the next phase starts on time."""
        if not self.sale_serials:
            gevent.sleep(0.5)
            return
        added = self.hx_post("/counter/scan", "paced: scan", {"code": next(self.scan_serials)})
        line = tablet.last_line_id(added.text or "")
        if not self.tap():
            return
        if line is None:
            self.clear_cart()
        else:
            self.hx_post(f"/counter/lines/{line}/remove", "paced: remove line")
            if not self.tap():
                return
        cart = self.hx_post("/counter/scan", "paced: scan", {"code": self.sale_serials.pop()})
        key = tablet.idempotency_key(cart.text or "")
        if not self.tap():
            return
        self.hx_post("/counter/age-check", "paced: age check", tablet.age_check_form())
        if not self.tap():
            return
        done = self.hx_post(
            "/counter/complete",
            "paced: complete",
            {"tender": "card", "idempotency_key": key or ""},
            expect=204,
        )
        sale = tablet.sale_id(done.headers.get("HX-Redirect") if done.headers else None)
        if not self.tap():
            return
        if sale is not None:
            self.sales.append(sale)
            self.get(
                f"/counter/sales/{sale}/receipt",
                "paced: receipt",
                must_contain='data-testid="claim-qr"',
            )
            self.tap()

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
    PACED: Tablet.start_paced,
    "manager report": Tablet.switch_to_manager,
}
ACTION: dict[str, Callable[[Tablet], None]] = {
    "ceiling": lambda t: t.phone_get(CEILING_URL + "/", "ceiling"),
    "sign-in page": lambda t: t.phone_get("/signin", "sign-in page"),
    "scan": Tablet.scan,
    "age check": Tablet.age_check,
    "complete": Tablet.complete,
    PACED: Tablet.paced_sale,
    "receipt": Tablet.receipt,
    "claim": Tablet.claim,
    "swap assess": Tablet.assess,
    "manager report": Tablet.report,
    "manager CSV": Tablet.report_csv,
}
