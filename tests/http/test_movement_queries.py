"""The pages after the counter and the back office's lists read a fixed number of queries,
whatever the number of units, shipments, transfers, counts, stores or markets."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import clock
from kiosk.models import (
    Shipment,
    ShipmentUnit,
    StockCount,
    StockCountUnit,
    Transfer,
    TransferLine,
    TransferUnit,
)
from tests import factories as make
from tests.conftest import AuthActions
from tests.http.test_manager import _count_queries


def grow(shop, n: int, ids: dict) -> None:  # noqa: ANN001
    """``n`` more of everything the pages list, into the same shipment, transfer and count."""
    now = clock.now_utc()
    store = shop.store
    for _ in range(n):
        model = make.product("device")
        waiting = make.device(store, model, status="replaced_out", fault_code="LED")  # listed
        boxed = make.device(store, model, status="replaced_out", fault_code="LED")
        ShipmentUnit.create(
            shipment=ids["shipment"], device=boxed, packed_by=shop.manager, packed_at=now
        )
        Shipment.create(
            store=store, rma_reference=f"RMA-{boxed.id}", created_by=shop.manager, created_at=now
        )
        on_shelf = make.device(store, model)
        TransferUnit.create(
            transfer=ids["transfer"], device=on_shelf, state="draft", updated_at=now
        )
        TransferLine.create(
            transfer=ids["transfer"], product=make.product("consumable"), quantity=2
        )
        Transfer.create(
            from_store=store, to_store=make.store(), created_by=shop.erik, created_at=now
        )
        StockCountUnit.create(
            count=ids["count"], device=on_shelf, scanned_by=shop.erik, scanned_at=now
        )
        StockCountUnit.create(count=ids["closed"], device=waiting, result="lost")
        market = make.market(f"Q{chr(65 + Transfer.select().count() % 26)}")
        make.store(market=market)  # a store in each market, for the stores' list


PAGES = [
    "/returns/",
    "/returns/shipments/{shipment}",
    "/returns/shipments/{shipment}/packing-list",
    "/returns/shipments/{shipment}/packing-list.csv",
    "/transfers/",
    "/transfers/{transfer}",
    "/counts/",
    "/counts/{count}",
    "/counts/{closed}",
    "/admin/stores",
    "/admin/markets",
]


@pytest.mark.parametrize("page", PAGES)
def test_movement_and_back_office_pages_read_a_fixed_number_of_queries(
    app: Flask, client: FlaskClient, auth: AuthActions, shop, monkeypatch, page: str
) -> None:
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    now = clock.now_utc()
    ids = {
        "shipment": Shipment.create(
            store=shop.store, rma_reference="RMA-0", created_by=shop.manager, created_at=now
        ),
        "transfer": Transfer.create(
            from_store=shop.store, to_store=make.store(), created_by=shop.erik, created_at=now
        ),
        "closed": StockCount.create(
            store=shop.store,
            started_by=shop.manager,
            started_at=now,
            status="closed",
            closed_by=shop.manager,
            closed_at=now,
        ),
        "count": StockCount.create(store=shop.store, started_by=shop.manager, started_at=now),
    }
    auth.sign_in("root")
    url = page.format(**{name: row.id for name, row in ids.items()})
    counts = []
    for n in (2, 12):
        grow(shop, n, ids)
        seen = _count_queries(monkeypatch)
        answer = client.get(url)
        assert answer.status_code == 200, url
        counts.append(len(seen))
        monkeypatch.undo()
    assert counts[0] == counts[1], (url, counts)
