"""One client, no load: page weight and single-request latency.

``python bench/measure.py BASE_URL FIXTURES.json OUT.json [--pages] [--ceiling URL]
[--baseline URL FIXTURES.json]``

``--pages`` measures what each screen's first load costs on the wire (its HTML plus every
stylesheet, script and icon it references, nothing cached) and what each HTMX fragment
costs, decoded and on the wire (the app compresses with Flask-Compress: gzip for pages and
fragments, deflate for static files, as a browser over plain http accepts). The probes
time requests one at a time, so they show service time without queueing, each tap on its
own; with ``--ceiling``, every probe is followed by a request to the ceiling app, so the
two are timed on the same machine in the same minutes (the goals divide one by the other).
``--baseline`` names the same app on the 30-day set: the two reports are timed in turn.
The manager of the fixtures' store signs in once per app, by password.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import tablet

PROBE_REPEATS = int(os.environ.get("BENCH_PROBE_REPEATS", "60"))
REPORT_REPEATS = int(os.environ.get("BENCH_REPORT_REPEATS", "120"))
WARMUP = 5
CLAIM_SALES = 5  # the claim page is visited for this many of the sales the probes made


class Client:
    def __init__(self, base: str, password: str) -> None:
        self.base = base.rstrip("/")
        self.password = password
        self.http = requests.Session()
        self.csrf = ""

    def url(self, path: str) -> str:
        return self.base + path

    def sign_in(self, username: str) -> None:
        page = self.http.get(self.url("/signin"))
        landed = self.http.post(
            self.url("/signin"),
            data={
                "csrf_token": tablet.csrf_field(page.text),
                "username": username,
                "password": self.password,
            },
        )
        if landed.url.endswith("/signin"):
            raise SystemExit(f"measure: could not sign in as {username} ({landed.status_code})")
        self.refresh_csrf()

    def refresh_csrf(self) -> str:
        page = self.get("/counter/")
        self.csrf = tablet.csrf_header(page.text)
        return page.text

    def get(self, path: str, *, htmx: bool = False) -> requests.Response:
        headers = tablet.htmx_headers(self.csrf) if htmx else {}
        response = self.http.get(self.url(path), headers=headers)
        response.raise_for_status()
        return response

    def hx_post(self, path: str, data: dict[str, str] | None = None) -> requests.Response:
        response = self.http.post(
            self.url(path), data=data or {}, headers=tablet.htmx_headers(self.csrf)
        )
        if response.status_code >= 500:
            response.raise_for_status()
        return response


def weight(response: requests.Response) -> dict[str, int]:
    """Decoded bytes, and bytes on the wire (requests asks for gzip and deflate)."""
    body = response.content  # reads the whole body, so the raw stream's count is final
    return {"bytes": len(body), "wire": response.raw.tell()}


def first_load(http: requests.Session, base: str, page: requests.Response) -> dict[str, Any]:
    """The page and everything it references, as a browser with an empty cache loads it."""
    parts = {"html": weight(page)}
    for asset in tablet.assets(page.text):
        parts[asset] = weight(http.get(base + asset))
    return {
        "parts": parts,
        "bytes": sum(p["bytes"] for p in parts.values()),
        "wire": sum(p["wire"] for p in parts.values()),
    }


def pages(client: Client, m: dict[str, Any]) -> dict[str, Any]:
    screens: dict[str, Any] = {}
    fragments: dict[str, Any] = {}
    phone = requests.Session()

    def screen(name: str, path: str, *, fresh: bool = False) -> str:
        http = phone if fresh else client.http
        if fresh:
            phone.cookies.clear()
        response = http.get(client.url(path))
        response.raise_for_status()
        screens[name] = {"path": path, **first_load(http, client.base, response)}
        return response.text

    screen("sign-in", "/signin", fresh=True)
    screen("home (manager)", "/")
    screen("counter, empty cart (kiosk first load)", "/counter/")
    client.hx_post("/counter/clear")
    added = client.hx_post("/counter/scan", {"code": m["serial"]})
    fragments["cart after a scan (POST /counter/scan)"] = weight(added)
    line = tablet.last_line_id(added.text)
    removed = client.hx_post(f"/counter/lines/{line}/remove")
    fragments["cart after removing a line"] = weight(removed)
    client.hx_post("/counter/scan", {"code": m["serial"]})
    checked = client.hx_post("/counter/age-check", tablet.age_check_form())
    fragments["cart after the age check (POST /counter/age-check)"] = weight(checked)
    products = client.get("/counter/products?q=&kind=", htmx=True)
    fragments["product tiles (GET /counter/products)"] = weight(products)
    serials = client.get(f"/counter/devices/{m['device_product_id']}", htmx=True)
    fragments["serials of a model (GET /counter/devices/<id>)"] = weight(serials)
    text = screen("counter, one device in the cart", "/counter/")
    key = tablet.idempotency_key(text) or ""
    done = client.hx_post("/counter/complete", {"tender": "card", "idempotency_key": key})
    sale = tablet.sale_id(done.headers.get("HX-Redirect"))
    receipt = screen("receipt with claim QR", f"/counter/sales/{sale}/receipt")
    screen("claim QR shown to the customer", f"/counter/sales/{sale}/claim")
    token = tablet.claim_code(receipt) or ""
    screen("claim page on the phone (GET /c/<token>)", f"/c/{token}", fresh=True)
    screen("swap desk", "/swaps/")
    screen("device file", f"/swaps/devices/{m['device_id']}")
    decision = client.hx_post(f"/swaps/devices/{m['device_id']}/assess", {"case": "defect"})
    fragments["swap decision (POST /swaps/devices/<id>/assess)"] = weight(decision)
    screen("manager: replacements of a day", f"/manager/?day={m['day']}")
    screen("manager: sales of a day", f"/manager/sales?day={m['day']}")
    csv = client.get(f"/manager/replacements.csv?day={m['day']}")
    fragments["replacements CSV of a day (download)"] = weight(csv)
    return {"screens": screens, "fragments": fragments}


class Stopwatch:
    """Times requests one at a time; with a ceiling, each timed request is followed by one
    to the ceiling, so both see the same machine (the goals divide one by the other)."""

    def __init__(self, ceiling: str | None) -> None:
        self.times: dict[str, list[float]] = {}
        self.ceiling = ceiling
        self.http = requests.Session()

    def time(self, name: str, action: Callable[[], Any], *, keep: bool = True) -> Any:
        started = time.perf_counter()
        result = action()
        if keep:
            self.times.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        if self.ceiling:
            started = time.perf_counter()
            self.http.get(self.ceiling).raise_for_status()
            if keep:
                self.times.setdefault("ceiling", []).append((time.perf_counter() - started) * 1000)
        return result

    def repeat(self, name: str, action: Callable[[], Any], repeats: int) -> None:
        for turn in range(WARMUP + repeats):
            self.time(name, action, keep=turn >= WARMUP)


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    if not ordered:
        return {"n": 0}  # the summary says "not measured"

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p95": pct(95),
        "p99": pct(99),
        "mean": statistics.fmean(ordered),
    }


def reports(clients: list[Client], days: list[str]) -> list[dict[str, list[float]]]:
    """The manager's report and its CSV on each client's data set, taking turns request by
    request, so that whatever else the machine does hits every data set alike."""
    out: list[dict[str, list[float]]] = [{"manager report": [], "manager CSV": []} for _ in clients]
    paths = {
        "manager report": "/manager/?day={}",
        "manager CSV": "/manager/replacements.csv?day={}",
    }
    for name, path in paths.items():
        for turn in range(WARMUP + REPORT_REPEATS):
            day = days[turn % len(days)]
            for client, times in zip(clients, out, strict=True):
                started = time.perf_counter()
                client.get(path.format(day))
                if turn >= WARMUP:
                    times[name].append((time.perf_counter() - started) * 1000)
    return out


def probes(client: Client, m: dict[str, Any], ceiling: str | None) -> dict[str, list[float]]:
    """Each hot path timed one request at a time: service time, without queueing. Each tap
    on its own: what a tap needs first (the scan before a remove, the scan and the age
    check before a completion) is sent but not timed."""
    watch = Stopwatch(ceiling)
    phone = requests.Session()

    def sign_in_page() -> None:
        phone.cookies.clear()
        phone.get(client.url("/signin")).raise_for_status()

    watch.repeat("sign-in page", sign_in_page, PROBE_REPEATS)
    client.hx_post("/counter/clear")
    for turn in range(WARMUP + PROBE_REPEATS):
        keep = turn >= WARMUP
        added = watch.time(
            "scan", lambda: client.hx_post("/counter/scan", {"code": m["probe_serial"]}), keep=keep
        )
        line = tablet.last_line_id(added.text)
        watch.time(
            "remove line",
            lambda line=line: client.hx_post(f"/counter/lines/{line}/remove"),
            keep=keep,
        )
    client.hx_post("/counter/scan", {"code": m["probe_serial"]})
    watch.repeat(
        "age check",
        lambda: client.hx_post("/counter/age-check", tablet.age_check_form()),
        PROBE_REPEATS,
    )
    client.hx_post("/counter/clear")
    sold: list[int] = []
    for serial in m["claim_serials"][:PROBE_REPEATS]:
        cart = client.hx_post("/counter/scan", {"code": serial})
        client.hx_post("/counter/age-check", tablet.age_check_form())
        key = tablet.idempotency_key(cart.text) or ""
        done = watch.time(
            "complete",
            lambda key=key: client.hx_post(
                "/counter/complete", {"tender": "card", "idempotency_key": key}
            ),
        )
        sold.append(tablet.sale_id(done.headers.get("HX-Redirect")) or 0)
    watch.repeat("receipt", lambda: client.get(f"/counter/sales/{sold[-1]}/receipt"), PROBE_REPEATS)
    receipts = [client.get(f"/counter/sales/{sale}/receipt").text for sale in sold if sale]
    tokens = [code for code in map(tablet.claim_code, receipts) if code][:CLAIM_SALES]
    # Each code may be tried 10 times per 10 minutes: 9 visits per fresh sale.
    visits = iter([token for token in tokens for _ in range(9)])
    visited = [tablet.phone_get(client.base, f"/c/{token}") for token in visits]
    claims = [ms for status, _length, ms in visited if status == 200]
    if len(claims) < len(visited):
        print(f"measure: {len(visited) - len(claims)} claim visits were not 200")
    watch.repeat(
        "swap assess",
        lambda: client.hx_post(f"/swaps/devices/{m['device_id']}/assess", {"case": "defect"}),
        PROBE_REPEATS,
    )
    return watch.times | {"claim": claims}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("fixtures", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", action="store_true")
    parser.add_argument("--ceiling", help="the ceiling app's URL, timed one request at a time")
    parser.add_argument(
        "--baseline",
        nargs=2,
        metavar=("URL", "FIXTURES"),
        help="the same app on the 30-day set: its report is timed in turn with this one's",
    )
    args = parser.parse_args()
    fixtures = json.loads(args.fixtures.read_text())
    m = fixtures["measure"]
    client = Client(args.base, fixtures["password"])
    client.sign_in(m["username"])
    result: dict[str, Any] = {"store": m["store"], "rows": fixtures["rows"]}
    if args.pages:
        result["pages"] = pages(client, m)
    clients = [client]
    if args.baseline:
        base_fixtures = json.loads(Path(args.baseline[1]).read_text())
        clients.append(Client(args.baseline[0], base_fixtures["password"]))
        clients[1].sign_in(base_fixtures["measure"]["username"])
        result["baseline_rows"] = base_fixtures["rows"]
    timings = reports(clients, m["days"])
    result["probes"] = {
        name: summary(times)
        for name, times in (timings[0] | probes(client, m, args.ceiling)).items()
    }
    if args.baseline:
        result["baseline_probes"] = {name: summary(times) for name, times in timings[1].items()}
    args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
