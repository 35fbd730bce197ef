"""The manager's sales and refusals day by day, and the swaps the desk refused.

Like ``reports``, each reads ``(store_id, local_date)`` index ranges in a fixed number of
queries, whatever the number of rows, stores or currencies: counts are grouped per store
and day in the database and added up per currency here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from peewee import JOIN, fn

from .. import clock
from ..models import AgeCheck, Device, Product, Sale, SaleLine, Staff, Store, Swap, SwapRefusal
from .reports import Period


@dataclass
class SalesDay:
    day: date
    sales: int = 0
    revenue: int = 0
    refunds: int = 0  # money given back, in minor units
    refund_count: int = 0  # money-back returns
    refusals: Counter[str] = field(default_factory=Counter)  # age checks refused, by reason

    @property
    def net(self) -> int:
        return self.revenue - self.refunds

    @property
    def under_age(self) -> int:
        return self.refusals["under_age"]

    @property
    def no_id(self) -> int:
        return self.refusals["no_id"]


def _in_period(model: type, ids: list[int], period: Period) -> object:
    return model.store.in_(ids) & model.local_date.between(period.start, period.end)


def daily_sales(stores: list[Store], period: Period) -> dict[str, list[SalesDay]]:
    """Per currency the stores sell in, one row per store-local day of the period (days
    without sales too): three statements however many stores and currencies."""
    ids = [s.id for s in stores]
    currency_of = {s.id: s.currency for s in stores}
    dates = [period.start + timedelta(days=i) for i in range(period.days)]
    days = {currency: {d: SalesDay(d) for d in dates} for currency in set(currency_of.values())}
    for store_id, day, n, total in (
        Sale.select(
            Sale.store, Sale.local_date, fn.COUNT(Sale.id), fn.COALESCE(fn.SUM(Sale.total), 0)
        )
        .where(_in_period(Sale, ids, period))
        .group_by(Sale.store, Sale.local_date)
        .tuples()
    ):
        row = days[currency_of[store_id]][day]
        row.sales, row.revenue = row.sales + n, row.revenue + int(total)
    for store_id, day, n, total in (
        Swap.select(
            Swap.store,
            Swap.local_date,
            fn.COUNT(Swap.id),
            fn.COALESCE(fn.SUM(Swap.refund_amount), 0),
        )
        .where(_in_period(Swap, ids, period) & (Swap.outcome == "money_back"))
        .group_by(Swap.store, Swap.local_date)
        .tuples()
    ):
        row = days[currency_of[store_id]][day]
        row.refund_count, row.refunds = row.refund_count + n, row.refunds + int(total)
    for store_id, day, reason, n in (
        AgeCheck.select(
            AgeCheck.store, AgeCheck.local_date, AgeCheck.refusal_reason, fn.COUNT(AgeCheck.id)
        )
        .where(_in_period(AgeCheck, ids, period) & (AgeCheck.result == "refused"))
        .group_by(AgeCheck.store, AgeCheck.local_date, AgeCheck.refusal_reason)
        .tuples()
    ):
        days[currency_of[store_id]][day].refusals[reason] += n
    return {currency: [by_day[d] for d in dates] for currency, by_day in sorted(days.items())}


@dataclass
class SalesSummary:
    count: int
    revenue: int
    vat_by_rate: dict[int, int]
    by_kind: dict[str, int]
    refusals: Counter[str]
    refund_count: int = 0  # money-back returns in the period
    refund_total: int = 0

    @property
    def net(self) -> int:
        """Revenue less the money given back in the same period."""
        return self.revenue - self.refund_total


def sales_by_currency(
    stores: list[Store], period: Period
) -> list[tuple[str, SalesSummary, list[SalesDay]]]:
    """Per currency (amounts in two currencies are never added up): the period's totals
    and its days. The totals are the days added up, and one more statement for the VAT and
    the kinds of what was sold: four statements in all."""
    by_currency = daily_sales(stores, period)
    currency_of = {s.id: s.currency for s in stores}
    vat: dict[str, dict[int, int]] = {currency: {} for currency in by_currency}
    kinds: dict[str, dict[str, int]] = {currency: {} for currency in by_currency}
    kind = fn.COALESCE(Product.kind, "discount")
    for store_id, rate, line_kind, gross, tax in (
        SaleLine.select(
            Sale.store,
            SaleLine.vat_rate,
            kind,
            fn.SUM(SaleLine.line_total),
            fn.SUM(SaleLine.vat_amount),
        )
        .join(Sale)
        .switch(SaleLine)
        .join(Product, JOIN.LEFT_OUTER)
        .where(_in_period(Sale, [s.id for s in stores], period))
        .group_by(Sale.store, SaleLine.vat_rate, kind)
        .tuples()
    ):
        currency = currency_of[store_id]
        vat[currency][rate] = vat[currency].get(rate, 0) + int(tax)
        kinds[currency][line_kind] = kinds[currency].get(line_kind, 0) + int(gross)
    result = []
    for currency, days in by_currency.items():
        refusals: Counter[str] = Counter()
        for day in days:
            refusals.update(day.refusals)
        summary = SalesSummary(
            count=sum(day.sales for day in days),
            revenue=sum(day.revenue for day in days),
            vat_by_rate=dict(sorted(vat[currency].items())),
            by_kind=kinds[currency],
            refusals=refusals,
            refund_count=sum(day.refund_count for day in days),
            refund_total=sum(day.refunds for day in days),
        )
        result.append((currency, summary, days))
    return result


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
