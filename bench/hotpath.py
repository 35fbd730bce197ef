"""Where one hot path spends its time: the request run in-process under a profiler.

``KIOSK_DATABASE_URL=... python bench/hotpath.py PATH [REPEATS] [--html OUT.html] [--self]
[--plain] [--queries] [--layers [--json OUT.json]]`` with PATH one of:

- single taps, as the goals count them: ``scan-only``, ``remove``, ``age-check``,
  ``complete-only``, ``receipt``; what a tap needs first (the scan before a remove, the scan
  and age check before a completion) and after (the remove after a scan) runs outside the
  timing and the profile;
- ``scan`` (a scan and its remove) and ``complete`` (scan, age check, complete): the pairs
  the before/after tables of docs/BENCHMARKS.md were measured with;
- ``sign-in-page``, ``claim``, ``assess``, ``report``, ``csv``.

It uses Flask's test client on the bench database and opens the tablet by writing the
session and its row directly (as ``access.open_tablet`` would), so it spends none of the sign-in
rate limit. Without the network and gunicorn, what is left is the app's own work.

``--layers``: cProfile's own time over REPEATS taps, summed by the layer that spends it
(bench/layers.py: Peewee, the driver, Jinja, forms, Flask and the session, compression,
Babel, our code, other), then REPEATS taps without the profiler for the time a request;
``--json`` keeps the result for bench/summarize.py.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import logging
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

sys.path.insert(0, str(Path(__file__).parent))

import layers  # noqa: E402
import tablet  # noqa: E402

import kiosk  # noqa: E402
from kiosk import access, clock, create_app  # noqa: E402
from kiosk.extensions import db  # noqa: E402
from kiosk.models import Cart, CartLine, ClaimToken, Device, Staff, Store  # noqa: E402
from kiosk.services import sessions  # noqa: E402

# Paths that use the person's cart (cleared first: a cart a load left behind renders slower).
COUNTER_PATHS = {"scan", "scan-only", "remove", "age-check", "complete", "complete-only", "receipt"}


@dataclass
class Tap:
    """What is timed (``tap``) and what it needs, untimed, before and after it."""

    tap: Callable[[], object]
    before: Callable[[], None] = lambda: None
    after: Callable[[], None] = lambda: None


def open_tablet(client: FlaskClient, member: Staff) -> str:
    with client.application.app_context(), db.connection_context():
        key = sessions.start(staff=member)  # the live session row the cookie's key names
    with client.session_transaction() as session:
        session[access.SESSION_KEY] = key
        session[access.TABLET_STORE] = member.store_id
        session["_user_id"] = member.get_id()
        session["_fresh"] = True
        session[access.LAST_ACTIVE] = clock.now_utc().timestamp()
    return tablet.csrf_header(body(client.get("/counter/")))


def body(response: TestResponse) -> str:
    """The page as the browser reads it: the app compresses what a browser accepts."""
    data = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        data = gzip.decompress(data)
    elif encoding == "deflate":
        data = zlib.decompress(data)
    return data.decode()


def answered(response: TestResponse, what: str) -> TestResponse:
    """A profile of an error page would measure the wrong thing: stop instead."""
    if response.status_code >= 400:
        raise SystemExit(f"hotpath: {what} answered {response.status_code}")
    return response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("repeats", type=int, nargs="?", default=200)
    parser.add_argument("--html", type=Path)
    parser.add_argument(
        "--self", action="store_true", help="cProfile's own-time ranking instead of the call tree"
    )
    parser.add_argument(
        "--cumulative", action="store_true", help="with --self: rank by time including callees"
    )
    parser.add_argument(
        "--plain", action="store_true", help="no profiler: only the time per request"
    )
    parser.add_argument(
        "--queries", action="store_true", help="list the SQL statements of one request"
    )
    parser.add_argument(
        "--layers", action="store_true", help="cProfile's own time summed by layer of the stack"
    )
    parser.add_argument("--json", type=Path, help="with --layers: write the result here too")
    args = parser.parse_args()
    app = create_app()
    with app.app_context(), db.connection_context():
        store = Store.get(Store.code == "LON1")
        staff = Staff.get((Staff.store == store) & (Staff.role == "staff"))
        manager = Staff.get((Staff.store == store) & (Staff.role == "manager"))
        # After a load, tablets may have left units in their carts: those would be refused.
        in_carts = (
            CartLine.select(CartLine.device)
            .join(Cart)
            .where((Cart.status == "open") & CartLine.device.is_null(False))
        )
        serials = [
            d.serial
            for d in Device.select()
            .where(
                (Device.store == store) & (Device.status == "in_stock") & Device.id.not_in(in_carts)
            )
            .order_by(Device.id.desc())
            .limit(2 * args.repeats + 20)
        ]
        sold = [
            d.id
            for d in Device.select()
            .where(
                (Device.store == store)
                & (Device.status == "sold")
                & Device.registration.is_null(False)
            )
            .limit(200)
        ]
        day = clock.today_in(store.timezone).isoformat()
        token_count = ClaimToken.select().count()
    # Requests run outside that app context, each in its own, as under gunicorn: Flask-Login
    # and Flask-Babel cache the user and the locale in ``g`` for one app context.
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_ENCODING"] = "gzip, deflate"  # as the tablets' browsers
    member = manager if args.path in ("report", "csv") else staff
    csrf = open_tablet(client, member)
    hx = tablet.htmx_headers(csrf)
    serial_iter = iter(serials)
    devices = itertools.cycle(sold)
    state: dict[str, Any] = {}

    def next_serial() -> str:
        serial = next(serial_iter, None)
        if serial is None:
            raise SystemExit(f"hotpath: LON1 has too few in-stock units for {args.path}")
        return serial

    def post(path: str, what: str, data: dict[str, str] | None = None) -> TestResponse:
        return answered(client.post(path, data=data or {}, headers=hx), what)

    def scan(serial: str | None = None) -> TestResponse:
        state["cart"] = post("/counter/scan", "the scan", {"code": serial or serials[0]})
        return state["cart"]

    def remove_line() -> TestResponse:
        line = tablet.last_line_id(body(state["cart"]))
        if line is None:
            raise SystemExit("hotpath: the scan put no line in the cart")
        return post(f"/counter/lines/{line}/remove", "the remove")

    def age_check() -> TestResponse:
        return post("/counter/age-check", "the age check", tablet.age_check_form())

    def load_sale() -> None:
        scan(next_serial())
        age_check()

    def complete_tap() -> int | None:
        key = tablet.idempotency_key(body(state["cart"])) or ""
        done = post(
            "/counter/complete", "the completion", {"tender": "card", "idempotency_key": key}
        )
        return tablet.sale_id(done.headers.get("HX-Redirect"))

    def whole_sale() -> int | None:
        load_sale()
        return complete_tap()

    def get(path: str) -> TestResponse:
        return answered(client.get(path), path)

    paths: dict[str, Tap] = {
        "sign-in-page": Tap(lambda: get("/signin")),
        "scan": Tap(lambda: (scan(), remove_line())),
        "scan-only": Tap(scan, after=remove_line),
        "remove": Tap(remove_line, before=scan),
        "age-check": Tap(age_check),
        "complete": Tap(whole_sale),
        "complete-only": Tap(complete_tap, before=load_sale),
        "assess": Tap(
            lambda: post(
                f"/swaps/devices/{next(devices)}/assess", "the assessment", {"case": "defect"}
            )
        ),
        "report": Tap(lambda: get(f"/manager/?day={day}")),
        "csv": Tap(lambda: get(f"/manager/replacements.csv?day={day}")),
        "claim": Tap(lambda: client.get(f"/c/unknown{token_count}")),
    }
    if args.path in COUNTER_PATHS:
        post("/counter/clear", "clearing the cart")
    if args.path == "age-check":
        scan()
    if args.path == "receipt":
        sale_id = whole_sale()
        paths["receipt"] = Tap(lambda: get(f"/counter/sales/{sale_id}/receipt"))
    if args.path not in paths:
        raise SystemExit(f"hotpath: no path {args.path!r}; one of {', '.join(sorted(paths))}")
    step = paths[args.path]

    def run(times: int, during: Callable[[Callable[[], object]], object]) -> None:
        """Each tap ``times`` times, inside ``during``, with its needs outside it."""
        for _ in range(times):
            step.before()
            during(step.tap)
            step.after()

    run(5, lambda tap: tap())
    if args.queries:
        statements: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: statements.append(str(record.msg)[:160])  # type: ignore[method-assign]
        logger = logging.getLogger("peewee")
        logger.setLevel(logging.DEBUG)

        def logged(tap: Callable[[], object]) -> None:
            logger.addHandler(handler)
            try:
                tap()
            finally:
                logger.removeHandler(handler)

        run(1, logged)
        print("\n".join(statements))
        print(f"{args.path}: {len(statements)} SQL statements")
        return
    if args.self or args.layers:
        import cProfile
        import pstats

        ranking = cProfile.Profile()
        started = time.perf_counter()
        run(args.repeats, ranking.runcall)
        profiled = time.perf_counter() - started
        if args.layers:
            print_layers(args, pstats.Stats(ranking).stats, profiled, step, run)  # type: ignore[attr-defined]
            return
        order = "cumulative" if args.cumulative else "tottime"
        pstats.Stats(ranking).sort_stats(order).print_stats(60 if args.cumulative else 40)
        return
    if args.plain:
        print(f"{args.path}: {args.repeats} requests, {plain_ms(run, args.repeats):.2f} ms each")
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)

    def profiled(tap: Callable[[], object]) -> None:
        profiler.start()  # a restart adds to the same session
        tap()
        profiler.stop()

    run(args.repeats, profiled)
    if args.html:
        args.html.write_text(profiler.output_html())
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    total = profiler.last_session.duration if profiler.last_session else 0.0
    print(f"{args.path}: {args.repeats} requests, {1000 * total / args.repeats:.2f} ms each")


def plain_ms(run: Callable[..., None], repeats: int) -> float:
    """Milliseconds a tap, without a profiler; what a tap needs before and after not counted."""
    spent = 0.0

    def timed(tap: Callable[[], object]) -> None:
        nonlocal spent
        started = time.perf_counter()
        tap()
        spent += time.perf_counter() - started

    run(repeats, timed)
    return 1000 * spent / repeats


def print_layers(
    args: argparse.Namespace,
    stats: dict[Any, Any],
    profiled: float,
    step: Tap,
    run: Callable[..., None],
) -> None:
    seconds = layers.seconds_by_layer(stats, str(Path(kiosk.__file__).parent) + "/")
    result = {
        "path": args.path,
        "requests": args.repeats,
        "ms_plain": plain_ms(run, args.repeats),
        "ms_profiled": 1000 * profiled / args.repeats,
        "layers": seconds,
    }
    largest = layers.largest(seconds)
    harness = seconds.get(layers.HARNESS, 0.0) / (sum(seconds.values()) or 1.0)
    print(
        f"{args.path}: {args.repeats} taps, {result['ms_plain']:.2f} ms each without the "
        f"profiler ({result['ms_profiled']:.2f} ms under it; the test client's own "
        f"{harness:.0%} left out of the shares)"
    )
    print("\n".join(layers.table(result)))
    if largest:
        print(f"next lever ({layers.LABEL[largest]}): {layers.LEVER[largest]}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
