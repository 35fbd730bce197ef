"""The world a crash test runs in: the demo chain, a real gunicorn, and tablets selling.

Each database is its own: a SQLite file (WAL) in the test's folder, or a throwaway
PostgreSQL database created and dropped here. Gunicorn runs as in production
(``gunicorn -c gunicorn.conf.py wsgi:app``), on a socket this process opened, so no
two servers can ever race for a port. A ``Tablet`` speaks HTTP to it as the kiosk's
browser does (the CSRF token from ``<body hx-headers>``, ``HX-Request``, the cart
fragment's idempotency key, the sale id from ``HX-Redirect``), like bench/tablet.py.
"""

from __future__ import annotations

import http.client
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg2
import pytest
from gunicorn.config import KNOWN_SETTINGS

from kiosk.config import PROJECT_ROOT
from kiosk.db import open_database
from kiosk.demo import DEMO_PASSWORD
from kiosk.models import MODELS, StockLevel

# How long the tablets sell on each database; `make soak` raises it.
CRASH_SECONDS = float(os.environ.get("KIOSK_CRASH_SECONDS", "20"))
# Restart the whole PostgreSQL cluster once mid-load: only `make soak` asks for it, as
# it would break every other test using the cluster at the time.
RESTART_POSTGRES = os.environ.get("KIOSK_CRASH_RESTART_POSTGRES", "") == "1"
WORKERS = 3
STORES = 3
# Units of each of the 4 device models per store. Two tablets share a store's 4 x SHELF
# units: none runs dry below 20 sales a second each (2 idle cores managed 48 in all with
# pooled SQLite connections, and a 5-minute soak at 4 x CRASH_SECONDS ran out).
SHELF = max(150, math.ceil(CRASH_SECONDS * 10))
PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def pg_admin(sql: str, *, timeout: float = 0) -> None:
    """One statement as the cluster's admin; retried up to ``timeout`` seconds while it is down."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = psycopg2.connect(**PG_ADMIN, connect_timeout=5)
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
            continue
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
            return
        finally:
            conn.close()


@dataclass
class CrashDatabase:
    kind: str  # sqlite | postgres
    url: str
    name: str  # the file, or the PostgreSQL database's name

    @contextmanager
    def models(self) -> Iterator[None]:
        """The kiosk's models bound to this database, with a connection of its own."""
        # No pool: one plain connection, closed on the way out.
        url = self.url.replace("postgresql://", "postgresql+nopool://")
        database = open_database(url)
        with database.bind_ctx(MODELS), database.connection_context():
            yield


def _environment(database_url: str, instance: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KIOSK_DATABASE_URL": database_url,
        "KIOSK_INSTANCE_PATH": str(instance),
        "KIOSK_SECRET_KEY": "crash-test-" + uuid.uuid4().hex,
    }


def _flask(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "kiosk", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}")


@pytest.fixture(params=["sqlite", "postgres"])
def crash_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CrashDatabase]:
    """The demo chain (3 stores, a day of history, a full shelf) in a database of its own."""
    if request.param == "sqlite":
        path = tmp_path / "kiosk.sqlite3"
        database = CrashDatabase("sqlite", f"sqlite:///{path}", str(path))
    else:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        name = f"kiosk_crash_{worker}_{uuid.uuid4().hex[:8]}"
        pg_admin(f'CREATE DATABASE "{name}"')
        database = CrashDatabase("postgres", f"postgresql://postgres@127.0.0.1:5432/{name}", name)
    try:
        env = _environment(database.url, tmp_path / "instance")
        _flask(env, "db", "upgrade")
        _flask(env, "demo", "--stores", str(STORES), "--days", "1", "--shelf", str(SHELF))
        with database.models():
            # Plenty of every counted product, so a long soak never runs a shelf dry.
            StockLevel.update(quantity=StockLevel.quantity + 100_000).execute()
        yield database
    finally:
        if database.kind == "postgres":
            # The cluster may have just been restarted: wait for it rather than leak a database.
            pg_admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{database.name}' AND pid <> pg_backend_pid()",
                timeout=60,
            )
            pg_admin(f'DROP DATABASE IF EXISTS "{database.name}"', timeout=60)


