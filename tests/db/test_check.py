"""`flask --app kiosk check`: SQLite's own checks and the product's invariants, each one
found broken when a test plants the break with raw SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from kiosk import clock
from kiosk.db import is_postgres
from kiosk.extensions import db
from kiosk.models import Sale
from kiosk.services import claiming, registrations, swaps
from kiosk.services.integrity import INVARIANTS, run_checks
from tests import factories as make
from tests.conftest import MIGRATIONS
from tests.db.scratch import app_on, corrupt_an_index, sell, sqlite_url, store_database


@pytest.fixture
def world(app: Flask, shop) -> SimpleNamespace:  # noqa: ANN001
    """A day at the counter: sales, a warranty swap, a money-back return, a unit on the shelf."""
    store, erik = shop.store, shop.erik
    model = make.product("device")
    pack = make.product("consumable", price=6500)
    make.stock(store, pack, quantity=20)
    units = [make.device(store, model) for _ in range(6)]
    with app.test_request_context():
        swapped = sell(store, erik, serial=units[0].serial, pack=pack)
        [chain] = claiming.link_sale(swapped, make.customer(), erik)
        swap = swaps.replace(
            store,
            erik,
            units[0].id,
            case="defect",
            replacement_serial=units[1].serial,
            fault_code="NO_HEAT",
            note="",
        )
        anonymous = sell(store, shop.sara, serial=units[2].serial)
        refunded = sell(store, erik, serial=units[3].serial)
        [refunded_chain] = claiming.link_sale(refunded, make.customer(), erik)
        swaps.money_back(store, erik, units[3].id, unit_state="opened")
        # Back sealed, on the shelf again, and sold to someone else.
        once = sell(store, erik, serial=units[5].serial)
        claiming.link_sale(once, make.customer(), erik)
        swaps.money_back(store, erik, units[5].id, unit_state="sealed")
        sell(store, shop.sara, serial=units[5].serial)
        # Bought in another shop: registered at the desk, no sale of ours behind it.
        registrations.register_device(
            store,
            erik,
            serial="ELSEWHERE1",
            email="elsewhere@example.com",
            name="Bought Elsewhere",
            birth=date(1990, 5, 5),
            marketing_consent=False,
            purchase_date=clock.today_in(store.timezone) - timedelta(days=3),
            product_id=model.id,
        )
    return SimpleNamespace(
        shop=shop,
        units=[u.id for u in units],
        chain=chain.id,
        refunded_chain=refunded_chain.id,
        swap=swap.id,
        swapped=swapped.id,
        anonymous=anonymous.id,
        anonymous_check=Sale.get_by_id(anonymous.id).age_check_id,
    )


def _check(runner: FlaskCliRunner):  # noqa: ANN202
    return runner.invoke(args=["check"])


def test_check_passes_on_a_store_that_sold_swapped_and_refunded(runner, world) -> None:  # noqa: ANN001
    result = _check(runner)

    assert result.exit_code == 0, result.output
    names = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("ok ")}
    assert {i.name for i in INVARIANTS} | {"migrations_applied"} <= names
    assert "BROKEN" not in result.stdout
    assert result.stdout.splitlines()[-1].endswith(" checks, 0 broken.")


def test_check_passes_on_the_demo_chain(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["demo", "--days", "20"]).exit_code == 0

    result = _check(runner)

    assert result.exit_code == 0, result.output


@dataclass(frozen=True)
class Break:
    """A raw-SQL break of one invariant; ``lift`` first takes down a constraint in its way."""

    sql: Callable[[SimpleNamespace], list[str]]
    offender: Callable[[SimpleNamespace], int]  # the id the check must name first
    lift: dict[str, list[str]] = field(default_factory=dict)  # per dialect


def _set_status(w: SimpleNamespace, devices: str, status: str) -> list[str]:
    """A status changed by hand, its step written too: only the invariant under test breaks."""
    return [
        f"UPDATE device SET status = '{status}' WHERE id IN ({devices})",
        "INSERT INTO device_event (device_id, event, store_id, status, subject_type, reference,"
        f" created_at) SELECT id, 'counted', {w.shop.store.id}, '{status}', '', '',"
        f" '2026-03-01 10:00:00' FROM device WHERE id IN ({devices})",
    ]


def _second_accident(w: SimpleNamespace) -> list[str]:
    """The chain's warranty swap made an accident, then a second accident on the same chain."""
    old, new, spare = w.units[0], w.units[1], w.units[4]
    return [
        f"UPDATE swap SET outcome = 'accident', swap_case = 'accident' WHERE id = {w.swap}",
        f"UPDATE registration SET accident_claim_used = TRUE WHERE id = {w.chain}",
        *_set_status(w, f"{old}, {new}", "replaced_out"),
        *_set_status(w, f"{spare}", "sold"),
        f"UPDATE device SET registration_id = {w.chain} WHERE id = {spare}",
        "INSERT INTO swap (store_id, staff_id, registration_id, old_device_id, new_device_id,"
        " swap_case, outcome, fault_code, note, created_at, local_date) VALUES"
        f" ({w.shop.store.id}, {w.shop.erik.id}, {w.chain}, {new}, {spare}, 'accident',"
        " 'accident', 'CRACKED', '', '2026-03-01 10:00:00', '2026-03-01')",
    ]


