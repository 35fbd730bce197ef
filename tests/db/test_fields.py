"""Times go into the database as UTC and come back as the same aware UTC datetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kiosk.models import Sale


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 1, 0, 0, tzinfo=UTC),  # whole seconds: stored without a fraction
        # Stockholm's wall clock an hour ahead: the same instant, stored as UTC.
        datetime(2026, 3, 1, 1, 30, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_a_sale_time_comes_back_as_the_same_instant_in_utc(app, shop, at) -> None:
    sale = Sale.create(
        store=shop.store,
        staff=shop.erik,
        idempotency_key=f"k{at.timestamp()}",
        tender="card",
        subtotal=0,
        total=0,
        vat_total=0,
        created_at=at,
        local_date=at.date(),
    )
    again = Sale.get_by_id(sale.id).created_at
    assert again == at
    assert again.utcoffset() == timedelta(0) and again.tzinfo is not None


def test_a_naive_time_is_refused_before_it_reaches_the_database(app, shop) -> None:
    with pytest.raises(ValueError, match="naive"):
        Sale.create(
            store=shop.store,
            staff=shop.erik,
            idempotency_key="naive",
            tender="card",
            subtotal=0,
            total=0,
            vat_total=0,
            created_at=datetime(2026, 3, 1, 12, 0),
            local_date=datetime(2026, 3, 1).date(),
        )
    assert not Sale.select().exists()
