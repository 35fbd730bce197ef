"""One tablet receives a delivery at scanner speed: 500 serials, ten a second, then "Receive".

``python bench/intake.py BASE_URL FIXTURES.json OUT.json [--serials 500] [--rate 10]``, with
KIOSK_DATABASE_URL naming the database the app serves (the count at the end reads it).

The tablet signs in as the manager of the fixtures' store and starts a delivery. Each scan
is due at its slot (0 ms, 100 ms, 200 ms, ...); like the page's own queue (static/js/
intake.js) it leaves at its slot, or as soon as the answer before it is in when that came
late, so no scan is ever dropped or overtakes another. Two times are kept per scan: the
answer (request sent to answer read) and from the scan (slot to answer read, what the person
at the tablet waits). Then the delivery is received, and the database must hold every serial
once, in stock in the store, with its "received" step: none lost, none doubled.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests
import tablet

from kiosk.demo import CATALOG

DELIVERY = re.compile(r"/stock/deliveries/(\d+)")


def serials(count: int) -> list[str]:
    """New serials in the demo models' formats (HS, a store number no demo store has, the
    model's code, seven digits), the models taking turns as in a mixed delivery."""
    codes = [code for _sku, _name, _sv, kind, _restricted, code in CATALOG if kind == "device"]
    return [f"HS9999{codes[i % len(codes)]}{9_000_000 + i:07d}" for i in range(count)]


def run(base: str, username: str, password: str, count: int, rate: float) -> dict[str, Any]:
    http = requests.Session()
    page = http.get(base + "/signin")
    signed = http.post(
        base + "/signin",
        data={
            "csrf_token": tablet.csrf_field(page.text),
            "username": username,
            "password": password,
        },
    )
    if signed.url.endswith("/signin"):
        raise SystemExit(f"intake: could not sign in as {username}")
    hub = http.get(base + "/stock/")
    csrf = tablet.csrf_header(hub.text)
    started = http.post(
        base + "/stock/deliveries",
        data={"reference": f"BENCH-{int(time.time())}"},
        headers={"X-CSRFToken": csrf},
    )
    found = DELIVERY.search(started.url)
    if found is None:
        raise SystemExit(f"intake: no delivery was started ({started.status_code})")
    delivery = int(found.group(1))
    scan_url = f"{base}/stock/deliveries/{delivery}/scan"
    headers = tablet.htmx_headers(csrf)
    codes = serials(count)
    answers: list[float] = []
    waited: list[float] = []
    statuses: Counter[int] = Counter()
    late = 0.0
    begin = time.perf_counter()
    for i, code in enumerate(codes):
        due = begin + i / rate
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        late = max(late, time.perf_counter() - due)
        sent = time.perf_counter()
        answer = http.post(scan_url, data={"code": code, "model": ""}, headers=headers)
        done = time.perf_counter()
        statuses[answer.status_code] += 1
        answers.append((done - sent) * 1000)
        waited.append((done - due) * 1000)
    scanning = time.perf_counter() - begin
    sent = time.perf_counter()
    received = http.post(
        f"{base}/stock/deliveries/{delivery}/receive", headers={"X-CSRFToken": csrf}
    )
    receive_ms = (time.perf_counter() - sent) * 1000
    return {
        "delivery": delivery,
        "serials": codes,
        "rate": rate,
        "scanning_seconds": scanning,
        "answer_ms": answers,
        "from_scan_ms": waited,
        "latest_start_ms": late * 1000,
        "statuses": dict(statuses),
        "receive_status": received.status_code,
        "receive_ms": receive_ms,
        "note_reached": received.url.endswith(f"/deliveries/{delivery}/note"),
    }


def count_in_database(delivery: int, codes: list[str]) -> dict[str, int]:
    """What the database holds of this delivery: lines kept, units in stock, their steps."""
    from kiosk import create_app
    from kiosk.extensions import db
    from kiosk.models import Delivery, DeliveryLine, Device, DeviceEvent

    app = create_app()
    with app.app_context(), db.connection_context():
        store = Delivery.get_by_id(delivery).store_id
        units = Device.select().where(Device.serial.in_(codes))
        return {
            "lines_kept": DeliveryLine.select()
            .where((DeliveryLine.delivery == delivery) & (DeliveryLine.refusal == ""))
            .count(),
            "lines_refused": DeliveryLine.select()
            .where((DeliveryLine.delivery == delivery) & (DeliveryLine.refusal != ""))
            .count(),
            "units": units.count(),
            "units_in_stock_here": units.where(
                (Device.status == "in_stock") & (Device.store == store)
            ).count(),
            "received_steps": DeviceEvent.select()
            .where(
                (DeviceEvent.subject_type == "delivery")
                & (DeviceEvent.subject_id == delivery)
                & (DeviceEvent.event == "received")
            )
            .count(),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("fixtures", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--serials", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0, help="scans a second")
    args = parser.parse_args()
    fixtures = json.loads(args.fixtures.read_text())
    result = run(
        args.base.rstrip("/"),
        fixtures["measure"]["username"],
        fixtures["password"],
        args.serials,
        args.rate,
    )
    result["database"] = count_in_database(result["delivery"], result["serials"])
    result["lost"] = len(result["serials"]) - result["database"]["units_in_stock_here"]
    args.out.write_text(json.dumps(result, indent=1))
    print(
        f"intake: {len(result['serials'])} scans in {result['scanning_seconds']:.1f} s, "
        f"statuses {result['statuses']}, lost {result['lost']}, "
        f"receive {result['receive_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