BREAKS: dict[str, Break] = {
    "unit_life_matches_status": Break(
        lambda w: [f"UPDATE device SET status = 'lost' WHERE id = {w.units[4]}"],
        lambda w: w.units[4],
    ),
    "sold_unit_sold_once": Break(
        lambda w: _set_status(w, f"{w.units[4]}", "sold"),
        lambda w: w.units[4],
    ),
    "sold_unit_sold_once: a replacement also on a sale line": Break(
        lambda w: [f"UPDATE sale_line SET device_id = {w.units[1]} WHERE device_id = {w.units[2]}"],
        lambda w: w.units[1],
    ),
    "unit_status_matches_history": Break(
        lambda w: _set_status(w, f"{w.units[5]}", "returned"),
        lambda w: w.units[5],
    ),
    "sold_unit_sold_once: back in stock without coming back": Break(
        lambda w: _set_status(w, f"{w.units[2]}", "in_stock"),
        lambda w: w.units[2],
    ),
    "unit_status_matches_history: sold after its money back": Break(
        lambda w: _set_status(w, f"{w.units[3]}", "sold"),
        lambda w: w.units[3],
    ),
    "unit_status_matches_history: replaced out without a swap": Break(
        lambda w: _set_status(w, f"{w.units[2]}", "replaced_out"),
        lambda w: w.units[2],
    ),
    "unit_status_matches_history: returned after a warranty swap": Break(
        lambda w: _set_status(w, f"{w.units[0]}", "returned"),
        lambda w: w.units[0],
    ),
    "stock_never_negative": Break(
        lambda w: ["UPDATE stock_level SET quantity = -1"],
        lambda w: db.execute_sql("SELECT id FROM stock_level").fetchone()[0],
        lift={
            "sqlite": ["PRAGMA ignore_check_constraints = ON"],
            "postgres": ['ALTER TABLE "stock_level" DROP CONSTRAINT "stock_level_quantity_check"'],
        },
    ),
    "one_accident_per_chain": Break(
        _second_accident,
        lambda w: w.chain,
        lift={
            "sqlite": ['DROP INDEX "swap_one_accident_per_chain"'],
            "postgres": ['DROP INDEX "swap_one_accident_per_chain"'],
        },
    ),
    "one_live_unit_per_chain": Break(
        lambda w: [f"UPDATE device SET registration_id = {w.chain} WHERE id = {w.units[2]}"],
        lambda w: w.chain,
    ),
    "chain_flags_match_swaps": Break(
        lambda w: [f"UPDATE registration SET accident_claim_used = TRUE WHERE id = {w.chain}"],
        lambda w: w.chain,
    ),
    "chain_flags_match_swaps: refunded but not ended": Break(
        lambda w: [f"UPDATE registration SET ended_at = NULL WHERE id = {w.refunded_chain}"],
        lambda w: w.refunded_chain,
    ),
    "sale_totals_match_lines": Break(
        lambda w: [f"UPDATE sale SET total = total + 100 WHERE id = {w.swapped}"],
        lambda w: w.swapped,
    ),
    "sale_totals_match_lines: VAT off by one": Break(
        lambda w: [
            "UPDATE sale_line SET vat_amount = vat_amount + 1 WHERE id = "
            f"(SELECT MIN(id) FROM sale_line WHERE sale_id = {w.anonymous})"
        ],
        lambda w: w.anonymous,
    ),
    "sale_with_devices_has_claim_token": Break(
        lambda w: [f"DELETE FROM claim_token WHERE sale_id = {w.anonymous}"],
        lambda w: w.anonymous,
    ),
    "sale_age_check_passed": Break(
        lambda w: [
            "UPDATE age_check SET result = 'refused', refusal_reason = 'under_age' "
            f"WHERE id = {w.anonymous_check}"
        ],
        lambda w: w.anonymous,
    ),
}


