"""`flask --app kiosk init`: an empty database made ready for a real chain, or nothing at all."""

from __future__ import annotations

from flask.testing import FlaskClient, FlaskCliRunner

from kiosk.models import AuditEvent, Market, Staff, Store
from tests import factories as make
from tests.conftest import AuthActions

ARGS = [
    "init",
    "--market",
    "se",
    "--currency",
    "sek",
    "--vat-rates",
    "25, 12, 6, 0",
    "--store",
    "sto1",
    "--store-name",
    "Kiosk Drottninggatan",
    "--timezone",
    "Europe/Stockholm",
    "--language",
    "sv",
    "--username",
    "anna",
    "--name",
    "Anna Admin",
]


def _counts() -> tuple[int, int, int]:
    return Market.select().count(), Store.select().count(), Staff.select().count()


def test_init_makes_the_first_market_store_and_admin(
    runner: FlaskCliRunner, client: FlaskClient
) -> None:
    # The market's name is asked (the country's name offered), then password and PIN twice.
    typed = "\nlong password\nlong password\n4321\n4321\n"
    result = runner.invoke(args=ARGS, input=typed)

    assert result.exit_code == 0, result.output
    assert "Market name [Sweden]:" in result.output
    assert "Ready: market SE (SEK), store STO1 Kiosk Drottninggatan, admin anna." in result.output
    market = Market.get()
    assert (market.code, market.name, market.currency, market.rates) == (
        "SE",
        "Sweden",
        "SEK",
        [2500, 1200, 600, 0],
    )
    store = Store.get()
    assert (store.code, store.market_id, store.timezone, store.language) == (
        "STO1",
        market.id,
        "Europe/Stockholm",
        "sv",
    )
    anna = Staff.get()
    assert (anna.username, anna.display_name, anna.role, anna.store_id) == (
        "anna",
        "Anna Admin",
        "admin",
        store.id,
    )
    actions = {e.action for e in AuditEvent.select()}
    assert {"market.created", "store.created", "staff.created", "chain.initialised"} <= actions
    # The admin can sign in with what they typed, and opens the back office.
    AuthActions(client).sign_in("anna", "long password")
    assert client.get("/admin/stores").status_code == 200


def test_init_uses_a_market_that_is_already_there(runner: FlaskCliRunner) -> None:
    make.market("SE", name="Sverige", currency="SEK")
    args = [a for a in ARGS if a not in ("--currency", "sek", "--vat-rates", "25, 12, 6, 0")]

    result = runner.invoke(args=args, input="long password\nlong password\n4321\n4321\n")

    assert result.exit_code == 0, result.output
    assert Market.select().count() == 1 and Store.get().market.name == "Sverige"


def test_init_refuses_a_database_that_has_stores(runner: FlaskCliRunner) -> None:
    make.store(code="OLD1")
    before = _counts()

    result = runner.invoke(args=[*ARGS, "--password", "long password", "--pin", "4321"])

    assert result.exit_code != 0
    assert "already has stores" in result.output
    assert _counts() == before


def test_init_with_a_wrong_value_writes_nothing(runner: FlaskCliRunner) -> None:
    for wrong in (
        {"--timezone": "Mars/Olympus"},
        {"--currency": "XYZ"},
        {"--store": "no spaces allowed"},
        {"--pin": "12"},
        {"--password": "short"},
    ):
        args = list(ARGS) + ["--market-name", "Sweden", "--password", "long password"]
        args += ["--pin", "4321"]
        for option, value in wrong.items():
            args[args.index(option) + 1] = value
        result = runner.invoke(args=args)
        assert result.exit_code != 0, wrong
        assert "Error:" in result.output, result.output
        assert _counts() == (0, 0, 0), wrong
        assert not AuditEvent.select().exists()
