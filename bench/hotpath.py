"""Where one hot path spends its time: the request run in-process under pyinstrument.

``KIOSK_DATABASE_URL=... python bench/hotpath.py PATH [REPEATS] [--html OUT.html] [--self]``
with PATH one of: sign-in-page, scan, age-check, complete, receipt, claim, assess, report,
csv.

It uses Flask's test client on the bench database and opens the tablet by writing the
session and its row directly (as ``access.open_tablet`` would), so it spends none of the sign-in
rate limit. Without the network and gunicorn, what is left is the app's own work.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from pyinstrument import Profiler

sys.path.insert(0, str(Path(__file__).parent))

import tablet  # noqa: E402

from kiosk import access, clock, create_app  # noqa: E402
from kiosk.extensions import db  # noqa: E402
from kiosk.models import ClaimToken, Device, Staff, Store  # noqa: E402
from kiosk.services import sessions  # noqa: E402


def open_tablet(client: FlaskClient, member: Staff) -> str:
    with client.application.app_context(), db.connection_context():
        key = sessions.start(staff=member)  # the live session row the cookie's key names
    with client.session_transaction() as session:
        session[access.SESSION_KEY] = key
        session[access.TABLET_STORE] = member.store_id
        session["_user_id"] = member.get_id()
        session["_fresh"] = True
        session[access.LAST_ACTIVE] = clock.now_utc().timestamp()
    return tablet.csrf_header(client.get("/counter/").get_data(as_text=True))


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
    args = parser.parse_args()
    app = create_app()
    with app.app_context(), db.connection_context():
        store = Store.get(Store.code == "LON1")
        staff = Staff.get((Staff.store == store) & (Staff.role == "staff"))
        manager = Staff.get((Staff.store == store) & (Staff.role == "manager"))
        serials = [
            d.serial
            for d in Device.select()
            .where((Device.store == store) & (Device.status == "in_stock"))
            .order_by(Device.id.desc())
            .limit(args.repeats + 20)
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
    member = manager if args.path in ("report", "csv") else staff
    csrf = open_tablet(client, member)
    hx = tablet.htmx_headers(csrf)
    serial_iter = iter(serials)
    devices = itertools.cycle(sold)

    def scan() -> None:
        added = client.post("/counter/scan", data={"code": serials[0]}, headers=hx)
        line = tablet.last_line_id(added.get_data(as_text=True))
        client.post(f"/counter/lines/{line}/remove", headers=hx)

    def complete() -> int | None:
        cart = client.post("/counter/scan", data={"code": next(serial_iter)}, headers=hx)
        key = tablet.idempotency_key(cart.get_data(as_text=True)) or ""
        client.post("/counter/age-check", data=tablet.age_check_form(), headers=hx)
        done = client.post(
            "/counter/complete", data={"tender": "card", "idempotency_key": key}, headers=hx
        )
        return tablet.sale_id(done.headers.get("HX-Redirect"))

    paths: dict[str, Callable[[], object]] = {
        "sign-in-page": lambda: client.get("/signin"),
        "scan": scan,
        "age-check": lambda: client.post(
            "/counter/age-check", data=tablet.age_check_form(), headers=hx
        ),
        "complete": complete,
        "assess": lambda: client.post(
            f"/swaps/devices/{next(devices)}/assess", data={"case": "defect"}, headers=hx
        ),
        "report": lambda: client.get(f"/manager/?day={day}"),
        "csv": lambda: client.get(f"/manager/replacements.csv?day={day}"),
        "claim": lambda: client.get(f"/c/unknown{token_count}"),
    }
    if args.path == "age-check":
        client.post("/counter/clear", headers=hx)
        client.post("/counter/scan", data={"code": serials[0]}, headers=hx)
    if args.path == "receipt":
        sale_id = complete()
        paths["receipt"] = lambda: client.get(f"/counter/sales/{sale_id}/receipt")
    action = paths[args.path]
    for _ in range(5):
        action()
    if args.queries:
        statements: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: statements.append(str(record.msg)[:160])  # type: ignore[method-assign]
        logger = logging.getLogger("peewee")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        action()
        logger.removeHandler(handler)
        print("\n".join(statements))
        print(f"{args.path}: {len(statements)} SQL statements")
        return
    if args.self:
        import cProfile
        import pstats

        ranking = cProfile.Profile()
        ranking.runcall(lambda: [action() for _ in range(args.repeats)])
        order = "cumulative" if args.cumulative else "tottime"
        pstats.Stats(ranking).sort_stats(order).print_stats(60 if args.cumulative else 40)
        return
    if args.plain:
        started = time.perf_counter()
        for _ in range(args.repeats):
            action()
        spent = time.perf_counter() - started
        print(f"{args.path}: {args.repeats} requests, {1000 * spent / args.repeats:.2f} ms each")
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.repeats):
        action()
    profiler.stop()
    if args.html:
        args.html.write_text(profiler.output_html())
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    total = profiler.last_session.duration if profiler.last_session else 0.0
    print(f"{args.path}: {args.repeats} requests, {1000 * total / args.repeats:.2f} ms each")


if __name__ == "__main__":
    main()
