"""What the manager reads: a store-local day's replacements, sales and refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from peewee import JOIN

from .. import clock, policy
from ..models import Customer, Device, Product, Registration, Staff, Store, Swap


@dataclass(frozen=True)
class ReplacementRow:
    at_local: str
    outcome: str
    swap_case: str
    fault_code: str
    model: str
    old_serial: str
    new_serial: str
    staff: str
    customer: str


def daily_replacements(store: Store, day: date) -> list[ReplacementRow]:
    """Every swap and money-back return of one store-local day, in one query."""
    NewDevice = Device.alias()
    query = (
        Swap.select(Swap, Device, NewDevice, Product, Staff, Registration, Customer)
        .join(Device, on=(Swap.old_device == Device.id))
        .join(Product, on=(Device.product == Product.id))
        .switch(Swap)
        .join(NewDevice, JOIN.LEFT_OUTER, on=(Swap.new_device == NewDevice.id))
        .switch(Swap)
        .join(Staff, on=(Swap.staff == Staff.id))
        .switch(Swap)
        .join(Registration, on=(Swap.registration == Registration.id))
        .join(Customer, JOIN.LEFT_OUTER, on=(Registration.customer == Customer.id))
        .where((Swap.store == store) & (Swap.local_date == day))
        .order_by(Swap.created_at)
    )
    rows = []
    for swap in query:
        customer = swap.registration.customer
        new_device = getattr(swap, "new_device", None) if swap.new_device_id else None
        rows.append(
            ReplacementRow(
                at_local=clock.local_now(store.timezone, swap.created_at).strftime("%H:%M"),
                outcome=swap.outcome,
                swap_case=swap.swap_case,
                fault_code=swap.fault_code or "",
                model=swap.old_device.product.name,
                old_serial=swap.old_device.serial,
                new_serial=new_device.serial if new_device else "",
                staff=swap.staff.display_name,
                customer=policy.mask_email(customer.email) if customer else "",
            )
        )
    return rows
