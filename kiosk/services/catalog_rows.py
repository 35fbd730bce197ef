"""A catalog product as one row of columns: what the CSV file, its preview and the product
form share, so a rule about a product is written once.

A row is the product's columns as text (``sku``, ``kind``, ``name``, ``name_sv``,
``age_restricted``, ``min_age``, ``serial_pattern``, ``active``, ``successor_sku``, then
``price_SE``, ``vat_SE`` for each market). ``plan_row`` parses the columns a row gives,
lays them over what the catalog holds (a column the row leaves out keeps its value),
checks the rules that join columns, and answers the row's changes as (column, before,
after) in the canonical text that ``columns_of`` also exports, so an exported file read
back changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from .. import policy
from ..models import Device, Market, ModelSuccessor, Product, ProductName, ProductPrice, SaleLine
from .catalog import KINDS

# The languages a product's name is translated into; English is the chain's own name.
TRANSLATED = ("sv",)
BASE_COLUMNS = (
    "sku",
    "kind",
    "name",
    *(f"name_{language}" for language in TRANSLATED),
    "age_restricted",
    "min_age",
    "serial_pattern",
    "active",
    "successor_sku",
)
MIN_AGE_RANGE = (16, 30)
YES = {"yes", "y", "true", "1", "ja", "j", "x"}
NO = {"no", "n", "false", "0", "nej"}


def market_columns(markets: list[Market]) -> list[str]:
    return [column for m in markets for column in (f"price_{m.code}", f"vat_{m.code}")]


def columns(markets: list[Market]) -> list[str]:
    """Every column a catalog file may have, in the order the export writes them."""
    return [*BASE_COLUMNS, *market_columns(markets)]


@dataclass
class Snapshot:
    """What the catalog holds, read in a fixed number of queries (each by SKU)."""

    markets: list[Market]
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # sku -> typed columns
    ids: dict[str, int] = field(default_factory=dict)
    sold: set[str] = field(default_factory=set)  # SKUs with units or sale lines: kind stays

    @property
    def by_code(self) -> dict[str, Market]:
        return {m.code: m for m in self.markets}


def load_snapshot(markets: list[Market] | None = None, only: list[str] | None = None) -> Snapshot:
    """The catalog (or only the products with these SKUs) as rows of typed columns."""
    markets = markets if markets is not None else list(Market.select().order_by(Market.code))
    snap = Snapshot(markets=markets)
    code_of = {m.id: m.code for m in markets}
    sku_of: dict[int, str] = {}
    # Tuples, not model instances: a 5,000-product file reads the whole catalog twice.
    products = Product.select(
        Product.id,
        Product.sku,
        Product.kind,
        Product.name,
        Product.age_restricted,
        Product.min_age,
        Product.serial_pattern,
        Product.is_active,
    ).order_by(Product.sku)
    if only is not None:
        products = products.where(Product.sku.in_(only))
    empty = {f"name_{language}": "" for language in TRANSLATED}
    empty |= {column: None for column in market_columns(markets)}
    for product_id, sku, kind, name, restricted, min_age, pattern, active in products.tuples():
        sku_of[product_id] = sku
        snap.ids[sku] = product_id
        snap.rows[sku] = {
            "sku": sku,
            "kind": kind,
            "name": name,
            "age_restricted": restricted,
            "min_age": min_age,
            "serial_pattern": pattern or "",
            "active": active,
            "successor_sku": (),
        } | empty
    if only is not None and not sku_of:
        return snap

    def of_these(query: Any, column: Any) -> Any:
        return query.where(column.in_(list(sku_of))) if only is not None else query

    names = ProductName.select(ProductName.product, ProductName.language, ProductName.name).where(
        ProductName.language.in_(TRANSLATED)
    )
    for product_id, language, name in of_these(names, ProductName.product).tuples():
        snap.rows[sku_of[product_id]][f"name_{language}"] = name
    prices = ProductPrice.select(
        ProductPrice.product, ProductPrice.market, ProductPrice.price, ProductPrice.vat_rate
    )
    for product_id, market_id, price, vat_rate in of_these(prices, ProductPrice.product).tuples():
        code = code_of.get(market_id)
        if code is not None:
            row = snap.rows[sku_of[product_id]]
            row[f"price_{code}"], row[f"vat_{code}"] = price, vat_rate
    successor = Product.alias()
    successors: dict[str, list[str]] = {}
    links = ModelSuccessor.select(ModelSuccessor.product, successor.sku).join(
        successor, on=(ModelSuccessor.successor == successor.id)
    )
    for product_id, successor_sku in of_these(links, ModelSuccessor.product).tuples():
        successors.setdefault(sku_of[product_id], []).append(successor_sku)
    for sku, skus in successors.items():
        snap.rows[sku]["successor_sku"] = tuple(sorted(skus))
    for query in (
        of_these(Device.select(Device.product), Device.product),
        of_these(SaleLine.select(SaleLine.product), SaleLine.product).where(
            SaleLine.product.is_null(False)
        ),
    ):
        snap.sold.update(sku_of[product_id] for (product_id,) in query.distinct().tuples())
    return snap


def text_of(column: str, value: Any) -> str:
    """A typed column value as its canonical text (what the export writes)."""
    if value is None:
        return ""
    if column in ("age_restricted", "active"):
        return "yes" if value else "no"
    if column == "successor_sku":
        return " ".join(value)
    if column.startswith("price_"):
        return policy.money_text(value)
    if column.startswith("vat_"):
        return policy.vat_percent_text(value)
    return str(value)


def columns_of(row: dict[str, Any], cols: list[str]) -> dict[str, str]:
    return {column: text_of(column, row.get(column)) for column in cols}


def _boolean(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    raise ValueError(text)


def _parse(column: str, text: str, markets: dict[str, Market]) -> Any:
    """One column's text as its typed value; ValueError carries the message for the column."""
    text = text.strip()
    if column == "sku":
        try:
            return policy.normalise_sku(text)
        except ValueError as err:
            raise ValueError(
                _l("A SKU is 1 to 32 letters A-Z, digits, dots, dashes or slashes.")
            ) from err
    if column == "kind":
        if not text:
            return None  # kept as it is; a new product must have one
        if text.lower() not in KINDS:
            raise ValueError(_l("The kind is device, consumable or accessory."))
        return text.lower()
    if column == "name" or column.startswith("name_"):
        if len(text) > 120:
            raise ValueError(_l("A name has at most 120 characters."))
        if column == "name" and not text:
            return None  # kept as it is; a new product must have one
        return text
    if column in ("age_restricted", "active"):
        if not text:
            return None  # the default: by kind, or active
        try:
            return _boolean(text)
        except ValueError as err:
            raise ValueError(_l("Write yes or no.")) from err
    if column == "min_age":
        if not text:
            return None
        low, high = MIN_AGE_RANGE
        # ASCII only: "²" is a digit to str.isdigit() but not a number to int().
        if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
            raise ValueError(
                _l("A minimum age is a whole number from %(low)s to %(high)s.", low=low, high=high)
            )
        return int(text)
    if column == "serial_pattern":
        if text:
            try:
                policy.check_serial_pattern(text)
            except ValueError as err:
                raise ValueError(
                    _l("Not a serial format we can use: %(reason)s", reason=str(err))
                ) from err
        return text
    if column == "successor_sku":
        try:
            return tuple(sorted({policy.normalise_sku(part) for part in text.split()}))
        except ValueError as err:
            raise ValueError(_l("Successors are SKUs separated by spaces.")) from err
    if column.startswith("price_"):
        if not text:
            return None
        try:
            return policy.parse_money(text)
        except ValueError as err:
            raise ValueError(_l("A price is a number such as 499 or 499.90.")) from err
    if column.startswith("vat_"):
        if not text:
            return None
        market = markets[column.removeprefix("vat_")]
        try:
            rate = policy.parse_vat_percent(text)
        except ValueError:
            rate = -1
        if rate not in market.rates:
            raise ValueError(
                _l(
                    "The VAT rate in %(market)s is one of %(rates)s (per cent).",
                    market=market.code,
                    rates=", ".join(policy.vat_percent_text(r) for r in market.rates),
                )
            )
        return rate
    raise ValueError(_l("Unknown column."))


