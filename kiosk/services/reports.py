"""What the manager reads: store-local days of replacements, their chart, and signals.

Every report filters on ``(store_id, local_date)``, an index range, and runs a fixed
number of queries whatever the number of rows: the cost follows the rows shown,
not the years stored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from peewee import JOIN, fn

from .. import clock
from ..formatting import contact_masked
from ..models import (
    Customer,
    Device,
    Product,
    Registration,
    Sale,
    Staff,
    Store,
    Swap,
)

MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class Period:
    """A range of store-local days, both ends included."""

    start: date
    end: date

    @property
    def single_day(self) -> bool:
        return self.start == self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class ReplacementRow:
    swap_id: int
    store: str
    local_date: date
    local_time: str
    outcome: str
    swap_case: str
    fault_code: str
    model: str
    old_serial: str
    new_serial: str
    staff: str
    customer: str
    refund: int | None
    unit_state: str  # a money-back unit: sealed, opened or faulty
    currency: str = ""  # the store's market's: an all-stores CSV mixes currencies


@dataclass
class ReplacementReport:
    rows: list[ReplacementRow]
    by_outcome: Counter[str] = field(default_factory=Counter)
    by_model: Counter[str] = field(default_factory=Counter)
    by_staff: Counter[str] = field(default_factory=Counter)


def replacements(stores: list[Store], period: Period) -> ReplacementReport:
    """Every swap and money-back return in the period, in one query."""
    old = Device.alias("old")
    new = Device.alias("new")
    query = (
        Swap.select(
            Swap.id,
            Swap.created_at,
            Swap.local_date,
            Swap.unit_state,
            Swap.outcome,
            Swap.swap_case,
            Swap.fault_code,
            Swap.refund_amount,
            Swap.store,
            old.serial.alias("old_serial"),
            new.serial.alias("new_serial"),
            Product.name.alias("model"),
            Staff.display_name.alias("staff_name"),
            Customer.email.alias("customer_email"),
            Customer.mobile.alias("customer_mobile"),
        )
        .join(old, on=(Swap.old_device == old.id))
        .join(Product, on=(old.product == Product.id))
        .switch(Swap)
        .join(new, JOIN.LEFT_OUTER, on=(Swap.new_device == new.id))
        .switch(Swap)
        .join(Staff, on=(Swap.staff == Staff.id))
        .switch(Swap)
        .join(Registration, on=(Swap.registration == Registration.id))
        .join(Customer, JOIN.LEFT_OUTER, on=(Registration.customer == Customer.id))
        .where(
            Swap.store.in_([s.id for s in stores])
            & Swap.local_date.between(period.start, period.end)
        )
        .order_by(Swap.local_date, Swap.created_at, Swap.id)
        .dicts()
    )
    by_id = {s.id: s for s in stores}
    report = ReplacementReport(rows=[])
    for row in query:
        store = by_id[row["store"]]
        item = ReplacementRow(
            swap_id=row["id"],
            store=store.name,
            local_date=row["local_date"],
            local_time=clock.local_now(store.timezone, row["created_at"]).strftime("%H:%M"),
            outcome=row["outcome"],
            swap_case=row["swap_case"],
            fault_code=row["fault_code"] or "",
            model=row["model"],
            old_serial=row["old_serial"],
            new_serial=row["new_serial"] or "",
            staff=row["staff_name"],
            customer=contact_masked(row["customer_email"], row["customer_mobile"]),
            refund=row["refund_amount"],
            unit_state=row["unit_state"] or "",
            currency=store.currency,
        )
        report.rows.append(item)
        report.by_outcome[item.outcome] += 1
        report.by_model[item.model] += 1
        report.by_staff[item.staff] += 1
    return report


def daily_replacements(store: Store, day: date) -> list[ReplacementRow]:
    return replacements([store], Period(day, day)).rows


CHART_OUTCOMES = ("warranty", "accident", "money_back")


@dataclass(frozen=True)
class OutcomeBars:
    """One outcome's row of the chart: its total and only the days that had any."""

    outcome: str
    total: int
    bars: list[tuple[int, date, int]]  # (the day's place from the first, the day, swaps)


@dataclass(frozen=True)
class OutcomeHistory:
    first: date
    last: date
    peak: int  # the highest bar (at least 1): the one the others are scaled to
    rows: list[OutcomeBars]