def test_every_invariant_has_a_planted_break() -> None:
    # A branch adding an invariant adds the raw SQL that breaks it here too.
    assert {key.split(":")[0] for key in BREAKS} == {i.name for i in INVARIANTS}


@contextmanager
def rolled_back() -> Iterator[None]:
    """Plant inside a transaction that is rolled back, lifted constraints included.

    Both databases roll DDL back, so a dropped index or check never outlives the test.
    """
    try:
        with db.atomic() as txn:
            yield
            txn.rollback()
    finally:
        if not is_postgres():
            db.execute_sql("PRAGMA ignore_check_constraints = OFF")


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_check_finds_each_broken_invariant(app: Flask, world, name: str) -> None:  # noqa: ANN001
    planted = BREAKS[name]
    with rolled_back():
        for statement in planted.lift.get("postgres" if is_postgres() else "sqlite", []):
            db.execute_sql(statement)
        for statement in planted.sql(world):
            db.execute_sql(statement)

        report = run_checks(db.obj, MIGRATIONS)

        assert [f.name for f in report.broken] == [name.split(":")[0]]
        [finding] = report.broken
        assert finding.rows[0][0] == planted.offender(world), finding

    assert run_checks(db.obj, MIGRATIONS).ok, "the break was rolled back"


def test_check_command_names_the_break_and_exits_non_zero(app: Flask, world, runner) -> None:  # noqa: ANN001
    spare = world.units[4]
    for statement in _set_status(world, f"{spare}", "sold"):
        db.execute_sql(statement)

    result = _check(runner)

    assert result.exit_code == 1
    assert "BROKEN  sold_unit_sold_once: " in result.stdout
    assert f"device_id={spare}, " in result.stdout
    assert "sale_lines=0, replacements=0" in result.stdout
    assert result.stdout.splitlines()[-1].endswith(" checks, 1 broken.")


def test_check_finds_a_migration_not_applied(app: Flask) -> None:
    with rolled_back():
        db.execute_sql("DELETE FROM schema_migration WHERE name = '0002_age_check_latest'")

        report = run_checks(db.obj, MIGRATIONS)

        assert [(f.name, f.rows) for f in report.broken] == [
            ("migrations_applied", [("0002_age_check_latest",)])
        ]


def test_check_finds_a_reference_to_nothing_on_sqlite(sqlite_app: Flask) -> None:
    with rolled_back():
        # SQLite enforces foreign keys per connection: an old tool, or a connection opened
        # without the pragma, can leave a reference to nothing.
        db.execute_sql("PRAGMA defer_foreign_keys = ON")
        db.execute_sql(
            "INSERT INTO audit_event (created_at, action, store_id, subject_type, details) "
            "VALUES ('2026-03-10 03:15:00', 'sale.completed', 424242, '', '{}')"
        )

        report = run_checks(db.obj, MIGRATIONS)

        [finding] = report.broken
        assert finding.name == "foreign_keys"
        assert finding.rows[0][0] == "audit_event" and finding.rows[0][2] == "store"


def test_check_command_finds_a_damaged_sqlite_file(tmp_path: Path) -> None:
    damaged = tmp_path / "kiosk.sqlite3"
    store_database(damaged)
    corrupt_an_index(damaged)

    with app_on(sqlite_url(damaged)) as app:
        result = app.test_cli_runner().invoke(args=["check"])

    assert result.exit_code == 1
    assert "BROKEN  integrity: " in result.stdout and "store_code" in result.stdout
