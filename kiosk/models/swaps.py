"""Swaps (warranty and accident replacements, money-back returns) and refused swaps."""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    CharField,
    Check,
    DateField,
    ForeignKeyField,
    IntegerField,
)

from .base import BaseModel, UTCDateTimeField
from .customers import Registration
from .devices import Device
from .sales import SaleLine
from .store import Staff, Store

SWAP_CASE_CHECK = (
    "swap_case IN ('defect', 'cosmetic', 'cosmetic_affects_function', 'accident', "
    "'lost_or_stolen', 'money_back')"
)


class Swap(BaseModel):
    id = AutoField()
    store = ForeignKeyField(Store, on_delete="RESTRICT")
    staff = ForeignKeyField(Staff, on_delete="RESTRICT")
    registration = ForeignKeyField(Registration, backref="swaps", on_delete="RESTRICT")
    # A unit leaves a chain through one swap or one return, and joins a chain once (the
    # indexes below); a sealed return sold again may later leave its new chain too.
    old_device = ForeignKeyField(Device, on_delete="RESTRICT", index=False)
    new_device = ForeignKeyField(Device, null=True, on_delete="RESTRICT", index=False)
    swap_case = CharField(max_length=32, constraints=[Check(SWAP_CASE_CHECK)])
    outcome = CharField(
        max_length=16, constraints=[Check("outcome IN ('warranty', 'accident', 'money_back')")]
    )
    fault_code = CharField(max_length=32, null=True)
    note = CharField(max_length=500, default="")
    refund_amount = IntegerField(null=True)
    # A money-back unit as the desk found it: sealed goes back on the shelf, opened or faulty
    # waits to go back to the maker. None for a replacement.
    unit_state = CharField(
        max_length=16,
        null=True,
        constraints=[Check("unit_state IN ('sealed', 'opened', 'faulty')")],
    )
    original_sale_line = ForeignKeyField(SaleLine, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField()
    local_date = DateField()

    class Meta:
        indexes = (
            (("store", "local_date"), False),
            (("old_device", "registration"), True),
            (("new_device", "registration"), True),
        )
        constraints = [
            Check("(outcome = 'money_back') = (new_device_id IS NULL)"),
        ]


# One accident replacement per registration chain, enforced where races cannot reach.
Swap.add_index(
    Swap.index(
        Swap.registration,
        unique=True,
        where=SQL("outcome = 'accident'"),
        name="swap_one_accident_per_chain",
    )
)


class SwapRefusal(BaseModel):
    """A swap the rules refused: shown to the customer, kept for the manager."""

    id = AutoField()
    store = ForeignKeyField(Store, on_delete="RESTRICT")
    staff = ForeignKeyField(Staff, on_delete="RESTRICT")
    device = ForeignKeyField(Device, null=True, on_delete="SET NULL")
    swap_case = CharField(max_length=32, constraints=[Check(SWAP_CASE_CHECK)])
    reason = CharField(max_length=500)
    created_at = UTCDateTimeField()
    local_date = DateField()

    class Meta:
        indexes = ((("store", "local_date"), False),)
