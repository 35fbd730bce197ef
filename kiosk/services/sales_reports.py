"""The manager's sales and refusals day by day, and the swaps the desk refused.

Like ``reports``, each reads ``(store_id, local_date)`` index ranges in a fixed number of
queries, whatever the number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from peewee import JOIN, fn

from .. import clock
from ..models import AgeCheck, Device, Sale, Staff, Store, Swap, SwapRefusal
from .reports import Period


@dataclass
class SalesDay:
    day: date
    sales: int = 0
    revenue: int = 0
    refunds: int = 0  # money given back, in minor units
    under_age: int = 0
    no_id: int = 0

    @property
    def net(self) -> int:
        return self.revenue - self.refunds


def daily_sales(stores: list[Store], period: Period) -> list[SalesDay]:
    """One row per store-local day of the period, days without sales included."""
    ids = [s.id for s in stores]
    days = {
        period.start + timedelta(days=i): SalesDay(period.start + timedelta(days=i))
        for i in range(period.days)
    }
    for day, n, total in (
        Sale.select(Sale.local_date, fn.COUNT(Sale.id), fn.COALESCE(fn.SUM(Sale.total), 0))
        .where(Sale.store.in_(ids) & Sale.local_date.between(period.start, period.end))
        .group_by(Sale.local_date)
        .tuples()
    ):
        days[day].sales, days[day].revenue = n, int(total)
    for day, total in (
        Swap.select(Swap.local_date, fn.COALESCE(fn.SUM(Swap.refund_amount), 0))
        .where(
            Swap.store.in_(ids)
            & Swap.local_date.between(period.start, period.end)
            & (Swap.outcome == "money_back")
        )
        .group_by(Swap.local_date)
        .tuples()
    ):
        days[day].refunds = int(total)
    refusals: dict[date, dict[str, int]] = defaultdict(dict)
    for day, reason, n in (
        AgeCheck.select(AgeCheck.local_date, AgeCheck.refusal_reason, fn.COUNT(AgeCheck.id))
        .where(
            AgeCheck.store.in_(ids)
            & AgeCheck.local_date.between(period.start, period.end)
            & (AgeCheck.result == "refused")
        )
        .group_by(AgeCheck.local_date, AgeCheck.refusal_reason)
        .tuples()
    ):
        refusals[day][reason] = n
    for day, counts in refusals.items():
        days[day].under_age = counts.get("under_age", 0)
        days[day].no_id = counts.get("no_id", 0)
    return [days[d] for d in sorted(days)]


@dataclass(frozen=True)
class RefusedSwap:
    store: str
    local_date: date
    local_time: str
    serial: str
    swap_case: str
    reason: str
    staff: str


def swap_refusals(stores: list[Store], period: Period) -> list[RefusedSwap]:
    """Every swap the desk refused in the period, in one query."""
    by_id = {s.id: s for s in stores}
    query = (
        SwapRefusal.select(
            SwapRefusal.store,
            SwapRefusal.created_at,
            SwapRefusal.local_date,
            SwapRefusal.swap_case,
            SwapRefusal.reason,
            Device.serial,
            Staff.display_name,
        )
        .join(Device, JOIN.LEFT_OUTER)
        .switch(SwapRefusal)
        .join(Staff)
        .where(
            SwapRefusal.store.in_(list(by_id))
            & SwapRefusal.local_date.between(period.start, period.end)
        )
        .order_by(SwapRefusal.local_date, SwapRefusal.created_at, SwapRefusal.id)
        .tuples()
    )
    return [
        RefusedSwap(
            store=by_id[store_id].name,
            local_date=day,
            local_time=clock.local_now(by_id[store_id].timezone, at).strftime("%H:%M"),
            serial=serial or "",
            swap_case=case,
            reason=reason,
            staff=staff,
        )
        for store_id, at, day, case, reason, serial, staff in query
    ]
