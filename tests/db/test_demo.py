"""The demo chain loads on both databases and gives every screen something to show."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from werkzeug.security import check_password_hash

from kiosk import clock, policy
from kiosk.demo import DEMO_PASSWORD
from kiosk.models import AgeCheck, Device, Registration, Sale, SaleLine, Staff, Store, Swap


def test_demo_loads_two_stores_in_different_time_zones(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo", "--days", "30"])
    assert result.exit_code == 0, result.output
    stores = list(Store.select().order_by(Store.code))
    assert len(stores) == 2
    assert len({s.timezone for s in stores}) == 2
    roles = {m.role for m in Staff.select()}
    assert roles == {"staff", "manager", "admin"}
    admin = Staff.get(Staff.username == "admin")
    assert check_password_hash(admin.password_hash, DEMO_PASSWORD)


def test_demo_history_obeys_the_rules(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["demo", "--days", "30"]).exit_code == 0
    assert Sale.select().count() > 100
    assert AgeCheck.select().where(AgeCheck.result == "refused").count() > 0
    # Every device line names a sold (or later swapped or returned) unit, once.
    device_lines = SaleLine.select().where(SaleLine.device.is_null(False))
    assert device_lines.count() == len({line.device_id for line in device_lines})
    for swap in Swap.select(Swap, Registration).join(Registration):
        store = Store.get_by_id(swap.store_id)
        assert swap.local_date <= clock.today_in(store.timezone)
        decision = policy.decide_swap(
            swap.swap_case,
            swap.local_date,
            registered=True,
            purchase_date=swap.registration.purchase_date,
            registration_date=swap.registration.registration_date,
            accident_claim_used=False,
        )
        assert decision.outcome == swap.outcome
    assert Swap.select().count() > 0
    # The manager's home page (today's replacements) is not empty in the demo.
    assert Device.select().where(Device.status == "in_stock").count() > 0


def test_demo_refuses_a_database_that_has_data(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["demo", "--days", "3"]).exit_code == 0
    again = runner.invoke(args=["demo", "--days", "3"])
    assert again.exit_code != 0
    assert "already has stores" in again.output
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0
    assert Store.select().count() == 2


def test_demo_is_deterministic(runner: FlaskCliRunner) -> None:
    from kiosk.demo import load_demo

    counts = load_demo(days=5)
    assert counts == {
        "store": 2,
        "staff": 7,
        "device": counts["device"],
        "sale": Sale.select().count(),
        "swap": Swap.select().count(),
    }


def test_staff_create_from_the_command_line(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["demo", "--days", "1"]).exit_code == 0
    ok = runner.invoke(
        args=[
            "staff",
            "create",
            "--store",
            "sto1",
            "--username",
            "Nils",
            "--role",
            "manager",
            "--password",
            "long enough",
            "--pin",
            "4545",
        ]
    )
    assert ok.exit_code == 0, ok.output
    nils = Staff.get(Staff.username == "nils")
    assert nils.role == "manager" and nils.store.code == "STO1"
    taken_pin = runner.invoke(
        args=[
            "staff",
            "create",
            "--store",
            "STO1",
            "--username",
            "nora",
            "--password",
            "long enough",
            "--pin",
            "2222",
        ]
    )
    assert taken_pin.exit_code != 0 and "already has that PIN" in taken_pin.output
    letters = runner.invoke(
        args=[
            "staff",
            "create",
            "--store",
            "STO1",
            "--username",
            "nora",
            "--password",
            "long enough",
            "--pin",
            "12ab",
        ]
    )
    assert letters.exit_code != 0 and "digits" in letters.output
    assert not Staff.select().where(Staff.username == "nora").exists()
