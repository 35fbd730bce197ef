"""Keeping the catalog: the admin's product form, deleting what never sold, the list, and
writing planned rows (one product from the form, thousands from a file) in bulk.

Prices and names per market and language are separate rows, so a product is written as a
handful of bulk statements whatever the number of products; one audit event per product
created or changed says which columns changed from what to what.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError, fn
from psycopg2.extras import execute_batch

from .. import clock
from ..db import bulk_insert, is_postgres, write_transaction
from ..extensions import db
from ..models import (
    AuditEvent,
    CartLine,
    Market,
    ModelSuccessor,
    Product,
    ProductName,
    ProductPrice,
    Staff,
    StockLevel,
)
from . import DomainError, FieldErrors, audit
from .catalog_rows import (
    TRANSLATED,
    RowPlan,
    Snapshot,
    check_successors,
    columns,
    load_snapshot,
    plan_row,
)

BATCH = 500  # rows per multi-row INSERT: well under both databases' parameter limits
PAGE_SIZE = 50


# PostgreSQL only: writers of the catalog queue on this lock, so a product form saved while
# a file is imported cannot slip between the import's read and its writes (SQLite's BEGIN
# IMMEDIATE already queues every writer).
CATALOG_LOCK_ID = 0x4B494F534B4341  # "KIOSKCA"


def lock_catalog() -> None:
    """Inside a write transaction: the catalog is ours until it commits."""
    if is_postgres():
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (CATALOG_LOCK_ID,))


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


PRODUCT_FIELDS = ("sku", "name", "kind", "age_restricted", "min_age", "serial_pattern", "is_active")
PRODUCT_COLUMNS = {"name", "kind", "age_restricted", "min_age", "serial_pattern", "active"}


def _product_values(row: dict[str, Any]) -> tuple:
    return (
        row["sku"],
        row["name"],
        row["kind"],
        row["age_restricted"],
        row["min_age"],
        row["serial_pattern"] or None,
        row["active"],
    )


def _product_row(row: dict[str, Any]) -> dict[str, Any]:
    return dict(zip(PRODUCT_FIELDS, _product_values(row), strict=True))


def _execute_many(sql: str, rows: list[tuple]) -> None:
    """One UPDATE, many rows, without building each row's SQL in Python (as for
    ``db.bulk_insert``: Peewee would spend most of a 5,000-product import on it)."""
    if not rows:
        return
    cursor = db.cursor()
    if is_postgres():
        execute_batch(cursor, sql.replace("?", "%s"), rows, page_size=BATCH)
    else:
        cursor.executemany(sql, rows)


def apply_plans(plans: list[RowPlan], snap: Snapshot, *, by: Staff, source: dict) -> dict:
    """Write the new and changed rows of a plan (in the caller's transaction)."""
    new = [p for p in plans if p.status == "new"]
    changed = [p for p in plans if p.status == "changed"]
    ids = dict(snap.ids)
    bulk_insert(Product, [_product_row(p.values) for p in new])
    for batch in _chunks([p.sku for p in new]):
        ids |= dict(Product.select(Product.sku, Product.id).where(Product.sku.in_(batch)).tuples())
    updates = [
        (*_product_values(p.values)[1:], ids[p.sku])
        for p in changed
        if {column for column, _before, _after in p.changes} & PRODUCT_COLUMNS
    ]
    sets = ", ".join(f'"{Product._meta.fields[f].column_name}" = ?' for f in PRODUCT_FIELDS[1:])
    _execute_many(f'UPDATE "product" SET {sets} WHERE "id" = ?', updates)  # noqa: S608
    _write_names(new, changed, ids)
    _write_prices(new, changed, ids, snap)
    _write_successors(new, changed, ids)
    now = clock.now_utc()
    events = [
        dict(
            created_at=now,
            action="catalog.product_created" if p.status == "new" else "catalog.product_changed",
            staff=by.id,
            subject_type="product",
            subject_id=ids[p.sku],
            details=json.dumps(
                source
                | (
                    {"sku": p.sku}
                    if p.status == "new"
                    else {"sku": p.sku, "changes": {c: [old, new] for c, old, new in p.changes}}
                ),
                sort_keys=True,
            ),
        )
        for p in new + changed
    ]
    bulk_insert(AuditEvent, events)
    return {"new": len(new), "changed": len(changed), "ids": ids}


def _touching(changed: list[RowPlan], *columns: str) -> list[RowPlan]:
    return [p for p in changed if any(c in columns for c, _b, _a in p.changes)]


def _write_names(new: list[RowPlan], changed: list[RowPlan], ids: dict[str, int]) -> None:
    for language in TRANSLATED:
        column = f"name_{language}"
        redo = _touching(changed, column)
        for batch in _chunks([ids[p.sku] for p in redo]):
            ProductName.delete().where(
                ProductName.product.in_(batch) & (ProductName.language == language)
            ).execute()
        rows = [
            {"product": ids[p.sku], "language": language, "name": p.values[column]}
            for p in new + redo
            if p.values[column]
        ]
        bulk_insert(ProductName, rows)


def _write_prices(
    new: list[RowPlan], changed: list[RowPlan], ids: dict[str, int], snap: Snapshot
) -> None:
    """A price that stays is updated in place; one that comes is inserted, one that goes is
    deleted (a product without a price in a market is not sold there)."""
    for market in snap.markets:
        price, vat = f"price_{market.code}", f"vat_{market.code}"
        added, updated, removed = [], [], []
        for plan in _touching(changed, price, vat):
            had = snap.rows[plan.sku][price] is not None
            has = plan.values[price] is not None
            key = (ids[plan.sku], market.id)
            if had and has:
                updated.append((plan.values[price], plan.values[vat], *key))
            elif has:
                added.append(plan)
            else:
                removed.append(key)
        _execute_many(
            'UPDATE "product_price" SET "price" = ?, "vat_rate" = ? '
            'WHERE "product_id" = ? AND "market_id" = ?',
            updated,
        )
        _execute_many(
            'DELETE FROM "product_price" WHERE "product_id" = ? AND "market_id" = ?', removed
        )
        rows = [
            {
                "product": ids[p.sku],
                "market": market.id,
                "price": p.values[price],
                "vat_rate": p.values[vat],
            }
            for p in new + added
            if p.values[price] is not None
        ]
        bulk_insert(ProductPrice, rows)


def _write_successors(new: list[RowPlan], changed: list[RowPlan], ids: dict[str, int]) -> None:
    redo = _touching(changed, "successor_sku")
    for batch in _chunks([ids[p.sku] for p in redo]):
        ModelSuccessor.delete().where(ModelSuccessor.product.in_(batch)).execute()
    wanted = {s for p in new + redo for s in p.values["successor_sku"]} - set(ids)
    if wanted:  # models outside a partial snapshot (the product form reads one product)
        ids = ids | dict(
            Product.select(Product.sku, Product.id).where(Product.sku.in_(list(wanted))).tuples()
        )
    rows = [
        {"product": ids[p.sku], "successor": ids[s]}
        for p in new + redo
        for s in p.values["successor_sku"]
    ]
    bulk_insert(ModelSuccessor, rows)


def save_product(product: Product | None, raw: dict[str, str], *, by: Staff) -> Product:
    """The product form: create (``product`` None) or change one product, every column."""
    if product is not None:
        raw = raw | {"sku": product.sku}  # the key of the CSV and of printed labels stays
    try:
        with write_transaction():
            lock_catalog()
            markets = list(Market.select().order_by(Market.code))
            sku = raw.get("sku", "").strip().upper()
            snap = load_snapshot(markets, only=[sku])
            plan = plan_row(0, raw, snap)
            if not raw.get("name", "").strip():  # a file's empty cell keeps it, a form's not
                plan.errors.insert(0, ("name", str(_l("Type the product's name."))))
            if product is None and plan.status not in ("new", "error"):
                plan.errors.append(("sku", str(_l("There is already a product with that SKU."))))
            check_successors([plan], snap)
            if plan.errors:
                raise FieldErrors(dict(reversed(plan.errors)))
            done = apply_plans([plan], snap, by=by, source={"via": "form"})
    except IntegrityError as err:
        raise FieldErrors({"sku": str(_l("There is already a product with that SKU."))}) from err
    return Product.get_by_id(done["ids"][plan.sku])


def product_row(product: Product) -> dict[str, str]:
    """The product's columns as the form shows them."""
    from .catalog_rows import columns_of

    snap = load_snapshot(only=[product.sku])
    return columns_of(snap.rows[product.sku], columns(snap.markets))


def has_history(product: Product) -> bool:
    """Sold, units, stock or in a cart: such a product is deactivated, never deleted."""
    snap = load_snapshot([], only=[product.sku])
    in_stock = StockLevel.select().where(
        (StockLevel.product == product) & (StockLevel.quantity > 0)
    )
    in_cart = CartLine.select().where(CartLine.product == product)
    return product.sku in snap.sold or in_stock.exists() or in_cart.exists()


def delete_product(product: Product, *, by: Staff) -> None:
    refusal = DomainError(
        str(
            _l(
                "%(sku)s has been sold, has units or is in a cart: deactivate it instead.",
                sku=product.sku,
            )
        ),
        status=409,
    )
    try:
        with write_transaction():
            lock_catalog()
            if has_history(product):
                raise refusal
            ProductName.delete().where(ProductName.product == product).execute()
            ProductPrice.delete().where(ProductPrice.product == product).execute()
            ModelSuccessor.delete().where(
                (ModelSuccessor.product == product) | (ModelSuccessor.successor == product)
            ).execute()
            StockLevel.delete().where(StockLevel.product == product).execute()
            Product.delete().where(Product.id == product.id).execute()
            audit.record("catalog.product_deleted", staff=by, subject=product, sku=product.sku)
    except IntegrityError as err:  # sold or put in a cart while we looked
        raise refusal from err


@dataclass
class CatalogPage:
    rows: list[Product]  # each with .prices {market_id: ProductPrice} and .local_name
    total: int
    page: int
    pages: int


def catalog_page(
    *,
    query: str = "",
    kind: str = "",
    status: str = "",
    market: Market | None = None,
    language: str = "en",
    page: int = 1,
) -> CatalogPage:
    """One page of the catalog, filtered; prices of every market (or one), in 3 queries."""
    local = fn.COALESCE(ProductName.name, Product.name)
    products = Product.select(Product, local.alias("local_name")).join(
        ProductName,
        JOIN.LEFT_OUTER,
        on=(ProductName.product == Product.id) & (ProductName.language == language),
    )
    if query.strip():
        like = f"%{query.strip()[:40]}%"
        products = products.where((Product.sku**like) | (Product.name**like) | (local**like))
    if kind:
        products = products.where(Product.kind == kind)
    if status in ("active", "inactive"):
        products = products.where(Product.is_active == (status == "active"))
    total = products.count()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = list(products.order_by(Product.kind, Product.sku).paginate(page, PAGE_SIZE))
    prices = ProductPrice.select().where(ProductPrice.product.in_([p.id for p in rows]))
    if market is not None:
        prices = prices.where(ProductPrice.market == market)
    by_product: dict[int, dict[int, ProductPrice]] = {}
    for price in prices:
        by_product.setdefault(price.product_id, {})[price.market_id] = price
    for row in rows:
        row.market_prices = by_product.get(row.id, {})
    return CatalogPage(rows=rows, total=total, page=page, pages=pages)
