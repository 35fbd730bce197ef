"""Serial-numbered device units."""

from __future__ import annotations

from peewee import AutoField, CharField, Check, ForeignKeyField

from .base import BaseModel, UTCDateTimeField
from .customers import Registration
from .store import Product, Store

DEVICE_STATUSES = ("in_stock", "sold", "returned", "replaced_out")


class Device(BaseModel):
    """One physical unit, with the serial printed under the box."""

    id = AutoField()
    serial = CharField(max_length=64, unique=True)  # normalised: policy.normalise_serial
    product = ForeignKeyField(Product, backref="devices", on_delete="RESTRICT")
    store = ForeignKeyField(Store, backref="devices", on_delete="RESTRICT")
    status = CharField(
        max_length=16,
        default="in_stock",
        constraints=[Check("status IN ('in_stock', 'sold', 'returned', 'replaced_out')")],
    )
    # Every unit a chain has passed through points at it; the live one is not replaced_out.
    registration = ForeignKeyField(Registration, backref="devices", null=True, on_delete="SET NULL")
    first_registered_at = UTCDateTimeField(null=True)
    fault_code = CharField(max_length=32, null=True)
    notes = CharField(max_length=500, null=True)
    received_at = UTCDateTimeField()

    class Meta:
        indexes = ((("store", "status", "product"), False),)