@dataclass
class Gunicorn:
    """A gunicorn master with its workers, serving the kiosk on 127.0.0.1:``port``."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    stopped: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def workers(self) -> list[int]:
        """The master's children right now: its workers (a killed one is soon replaced)."""
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except FileNotFoundError:
            return []
        return [int(pid) for pid in children.split()]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> None:
        """Until the sign-in page answers and every worker is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log_text()[-3000:]}")
            with suppress(OSError):
                url = f"http://127.0.0.1:{self.port}/signin"
                with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310
                    if answer.status == 200 and len(self.workers()) == WORKERS:
                        return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready in {timeout} s:\n{self.log_text()[-3000:]}")

    def stop(self) -> int | None:
        """TERM, as a deployment stops it; KILL the whole group if it does not go in time."""
        if self.stopped:
            return self.process.returncode
        self.stopped = True
        with suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)  # the group this fixture started
            self.process.wait(timeout=10)
            return None


def _no_control_socket() -> list[str]:
    """Newer gunicorns open a control socket at one path per host, which two would share."""
    known = any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS)
    return ["--no-control-socket"] if known else []


@pytest.fixture
def gunicorn(crash_database: CrashDatabase, tmp_path: Path) -> Iterator[Gunicorn]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    env = {
        **_environment(crash_database.url, tmp_path / "instance"),
        "KIOSK_BIND": f"fd://{listener.fileno()}",
        "KIOSK_WORKERS": str(WORKERS),
        "KIOSK_ACCESS_LOG": str(tmp_path / "access.log"),
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
            + [*_no_control_socket(), "wsgi:app"],
            cwd=PROJECT_ROOT,
            env=env,
            pass_fds=(listener.fileno(),),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    listener.close()
    server = Gunicorn(process, port, log)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


# -- the tablets ------------------------------------------------------------------------------

GIVE_UP_SECONDS = 120.0  # a tablet that gets no answer this long reports it and stops
REQUEST_TIMEOUT = 60.0  # longer than gunicorn's worker timeout (30 s)
DROPPED = 0  # the status recorded for a connection that died without an answer

# A tablet's answer to each step; anything else is a problem (a 5xx is retried first).
EXPECTED = {
    "sign-in page": {200},
    "sign in": {302},
    "counter page": {200},
    "scan": {200, 409},  # 409: the scan was in before the connection dropped
    "scan item": {200},
    "age check": {200},
    "complete": {204},
    "clear": {200},
}

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
IDEMPOTENCY_KEY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
RECEIPT = re.compile(r"^/counter/sales/(\d+)/receipt$")
ALERT = re.compile(r'role="alert"[^>]*>([^<]*)<')
AGE_CHECK_PASSED = 'data-testid="age-check-passed"'
# An ID card of someone born 15 May 1990: of age everywhere.
AGE_CHECK_FORM = {
    "method": "document",
    "document_type": "id_card",
    "day": "15",
    "month": "05",
    "year": "1990",
}


@dataclass
class Seat:
    """Who sits at a tablet, and the units only they will sell."""

    username: str
    store_id: int
    serials: list[str]


@dataclass
class Answer:
    status: int
    text: str
    hx_redirect: str


@dataclass
class Confirmed:
    """A sale the tablet saw confirmed (its receipt), and when."""

    sale_id: int
    serial: str
    seat: Seat
    at: float


class GaveUp(Exception):
    """The tablet cannot go on: no answer for too long, or a page it cannot read."""


class Tablet(threading.Thread):
    """One counter tablet: signs in, then sells unit after unit until told to stop."""

    def __init__(
        self, number: int, seat: Seat, server: Gunicorn, items: list[str], stop: threading.Event
    ) -> None:
        super().__init__(name=f"tablet-{seat.username}", daemon=True)
        self.seat = seat
        self.server = server
        self.items = items
        self.stop = stop
        self.rng = random.Random(number)
        # Each tablet its own address: the sign-in limit counts per client.
        self.source = (f"127.0.0.{10 + number}", 0)
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.answers: list[tuple[float, str, int]] = []
        self.confirmed: list[Confirmed] = []
        self.problems: list[str] = []
        self.answered = 0  # requests that got an answer other than a 5xx

    def run(self) -> None:
        try:
            self.sign_in()
            while not self.stop.is_set():
                if not self.seat.serials:
                    self.problems.append(f"{self.seat.username} ran out of in-stock serials")
                    return
                item = self.rng.choice(self.items) if self.rng.random() < 0.5 else None
                self.sell(self.seat.serials.pop(), item)
        except GaveUp as err:
            self.problems.append(f"{self.seat.username} gave up: {err}")
        except Exception as err:  # noqa: BLE001 - a crash of the client is a failure too
            self.problems.append(f"{self.seat.username} crashed: {err!r}")

    # -- what staff do -----------------------------------------------------------------

    def sign_in(self) -> None:
        page = self.tap("sign-in page", "GET", "/signin", htmx=False)
        form = {"username": self.seat.username, "password": DEMO_PASSWORD}
        form["csrf_token"] = _find(CSRF_FIELD, page.text)
        signed = self.tap("sign in", "POST", "/signin", form, htmx=False)
        counter = self.tap("counter page", "GET", "/counter/", htmx=False)
        if signed.status != 302 or counter.status != 200:
            raise GaveUp(f"sign-in answered {signed.status}, the counter {counter.status}")
        self.csrf = _find(CSRF_HEADER, counter.text)

    def sell(self, serial: str, item: str | None) -> None:
        cart = self.tap("scan", "POST", "/counter/scan", {"code": serial})
        if cart.status not in EXPECTED["scan"] or not _in_cart(cart.text, serial):
            return self.start_over(f"scan {serial}", cart)
        if item is not None:
            cart = self.tap("scan item", "POST", "/counter/scan", {"code": item})
            if cart.status not in EXPECTED["scan item"]:
                return self.start_over(f"scan {item}", cart)
        key = _find(IDEMPOTENCY_KEY, cart.text)
        if AGE_CHECK_PASSED not in cart.text:
            cart = self.tap("age check", "POST", "/counter/age-check", AGE_CHECK_FORM)
            if cart.status not in EXPECTED["age check"] or AGE_CHECK_PASSED not in cart.text:
                return self.start_over(f"age check for {serial}", cart)
        form = {"tender": "card", "idempotency_key": key}
        done = self.tap("complete", "POST", "/counter/complete", form)
        receipt = RECEIPT.match(done.hx_redirect)
        if done.status not in EXPECTED["complete"] or receipt is None:
            return self.start_over(f"complete {serial}", done)
        self.confirmed.append(Confirmed(int(receipt.group(1)), serial, self.seat, time.monotonic()))
        return None

    def start_over(self, what: str, answer: Answer) -> None:
        """Note what went wrong and clear the cart, as staff would, to sell the next unit."""
        said = " ".join(ALERT.findall(answer.text)) or answer.hx_redirect
        self.problems.append(f"{self.seat.username}: {what}: HTTP {answer.status} {said!r}")
        self.tap("clear", "POST", "/counter/clear", {})

    # -- the wire --------------------------------------------------------------------------

    def tap(
        self, step: str, method: str, path: str, form: dict[str, str] | None = None, *, htmx=True
    ) -> Answer:
        """Send until the server answers: staff tap again after a drop or an error page.

        Every 5xx is retried, so one error does not derail the run; the test then fails
        on each 5xx other than a 503 while the database is down.
        """
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while True:
            answer = self.send(method, path, form, htmx=htmx)
            now = time.monotonic()
            self.answers.append((now, step, answer.status if answer else DROPPED))
            if answer is not None and answer.status < 500:
                self.answered += 1
                return answer
            if now > deadline:
                raise GaveUp(f"{step}: no answer in {GIVE_UP_SECONDS:.0f} s")
            if self.server.process.poll() is not None:
                raise GaveUp(f"{step}: the gunicorn master is gone")
            time.sleep(0.05 if answer is None else 0.25)

    def send(
        self, method: str, path: str, form: dict[str, str] | None, *, htmx: bool
    ) -> Answer | None:
        """One request on a new connection (sync workers close each); None if it dropped."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if htmx:
            headers |= {"X-CSRFToken": self.csrf, "HX-Request": "true"}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.server.port, timeout=REQUEST_TIMEOUT, source_address=self.source
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Answer(response.status, text, response.getheader("HX-Redirect") or "")


def _find(pattern: re.Pattern[str], text: str) -> str:
    found = pattern.search(text)
    if found is None:
        raise GaveUp(f"no {pattern.pattern!r} in the page")
    return found.group(1)


def _in_cart(fragment: str, serial: str) -> bool:
    return re.search(rf'cart-line__serial">[^<]*\b{re.escape(serial)}</span>', fragment) is not None
