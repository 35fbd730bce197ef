"""Serial-numbered device units, and the steps of each unit's life."""

from __future__ import annotations

from peewee import AutoField, CharField, Check, ForeignKeyField, IntegerField

from .base import BaseModel, UTCDateTimeField
from .customers import Registration
from .store import Product, Staff, Store

# in_stock: on a store's shelf, sellable there. sold: with a customer. returned: given back
# under money back and judged opened or faulty: waiting to go back to the maker (a sealed one
# goes back in_stock). replaced_out: swapped out as faulty, waiting to go back to the maker.
# in_transit: on its way between two stores, sellable nowhere. shipped: sent back to the
# maker. lost, damaged: written off by a stock count.
DEVICE_STATUSES = (
    "in_stock",
    "sold",
    "returned",
    "replaced_out",
    "in_transit",
    "shipped",
    "lost",
    "damaged",
)
DEVICE_STATUS_CHECK = "status IN ({})".format(", ".join(f"'{s}'" for s in DEVICE_STATUSES))


class Device(BaseModel):
    """One physical unit, with the serial printed under the box."""

    id = AutoField()
    serial = CharField(max_length=64, unique=True)  # normalised: policy.normalise_serial
    product = ForeignKeyField(Product, backref="devices", on_delete="RESTRICT")
    store = ForeignKeyField(Store, backref="devices", on_delete="RESTRICT")
    status = CharField(max_length=16, default="in_stock", constraints=[Check(DEVICE_STATUS_CHECK)])
    # Every unit a chain has passed through points at it; the live one is not replaced_out.
    registration = ForeignKeyField(Registration, backref="devices", null=True, on_delete="SET NULL")
    first_registered_at = UTCDateTimeField(null=True)
    fault_code = CharField(max_length=32, null=True)
    notes = CharField(max_length=500, null=True)
    received_at = UTCDateTimeField()

    class Meta:
        indexes = ((("store", "status", "product"), False),)


# What happened to a unit, in the store's words; services/unit_life.py writes them.
DEVICE_EVENTS = (
    "received",  # into a store's stock (a delivery, or loaded before the log existed)
    "sold",
    "registered",  # to a customer's account
    "swapped_out",  # taken back by a warranty or accident replacement
    "replacement",  # handed out as the replacement of a swapped-out unit
    "returned",  # taken back under money back
    "restocked",  # a sealed money-back unit back on the shelf
    "packed",  # into a shipment back to the maker
    "unpacked",
    "shipped",
    "credited",  # the maker credited its shipment
    "transfer_sent",
    "transfer_received",
    "transfer_cancelled",
    "counted",  # a stock count changed its status (lost, damaged, found)
)
DEVICE_EVENT_CHECK = "event IN ({})".format(", ".join(f"'{e}'" for e in DEVICE_EVENTS))


class DeviceEvent(BaseModel):
    """One step of a unit's life: where, who, when, and what it points at.

    Written in the same transaction as the change it records, so "where is this unit"
    reads one table instead of joining every table a unit passes through.
    """

    id = AutoField()
    # (device, id) below serves the foreign key too: no index of its own.
    device = ForeignKeyField(Device, backref="events", on_delete="CASCADE", index=False)
    event = CharField(max_length=24, constraints=[Check(DEVICE_EVENT_CHECK)])
    store = ForeignKeyField(Store, on_delete="RESTRICT")
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    status = CharField(max_length=16)  # the unit's status after this step
    # What the step belongs to: a sale, a swap, a delivery, a shipment, a transfer, a count.
    subject_type = CharField(max_length=32, default="")
    subject_id = IntegerField(null=True)
    reference = CharField(max_length=64, default="")  # a delivery note, an RMA, a receipt no.
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("device", "id"), False),)