@dataclass
class RowPlan:
    """One row's fate: new, changed, unchanged or refused, and why."""

    line: int
    sku: str
    status: str = "unchanged"  # new | changed | unchanged | error
    values: dict[str, Any] = field(default_factory=dict)  # the product after the row
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)


def new_row_defaults(markets: list[Market]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "sku": "",
        "kind": None,
        "name": None,
        "age_restricted": None,
        "min_age": None,
        "serial_pattern": "",
        "active": None,
        "successor_sku": (),
    }
    row |= {f"name_{language}": "" for language in TRANSLATED}
    return row | {column: None for column in market_columns(markets)}


def plan_row(line: int, raw: dict[str, str], snap: Snapshot) -> RowPlan:
    """Parse the columns given, lay them over the catalog's row, and check the whole."""
    markets = snap.by_code
    plan = RowPlan(line=line, sku=raw.get("sku", "").strip().upper())
    given: dict[str, Any] = {}
    for column, text in raw.items():
        try:
            given[column] = _parse(column, text or "", markets)
        except ValueError as err:
            plan.errors.append((column, str(err.args[0])))
    if plan.errors:
        plan.status = "error"
        return plan
    sku = given["sku"]
    plan.sku = sku
    current = snap.rows.get(sku)
    row = dict(current) if current is not None else new_row_defaults(snap.markets)
    for column, value in given.items():
        if column in ("kind", "name", "age_restricted", "active") and value is None:
            continue  # an empty cell where a value is always needed: keep it
        row[column] = value
    if current is None:
        for column in ("kind", "name"):
            if row[column] is None:
                plan.errors.append(
                    (column, str(_l("A new product needs a %(column)s.", column=column)))
                )
    # An empty cell: the default for a new product, the value as it is for one we have.
    if row["age_restricted"] is None:
        row["age_restricted"] = row["kind"] != "accessory"
    if row["active"] is None:
        row["active"] = True
    for market in snap.markets:
        price_col, vat_col = f"price_{market.code}", f"vat_{market.code}"
        if row[price_col] is None:
            if given.get(vat_col) is not None:
                plan.errors.append(
                    (
                        vat_col,
                        str(_l("A VAT rate needs a price in %(market)s.", market=market.code)),
                    )
                )
            row[vat_col] = None
        elif row[vat_col] is None:
            row[vat_col] = market.rates[0]  # the market's standard rate
    plan.errors += _rules(row, current, sku in snap.sold)
    plan.values = row
    if plan.errors:
        plan.status = "error"
    elif current is None:
        plan.status = "new"
    else:
        plan.changes = [
            (column, text_of(column, current[column]), text_of(column, row[column]))
            for column in row
            if current[column] != row[column]  # both typed alike: the same text, the same value
        ]
        plan.status = "changed" if plan.changes else "unchanged"
    return plan


