"""Units after the counter: shipments back to the maker, transfers between stores, stock counts.

The one-at-a-time rules are constraints, so two tablets racing for one unit cannot both win:
a unit is in one shipment ever (``shipment_unit.device_id`` unique), in one transfer on the
road at a time (a partial unique index on the units still travelling), and a store counts one
shelf at a time (a partial unique index on its open count).
"""

from __future__ import annotations

from peewee import SQL, AutoField, CharField, Check, ForeignKeyField, IntegerField

from .base import BaseModel, UTCDateTimeField
from .devices import Device
from .store import Product, Staff, Store


class Shipment(BaseModel):
    """A box of faulty and returned units going back to the maker under its RMA reference."""

    id = AutoField()
    store = ForeignKeyField(Store, on_delete="RESTRICT", index=False)  # (store, rma) serves it
    rma_reference = CharField(max_length=64)  # the maker's return authorisation
    status = CharField(
        max_length=16,
        default="open",
        constraints=[Check("status IN ('open', 'shipped', 'credited')")],
    )
    created_by = ForeignKeyField(Staff, on_delete="RESTRICT")
    created_at = UTCDateTimeField()
    shipped_by = ForeignKeyField(Staff, null=True, on_delete="RESTRICT")
    shipped_at = UTCDateTimeField(null=True)
    credited_by = ForeignKeyField(Staff, null=True, on_delete="RESTRICT")
    credited_at = UTCDateTimeField(null=True)
    credit_reference = CharField(max_length=64, default="")

    class Meta:
        # The maker hands out one reference per return: two boxes under one would be credited once.
        indexes = ((("store", "rma_reference"), True),)


class ShipmentUnit(BaseModel):
    """One unit packed into a shipment: a unit goes back to the maker once."""

    id = AutoField()
    shipment = ForeignKeyField(Shipment, backref="units", on_delete="CASCADE")
    device = ForeignKeyField(Device, unique=True, on_delete="RESTRICT")
    packed_by = ForeignKeyField(Staff, on_delete="RESTRICT")
    packed_at = UTCDateTimeField()


class Transfer(BaseModel):
    """Stock sent from one store to another: prepared, on the road, received or cancelled."""

    id = AutoField()
    # The (store, status) indexes below serve both foreign keys.
    from_store = ForeignKeyField(Store, on_delete="RESTRICT", index=False)
    to_store = ForeignKeyField(Store, on_delete="RESTRICT", index=False)
    status = CharField(
        max_length=16,
        default="draft",
        constraints=[Check("status IN ('draft', 'in_transit', 'received', 'cancelled')")],
    )
    created_by = ForeignKeyField(Staff, on_delete="RESTRICT")
    created_at = UTCDateTimeField()
    sent_by = ForeignKeyField(Staff, null=True, on_delete="RESTRICT")
    sent_at = UTCDateTimeField(null=True)
    closed_by = ForeignKeyField(Staff, null=True, on_delete="RESTRICT")  # received or cancelled
    closed_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("to_store", "status"), False), (("from_store", "status"), False))
        constraints = [Check("from_store_id <> to_store_id")]


TRANSFER_UNIT_STATES = ("draft", "sent", "received", "missing", "extra", "cancelled")


class TransferUnit(BaseModel):
    """A serial on a transfer: scanned into the box, on the road, then received or missing.

    ``extra`` is a unit scanned at the destination that was not sent with the transfer.
    """

    id = AutoField()
    transfer = ForeignKeyField(Transfer, backref="units", on_delete="CASCADE", index=False)
    device = ForeignKeyField(Device, on_delete="RESTRICT")
    state = CharField(
        max_length=16,
        constraints=[
            Check("state IN ({})".format(", ".join(f"'{s}'" for s in TRANSFER_UNIT_STATES)))
        ],
    )
    updated_at = UTCDateTimeField()

    class Meta:
        indexes = ((("transfer", "device"), True),)


# A unit is on the road in one transfer at a time.
TransferUnit.add_index(
    TransferUnit.index(
        TransferUnit.device,
        unique=True,
        where=SQL("state = 'sent'"),
        name="transfer_unit_one_on_the_road",
    )
)


class TransferLine(BaseModel):
    """Items without a serial on a transfer: how many were sent, how many arrived."""

    id = AutoField()
    transfer = ForeignKeyField(Transfer, backref="lines", on_delete="CASCADE", index=False)
    product = ForeignKeyField(Product, on_delete="RESTRICT")
    quantity = IntegerField(constraints=[Check("quantity > 0")])
    received = IntegerField(null=True, constraints=[Check("received >= 0")])

    class Meta:
        indexes = ((("transfer", "product"), True),)


class StockCount(BaseModel):
    """A count of a store's shelf of serial units: all models, or one."""

    id = AutoField()
    store = ForeignKeyField(Store, on_delete="RESTRICT")
    product = ForeignKeyField(Product, null=True, on_delete="RESTRICT")  # None: every model
    status = CharField(
        max_length=16, default="open", constraints=[Check("status IN ('open', 'closed')")]
    )
    started_by = ForeignKeyField(Staff, on_delete="RESTRICT")
    started_at = UTCDateTimeField()
    closed_by = ForeignKeyField(Staff, null=True, on_delete="RESTRICT")
    closed_at = UTCDateTimeField(null=True)


# One open count per store: two would each call the other's scans "missing".
StockCount.add_index(
    StockCount.index(
        StockCount.store, unique=True, where=SQL("status = 'open'"), name="stock_count_one_open"
    )
)

# What became of a unit at the close: seen where expected, seen but not expected, or not seen
# and written off (lost, damaged) or known to be elsewhere.
COUNT_RESULTS = ("counted", "unexpected", "lost", "damaged", "found_elsewhere")


class StockCountUnit(BaseModel):
    """A unit scanned during a count, or one expected and not scanned (written at the close)."""

    id = AutoField()
    count = ForeignKeyField(StockCount, backref="units", on_delete="CASCADE", index=False)
    device = ForeignKeyField(Device, on_delete="RESTRICT")
    scanned_by = ForeignKeyField(Staff, null=True, on_delete="RESTRICT")
    scanned_at = UTCDateTimeField(null=True)
    result = CharField(
        max_length=16,
        null=True,
        constraints=[Check("result IN ({})".format(", ".join(f"'{r}'" for r in COUNT_RESULTS)))],
    )
    status_before = CharField(max_length=16, default="")  # what the unit was when it was closed

    class Meta:
        indexes = ((("count", "device"), True),)
