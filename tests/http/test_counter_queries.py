"""What keeps each counter tap cheap, checked as a tablet sees it: a fixed, small number of
statements however full the cart is (on PostgreSQL each is a round trip), and the age check
drawn once yet carrying each tablet's own CSRF token."""

from __future__ import annotations

from datetime import date

from flask import Flask

from kiosk.models import AgeCheck, CartLine
from tests import factories as make
from tests.conftest import AuthActions, csrf_from
from tests.http.test_counter import Counter
from tests.http.test_manager import _count_queries

# The person with their store; the cart; what the code names; the unit as sold here; the
# cart touched and the line written; the priced lines with the latest age check.
SCAN = 7
# The person; the cart; the cart touched; the line deleted; the priced lines.
REMOVE = 5
# The person; the cart; the priced lines; the check and its audit event written.
AGE_CHECK = 5


def test_scan_remove_and_age_check_run_the_same_few_statements_for_1_and_20_lines(
    app: Flask, counter: Counter, shop, monkeypatch
) -> None:
    model = make.product("device", name="Heat Device One", price=49900)
    units = [make.device(shop.store, model, serial=f"HD2000{i:02d}") for i in range(25)]
    seen_by_size = {}
    measured, fillers = iter(units[:2]), iter(units[2:])
    for size in (1, 20):
        while CartLine.select().count() < size - 1:
            assert counter.scan(next(fillers).serial).status_code == 200
        seen = _count_queries(monkeypatch)
        unit = next(measured)
        scanned = counter.scan(unit.serial)
        scan_count = len(seen)
        assert scanned.status_code == 200
        assert f"Serial {unit.serial}" in scanned.text
        seen.clear()
        checked = counter.age_check(date(1990, 5, 17))
        check_count = len(seen)
        assert "Age check passed" in checked.text
        line = CartLine.select().order_by(CartLine.id.desc()).first()
        seen.clear()
        removed = counter.post(f"/counter/lines/{line.id}/remove")
        remove_count = len(seen)
        assert removed.status_code == 200
        assert not CartLine.select().where(CartLine.id == line.id).exists()
        seen_by_size[size] = (scan_count, check_count, remove_count)
    assert seen_by_size[1] == seen_by_size[20] == (SCAN, AGE_CHECK, REMOVE)


def _age_form_token(fragment: str) -> str:
    form = fragment[fragment.index('<form class="age-check"') :]
    return csrf_from(form[: form.index("</form>")])


def test_two_tablets_each_get_the_age_check_with_their_own_token_and_it_is_accepted(
    app: Flask, shop
) -> None:
    """The untouched age check is drawn once per worker: each tablet must still get its own
    CSRF token in it, and a check sent with that form alone (no header) must be recorded."""
    model = make.product("device", name="Heat Device One", price=49900)
    units = [make.device(shop.store, model, serial=f"HD3000{i}") for i in range(2)]
    tokens = []
    for username, unit in (("erik", units[0]), ("sara", units[1])):
        client = app.test_client()
        AuthActions(client).sign_in(username)
        page_token = csrf_from(client.get("/counter/").text)
        scanned = client.post(
            "/counter/scan",
            data={"code": unit.serial},
            headers={"HX-Request": "true", "X-CSRFToken": page_token},
        )
        token = _age_form_token(scanned.text)
        tokens.append(token)
        checked = client.post(
            "/counter/age-check",
            data={
                "csrf_token": token,
                "method": "document",
                "document_type": "id_card",
                "day": "17",
                "month": "05",
                "year": "1990",
            },
            headers={"HX-Request": "true"},
        )
        assert checked.status_code == 200
        assert "Age check passed" in checked.text
    assert tokens[0] != tokens[1]
    passed = AgeCheck.select().where(AgeCheck.result == "passed")
    assert sorted(check.staff.username for check in passed) == ["erik", "sara"]
