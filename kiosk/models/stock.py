"""Stock coming in (deliveries scanned serial by serial) and the low-stock levels managers set."""

from __future__ import annotations

from peewee import SQL, AutoField, CharField, Check, DateField, ForeignKeyField, IntegerField

from .base import BaseModel, UTCDateTimeField
from .store import Product, Staff, Store

DELIVERY_STATUSES = ("open", "received", "discarded")


class Delivery(BaseModel):
    """A supplier's delivery, scanned into one store's stock.

    While it is ``open`` it is the store's draft: every tablet of the store sees it, so a
    colleague can carry on scanning the same boxes after a lock or a change of person.
    Receiving it writes the units and quantities in one transaction.
    """

    id = AutoField()
    store = ForeignKeyField(Store, backref="deliveries", on_delete="RESTRICT")
    reference = CharField(max_length=64)  # the supplier's delivery note number
    status = CharField(
        max_length=16,
        default="open",
        constraints=[Check("status IN ('open', 'received', 'discarded')")],
    )
    opened_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    received_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    received_at = UTCDateTimeField(null=True)
    local_date = DateField(null=True)  # the store-local day it was received


# One open delivery per store: "the delivery being scanned" is never ambiguous.
Delivery.add_index(
    Delivery.index(
        Delivery.store, unique=True, where=SQL("status = 'open'"), name="delivery_one_open"
    )
)


class DeliveryLine(BaseModel):
    """One scan or count of a delivery: a unit by its serial, a quantity, or a refusal.

    A refused scan is kept with what was scanned and why, on its own line, so the person
    (and the next one at the tablet) sees what to set aside; it is never received.
    """

    id = AutoField()
    # (delivery, serial) and (delivery, id) below serve the foreign key too.
    delivery = ForeignKeyField(Delivery, backref="lines", on_delete="CASCADE", index=False)
    product = ForeignKeyField(Product, null=True, on_delete="RESTRICT")
    serial = CharField(max_length=64, null=True)  # normalised; kept device lines only
    scanned = CharField(max_length=64, default="")  # as scanned or typed
    quantity = IntegerField(default=1, constraints=[Check("quantity BETWEEN 1 AND 9999")])
    refusal = CharField(max_length=300, default="")  # why it was refused; "" when kept
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField()

    class Meta:
        # A serial once per delivery, even when one scan is sent twice at once.
        indexes = ((("delivery", "serial"), True), (("delivery", "id"), False))


# A counted product has one line per delivery, whose quantity grows.
DeliveryLine.add_index(
    DeliveryLine.index(
        DeliveryLine.delivery,
        DeliveryLine.product,
        unique=True,
        where=SQL("serial IS NULL AND refusal = ''"),
        name="delivery_line_one_count",
    )
)


class LowStockLevel(BaseModel):
    """Below this many on the shelf, the manager's home shows the product as running low."""

    id = AutoField()
    store = ForeignKeyField(Store, on_delete="CASCADE", index=False)  # (store, product) serves it
    product = ForeignKeyField(Product, on_delete="CASCADE")
    level = IntegerField(constraints=[Check("level BETWEEN 0 AND 100000")])

    class Meta:
        indexes = ((("store", "product"), True),)
