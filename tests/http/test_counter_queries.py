"""Each counter tap reads and writes a fixed, small number of statements, however full the
cart is: on PostgreSQL every statement is a round trip (docs/BENCHMARKS.md)."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.models import CartLine
from tests import factories as make
from tests.conftest import AuthActions
from tests.http.test_counter import Counter
from tests.http.test_manager import _count_queries

# The person with their store; the cart; what the code names; the unit as sold here; the
# cart touched and the line written; the priced lines with the latest age check.
SCAN = 7
# The person; the cart; the cart touched; the line deleted; the priced lines.
REMOVE = 5
# The person; the cart; the priced lines; the check and its audit event written.
AGE_CHECK = 5


@pytest.fixture
def tablet(client: FlaskClient, auth: AuthActions, shop) -> Counter:  # noqa: ANN001
    auth.sign_in("erik")
    return Counter(client)


def test_scan_remove_and_age_check_run_the_same_few_statements_for_1_and_20_lines(
    app: Flask, tablet: Counter, shop, monkeypatch
) -> None:
    model = make.product("device", name="Heat Device One", price=49900)
    units = [make.device(shop.store, model, serial=f"HD2000{i:02d}") for i in range(25)]
    seen_by_size = {}
    measured, fillers = iter(units[:2]), iter(units[2:])
    for size in (1, 20):
        while CartLine.select().count() < size - 1:
            assert tablet.scan(next(fillers).serial).status_code == 200
        seen = _count_queries(monkeypatch)
        unit = next(measured)
        scanned = tablet.scan(unit.serial)
        scan_count = len(seen)
        assert scanned.status_code == 200
        assert f"Serial {unit.serial}" in scanned.text
        seen.clear()
        checked = tablet.age_check(date(1990, 5, 17))
        check_count = len(seen)
        assert "Age check passed" in checked.text
        line = CartLine.select().order_by(CartLine.id.desc()).first()
        seen.clear()
        removed = tablet.post(f"/counter/lines/{line.id}/remove")
        remove_count = len(seen)
        assert removed.status_code == 200
        assert not CartLine.select().where(CartLine.id == line.id).exists()
        seen_by_size[size] = (scan_count, check_count, remove_count)
    assert seen_by_size[1] == seen_by_size[20] == (SCAN, AGE_CHECK, REMOVE)
