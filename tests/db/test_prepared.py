"""Reads composed once (kiosk.db.Prepared) find exactly what Peewee finds; scratch commits."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from kiosk.db import Prepared, is_postgres, write_transaction
from kiosk.extensions import db
from kiosk.models import Cart, Market, Staff, Store
from tests import factories as make

STAFF_BY_NAME = Prepared(
    lambda store_id, display_name: (
        Staff.select(Staff, Store, Market)
        .join(Store)
        .join(Market)
        .where((Staff.store == store_id) & (Staff.display_name == display_name))
        .limit(1)
    ),
    store_id=int,
    display_name=str,
)


def composed(store_id: int, display_name: str) -> Staff | None:
    return (
        Staff.select(Staff, Store, Market)
        .join(Store)
        .join(Market)
        .where((Staff.store == store_id) & (Staff.display_name == display_name))
        .first()
    )


def test_a_prepared_read_finds_the_same_person_with_their_store_as_peewee(app: Flask) -> None:
    store, other = make.store(), make.store()
    names = ["erik", "o'brien", "åsa %_ \\ ?", "erik2"]
    for name in names:
        make.staff(store, display_name=name)
    make.staff(other, display_name="erik")
    for store_id in (store.id, other.id, 999_999):
        for name in [*names, "nobody", "' OR 1=1 --"]:
            expected = composed(store_id, name)
            found = STAFF_BY_NAME.first(store_id=store_id, display_name=name)
            if expected is None:
                assert found is None
                continue
            assert found.__data__ == expected.__data__
            assert found.store.__data__ == expected.store.__data__
            assert found.store.market.currency == expected.store.market.currency


def test_a_prepared_read_works_again_on_a_new_connection(app: Flask) -> None:
    store = make.store()
    make.staff(store, display_name="Maja")
    assert STAFF_BY_NAME.first(store_id=store.id, display_name="Maja").display_name == "Maja"
    # A pooled connection can be dropped (a restart, a failed request): on PostgreSQL the
    # next connection has no prepared statements and must be given them again.
    db.manual_close()
    db.connect(reuse_if_open=True)
    assert STAFF_BY_NAME.first(store_id=store.id, display_name="Maja").display_name == "Maja"
    if is_postgres():
        statements = db.execute_sql("SELECT name FROM pg_prepared_statements").fetchall()
        assert any(name.startswith("kiosk_read_") for (name,) in statements)


def test_a_parameter_that_never_reaches_the_sql_is_refused(app: Flask) -> None:
    forgotten = Prepared(
        lambda store_id, unused: Store.select().where(Store.id == store_id),
        store_id=int,
        unused=str,
    )
    with pytest.raises(ValueError, match="unused"):
        forgotten.rows(store_id=1, unused="x")


@pytest.mark.parametrize("durable", [True, False])
def test_only_scratch_work_commits_without_waiting_for_the_disk(app: Flask, durable: bool) -> None:
    """A cart edit may skip the wait for the disk on PostgreSQL; every other write waits."""
    store = make.store()
    with write_transaction(durable=durable):
        Store.update(name="Renamed").where(Store.id == store.id).execute()
        if is_postgres():
            (inside,) = db.execute_sql("SHOW synchronous_commit").fetchone()
            assert inside == ("on" if durable else "off")
    assert Store.get_by_id(store.id).name == "Renamed"
    if is_postgres():
        # SET LOCAL: the next transaction on this pooled connection waits for the disk again.
        (after,) = db.execute_sql("SHOW synchronous_commit").fetchone()
        assert after == "on"


RENAME_OPEN_CART_TIME = Prepared(
    lambda cart_id, now: Cart.update(updated_at=now).where(
        (Cart.id == cart_id) & (Cart.status == "open")
    ),
    cart_id=int,
    now=datetime,
)
NEW_CART = Prepared(
    lambda store_id, staff_id, key, now: Cart.insert(
        store=store_id, staff=staff_id, idempotency_key=key, created_at=now, updated_at=now
    ),
    store_id=int,
    staff_id=int,
    key=str,
    now=datetime,
)


def test_prepared_writes_store_what_peewee_stores_and_say_what_they_did(app: Flask) -> None:
    store = make.store()
    member = make.staff(store)
    stockholm_noon = datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    new_id = NEW_CART.write(store_id=store.id, staff_id=member.id, key="k1", now=stockholm_noon)
    written = Cart.get_by_id(new_id)
    assert (written.store_id, written.staff_id, written.idempotency_key) == (
        store.id,
        member.id,
        "k1",
    )
    assert written.created_at == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # kept as UTC
    later = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
    assert RENAME_OPEN_CART_TIME.write(cart_id=new_id, now=later) == 1
    assert Cart.get_by_id(new_id).updated_at == later
    Cart.update(status="completed").where(Cart.id == new_id).execute()
    assert RENAME_OPEN_CART_TIME.write(cart_id=new_id, now=stockholm_noon) == 0
    assert Cart.get_by_id(new_id).updated_at == later
    with pytest.raises(ValueError, match="naive"):
        RENAME_OPEN_CART_TIME.write(cart_id=new_id, now=datetime(2026, 6, 1, 12, 0))