def outcome_history(stores: list[Store], last_day: date, days: int = 30) -> OutcomeHistory:
    """Swaps per day and outcome for the chart, oldest first.

    Most days have no swap of an outcome: the page draws only the days that have, so
    the chart costs what it shows rather than 90 cells of mostly nothing.
    """
    first = last_day - timedelta(days=days - 1)
    counts: dict[str, dict[date, int]] = {outcome: {} for outcome in CHART_OUTCOMES}
    query = (
        Swap.select(Swap.local_date, Swap.outcome, fn.COUNT(Swap.id).alias("n"))
        .where(Swap.store.in_([s.id for s in stores]) & Swap.local_date.between(first, last_day))
        .group_by(Swap.local_date, Swap.outcome)
        .tuples()
    )
    for day, outcome, n in query:
        if outcome in counts and n:
            counts[outcome][day] = n
    rows = [
        OutcomeBars(
            outcome=outcome,
            total=sum(by_day.values()),
            bars=[((day - first).days, day, n) for day, n in sorted(by_day.items())],
        )
        for outcome, by_day in counts.items()
    ]
    peak = max([1, *(n for by_day in counts.values() for n in by_day.values())])
    return OutcomeHistory(first=first, last=last_day, peak=peak, rows=rows)


@dataclass(frozen=True)
class StaffSignal:
    staff: str
    swaps: int
    sales: int
    rate: float
    store_rate: float


def signals(stores: list[Store], last_day: date, days: int = 30) -> dict:
    """Things worth a look: chains swapped more than once, and staff far from the store.

    A staff member stands out when, over the last 30 days, they made at least 5 swaps
    and their swaps per 100 sales are at least twice the store's.
    """
    ids = [s.id for s in stores]
    first = last_day - timedelta(days=days - 1)
    repeat = list(
        Swap.select(Swap.registration, fn.COUNT(Swap.id).alias("n"))
        .where(Swap.store.in_(ids) & Swap.local_date.between(first, last_day))
        .group_by(Swap.registration)
        .having(fn.COUNT(Swap.id) > 1)
        .order_by(fn.COUNT(Swap.id).desc())
        .limit(50)
        .tuples()
    )
    swaps_by_staff = dict(
        Swap.select(Swap.staff, fn.COUNT(Swap.id))
        .where(Swap.store.in_(ids) & Swap.local_date.between(first, last_day))
        .group_by(Swap.staff)
        .tuples()
    )
    sales_by_staff = dict(
        Sale.select(Sale.staff, fn.COUNT(Sale.id))
        .where(Sale.store.in_(ids) & Sale.local_date.between(first, last_day))
        .group_by(Sale.staff)
        .tuples()
    )
    names = dict(
        Staff.select(Staff.id, Staff.display_name)
        .where(Staff.id.in_(list(swaps_by_staff) or [0]))
        .tuples()
    )
    total_swaps, total_sales = sum(swaps_by_staff.values()), sum(sales_by_staff.values())
    store_rate = 100 * total_swaps / total_sales if total_sales else 0.0
    flagged = []
    for staff_id, swaps in swaps_by_staff.items():
        sales = sales_by_staff.get(staff_id, 0)
        rate = 100 * swaps / sales if sales else float(swaps * 100)
        if swaps >= 5 and store_rate and rate >= 2 * store_rate:
            flagged.append(StaffSignal(names[staff_id], swaps, sales, rate, store_rate))
    return {"repeat_chains": _chains(repeat), "staff": flagged, "store_rate": store_rate}


@dataclass(frozen=True)
class RepeatChain:
    """A registration chain swapped more than once: what a manager needs to look it up."""

    registration_id: int
    swaps: int
    serials: list[str]  # every unit of the chain, oldest first
    model: str
    customer: str  # masked
    device_id: int  # the unit the customer holds now (or the newest), for the device file


def _chains(repeat: list[tuple[int, int]]) -> list[RepeatChain]:
    if not repeat:
        return []
    ids = [registration_id for registration_id, _n in repeat]
    units: dict[int, list[Device]] = defaultdict(list)
    for unit in (
        Device.select(Device, Product)
        .join(Product)
        .where(Device.registration.in_(ids))
        .order_by(Device.first_registered_at, Device.id)
    ):
        units[unit.registration_id].append(unit)
    contacts = {
        registration_id: (email, mobile)
        for registration_id, email, mobile in Registration.select(
            Registration.id, Customer.email, Customer.mobile
        )
        .join(Customer, JOIN.LEFT_OUTER)
        .where(Registration.id.in_(ids))
        .tuples()
    }
    chains = []
    for registration_id, n in repeat:
        chain = units.get(registration_id, [])
        if not chain:
            continue  # every unit of it was registered anew since (a sealed return resold)
        email, mobile = contacts.get(registration_id, (None, None))
        chains.append(
            RepeatChain(
                registration_id=registration_id,
                swaps=n,
                serials=[unit.serial for unit in chain],
                model=chain[-1].product.name,
                customer=contact_masked(email, mobile),
                device_id=chain[-1].id,
            )
        )
    return chains
