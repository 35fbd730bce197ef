"""What a store holds: stock per product, the low-stock levels, and where any unit is.

Every page here reads a fixed number of queries whatever the size of the chain: counts
are grouped in the database and put together per store and product in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from peewee import JOIN, fn

from .. import clock, policy
from ..db import write_transaction
from ..formatting import contact_masked
from ..models import (
    Customer,
    Delivery,
    DeliveryLine,
    Device,
    DeviceEvent,
    LowStockLevel,
    Product,
    Registration,
    Sale,
    SaleLine,
    Staff,
    StockLevel,
    Store,
)
from . import DomainError, audit, catalog, unit_life
from .swaps import typed_serial

MAX_LEVEL = 100000


@dataclass
class StockRow:
    """One product in one store."""

    store: Store
    product_id: int
    sku: str
    name: str
    kind: str
    in_stock: int = 0
    sold_today: int = 0
    waiting: int = 0  # swapped out or returned, to go back to the maker
    level: int | None = None

    @property
    def low(self) -> bool:
        return policy.below_low_stock(self.in_stock, self.level)


def overview(stores: list[Store], language: str) -> list[StockRow]:
    """Per store and product: in stock, sold today (the store's own today), waiting to go
    back to the maker, and the low-stock level. Active products, and any other the store
    still holds; five queries whatever the number of stores and products."""
    ids = [s.id for s in stores]
    name = catalog.local_name()
    products = {
        p.id: p
        for p in catalog.with_local_name(
            Product.select(
                Product.id, Product.sku, Product.kind, Product.is_active, name.alias("name")
            ),
            language,
        ).objects()
    }
    numbers: dict[tuple[int, int], dict[str, int]] = {}

    def add(store_id: int, product_id: int, what: str, n: int) -> None:
        numbers.setdefault((store_id, product_id), {})[what] = (
            numbers.get((store_id, product_id), {}).get(what, 0) + n
        )

    units = (
        Device.select(
            Device.store.alias("store_id"),
            Device.product.alias("product_id"),
            Device.status.alias("status"),
            fn.COUNT(Device.id).alias("n"),
        )
        .where(Device.store.in_(ids) & Device.status.in_(("in_stock", *policy.WAITING_FOR_MAKER)))
        .group_by(Device.store, Device.product, Device.status)
        .dicts()
    )
    for row in units:
        what = "in_stock" if row["status"] == "in_stock" else "waiting"
        add(row["store_id"], row["product_id"], what, row["n"])
    for level in StockLevel.select().where(StockLevel.store.in_(ids)):
        add(level.store_id, level.product_id, "in_stock", level.quantity)
    for row in _sold_on_local_day(stores):
        add(row["store_id"], row["product_id"], "sold_today", int(row["n"]))
    levels = {
        (row.store_id, row.product_id): row.level
        for row in LowStockLevel.select().where(LowStockLevel.store.in_(ids))
    }
    rows = []
    for store in stores:
        for product in products.values():
            key = (store.id, product.id)
            counted = numbers.get(key, {})
            if not product.is_active and not any(counted.values()):
                continue
            rows.append(
                StockRow(
                    store=store,
                    product_id=product.id,
                    sku=product.sku,
                    name=product.name,
                    kind=product.kind,
                    level=levels.get(key),
                    **counted,
                )
            )
    rows.sort(key=lambda r: (r.store.name, catalog.KINDS.index(r.kind), r.name))
    return rows


def _sold_on_local_day(stores: list[Store]) -> list[dict]:
    """Units and items sold per store and product on each store's own today."""
    if not stores:
        return []
    today: dict[date, list[int]] = {}
    for store in stores:
        today.setdefault(clock.today_in(store.timezone), []).append(store.id)
    on_their_day = None
    for day, ids in today.items():
        clause = Sale.store.in_(ids) & (Sale.local_date == day)
        on_their_day = clause if on_their_day is None else (on_their_day | clause)
    return list(
        SaleLine.select(
            Sale.store.alias("store_id"),
            SaleLine.product.alias("product_id"),
            fn.SUM(SaleLine.quantity).alias("n"),
        )
        .join(Sale)
        .where(on_their_day & SaleLine.product.is_null(False) & (SaleLine.kind != "discount"))
        .group_by(Sale.store, SaleLine.product)
        .dicts()
    )


@dataclass(frozen=True)
class LowStock:
    """A product under its store's low-stock level: what the "Running low" notice names."""

    store: Store
    product_id: int
    name: str
    in_stock: int
    level: int


def low_stock(stores: list[Store], language: str) -> list[LowStock]:
    """The products under their store's low-stock level, for the manager's home.

    Only a product with a level can run low: one read of the levels with their product's
    name and stock on hand, where ``overview`` takes five reads of every product. A
    discontinued product the store no longer holds is not in the overview (nor low there);
    only such a rare case asks the overview which of those it still shows.
    """
    ids = [s.id for s in stores]
    units = Device.select(fn.COUNT(Device.id)).where(
        (Device.store == LowStockLevel.store)
        & (Device.product == LowStockLevel.product)
        & (Device.status == "in_stock")
    )
    items = StockLevel.select(fn.COALESCE(fn.SUM(StockLevel.quantity), 0)).where(
        (StockLevel.store == LowStockLevel.store) & (StockLevel.product == LowStockLevel.product)
    )
    rows = catalog.with_local_name(
        LowStockLevel.select(
            LowStockLevel.store,
            LowStockLevel.product,
            LowStockLevel.level,
            Product.kind,
            Product.is_active,
            catalog.local_name(),
            units,
            items,
        ).join(Product),
        language,
    ).where(LowStockLevel.store.in_(ids))
    by_id = {s.id: s for s in stores}
    low: list[tuple[LowStock, str]] = []
    gone: set[tuple[int, int]] = set()
    for store_id, product_id, level, kind, is_active, name, n_units, n_items in rows.tuples():
        row = LowStock(by_id[store_id], product_id, name, int(n_units) + int(n_items), level)
        if policy.below_low_stock(row.in_stock, row.level):
            low.append((row, kind))
            if not is_active and not row.in_stock:
                gone.add((store_id, product_id))
    if gone:
        # Rare: a discontinued product with none left; the overview says if the store shows it.
        hidden = gone - {(r.store.id, r.product_id) for r in overview(stores, language)}
        low = [(r, kind) for r, kind in low if (r.store.id, r.product_id) not in hidden]
    low.sort(key=lambda pair: (pair[0].store.name, catalog.KINDS.index(pair[1]), pair[0].name))
    return [row for row, _kind in low]


def set_low_level(store: Store, product_id: int, level: int | None, *, by: Staff) -> None:
    """The level under which the product counts as running low in the store (None or 0: no
    signal). Audited: it decides what the manager is warned about."""
    if level is not None and not 0 <= level <= MAX_LEVEL:
        raise DomainError(
            _("A low-stock level is from 0 to %(max)d.", max=MAX_LEVEL), field="level", status=422
        )
    if not Product.select().where(Product.id == product_id).exists():
        raise DomainError(_("That product is not in the catalog."), field="level", status=404)
    with write_transaction():
        if level is None:
            LowStockLevel.delete().where(
                (LowStockLevel.store == store) & (LowStockLevel.product == product_id)
            ).execute()
        else:
            LowStockLevel.insert(store=store, product=product_id, level=level).on_conflict(
                conflict_target=[LowStockLevel.store, LowStockLevel.product],
                update={LowStockLevel.level: level},
            ).execute()
        audit.record(
            "stock.low_level_changed",
            store=store,
            staff=by,
            product_id=product_id,
            level=level,
        )


@dataclass(frozen=True)
class UnitLife:
    """A unit, where it is now, who has it (masked), and every step of its life."""

    device: Device
    model: str
    owner: str | None  # the customer's masked email
    steps: list[DeviceEvent]


def life(raw_serial: str, language: str) -> UnitLife:
    """Any serial, typed or scanned in any form, anywhere in the chain."""
    serial = typed_serial(raw_serial)
    device = (
        Device.select(Device, Product, Store)
        .join(Product)
        .switch(Device)
        .join(Store)
        .where(Device.serial == serial)
        .first()
    )
    if device is None:
        raise DomainError(
            _("No unit with serial %(serial)s in the chain.", serial=serial),
            field="serial",
            status=404,
        )
    owner = None
    if device.registration_id:
        found = (
            Customer.select(Customer.email, Customer.mobile)
            .join(Registration, JOIN.INNER, on=(Registration.customer == Customer.id))
            .where(Registration.id == device.registration_id)
            .tuples()
            .first()
        )
        owner = contact_masked(*found) if found else None
    return UnitLife(
        device=device,
        model=catalog.name_in(device.product, language),
        owner=owner,
        steps=unit_life.life_of(device),
    )


# --- For the delivery screens ---------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """How many of one product the delivery holds so far."""

    product_id: int
    name: str
    kind: str
    quantity: int


@dataclass(frozen=True)
class Tally:
    """The running count per model and counted product, and how many scans were refused."""

    counts: list[Count]
    refused: int

    def name_of(self, product_id: int | None) -> str:
        return next((c.name for c in self.counts if c.product_id == product_id), "")


def tally(delivery: Delivery, language: str) -> Tally:
    """One query: kept lines grouped by product, refused ones (no product) by themselves."""
    name = catalog.local_name()
    query = catalog.with_local_name(
        DeliveryLine.select(
            Product.id.alias("product_id"),
            Product.kind.alias("kind"),
            name.alias("name"),
            fn.SUM(DeliveryLine.quantity).alias("quantity"),
        ).join(Product, JOIN.LEFT_OUTER),
        language,
    ).where(DeliveryLine.delivery == delivery)
    counts, refused = [], 0
    for row in query.group_by(Product.id, Product.kind, name).dicts():
        if row["product_id"] is None:
            refused = int(row["quantity"])
        else:
            counts.append(Count(**{**row, "quantity": int(row["quantity"])}))
    counts.sort(key=lambda c: (catalog.KINDS.index(c.kind), c.name))
    return Tally(counts, refused)


def lines(delivery: Delivery, language: str) -> list[DeliveryLine]:
    """Every line, newest first, each with ``name`` (its product's, in ``language``)."""
    query = catalog.with_local_name(
        DeliveryLine.select(DeliveryLine, catalog.local_name().alias("name")).join(
            Product, join_type=JOIN.LEFT_OUTER
        ),
        language,
    )
    return list(
        query.where(DeliveryLine.delivery == delivery).order_by(DeliveryLine.id.desc()).objects()
    )


def device_models(language: str) -> list[tuple[int, str]]:
    """The active device models, for "the model" when a serial fits several formats."""
    return _choices("device", language)


def counted_products(language: str) -> list[tuple[int, str]]:
    """The active consumables and accessories, which come in by quantity."""
    return _choices("counted", language)


def _choices(which: str, language: str) -> list[tuple[int, str]]:
    name = catalog.local_name()
    kinds = Product.kind == "device" if which == "device" else Product.kind != "device"
    query = catalog.with_local_name(Product.select(Product.id, name.alias("name")), language)
    rows = query.where(kinds & (Product.is_active == True)).order_by(name).objects()  # noqa: E712
    return [(row.id, row.name) for row in rows]


def recent_deliveries(store: Store, limit: int = 8) -> list[Delivery]:
    """The store's last received deliveries, newest first, with who received each."""
    return list(
        Delivery.select(Delivery, Staff)
        .join(Staff, join_type=JOIN.LEFT_OUTER, on=(Delivery.received_by == Staff.id))
        .where((Delivery.store == store) & (Delivery.status == "received"))
        .order_by(Delivery.received_at.desc())
        .limit(limit)
    )