def _rules(
    row: dict[str, Any], current: dict[str, Any] | None, sold: bool
) -> list[tuple[str, str]]:
    """The rules that join columns (SPEC §2: devices and consumables are age-restricted)."""
    errors: list[tuple[str, str]] = []
    kind = row["kind"]
    if kind is None:
        return errors
    if kind != "accessory" and not row["age_restricted"]:
        errors.append(
            ("age_restricted", str(_l("Devices and consumables are always age-restricted.")))
        )
    if row["min_age"] is not None and not row["age_restricted"]:
        errors.append(("min_age", str(_l("A minimum age needs an age-restricted product."))))
    if kind != "device":
        if row["serial_pattern"]:
            errors.append(("serial_pattern", str(_l("Only a device model has a serial format."))))
        if row["successor_sku"]:
            errors.append(("successor_sku", str(_l("Only a device model has successors."))))
    if row["sku"] in row["successor_sku"]:
        errors.append(("successor_sku", str(_l("A model cannot be its own successor."))))
    if current is not None and sold and current["kind"] != kind:
        errors.append(
            (
                "kind",
                str(
                    _l(
                        "This product has been sold or has units: its kind stays %(kind)s.",
                        kind=current["kind"],
                    )
                ),
            )
        )
    return errors


def check_successors(plans: list[RowPlan], snap: Snapshot) -> None:
    """Successors must be device models, in the catalog or in the same file."""
    kinds = {sku: row["kind"] for sku, row in snap.rows.items()}
    kinds |= {p.sku: p.values.get("kind") for p in plans if p.status != "error"}
    wanted = {s for p in plans if p.status != "error" for s in p.values["successor_sku"]}
    if wanted - set(kinds):  # a snapshot of part of the catalog: ask for the rest
        kinds |= dict(
            Product.select(Product.sku, Product.kind)
            .where(Product.sku.in_(list(wanted - set(kinds))))
            .tuples()
        )
    for plan in plans:
        if plan.status == "error":
            continue
        for successor in plan.values["successor_sku"]:
            if successor not in kinds:
                plan.errors.append(
                    ("successor_sku", str(_l("No product has the SKU %(sku)s.", sku=successor)))
                )
            elif kinds[successor] != "device":
                plan.errors.append(
                    ("successor_sku", str(_l("%(sku)s is not a device model.", sku=successor)))
                )
        if plan.errors:
            plan.status = "error"
