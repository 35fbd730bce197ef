"""Reading the catalog as a store sees it: its market's prices, its language's names.

A product is sellable in a store when it is active and has a price in the store's market;
its name is the store's language's name, or the chain's own name when none was given.
"""

from __future__ import annotations

from peewee import JOIN, Expression, Select, fn

from ..models import Product, ProductName, ProductPrice, Store

KINDS = ("device", "consumable", "accessory")


def _as_sold_in(store: Store):  # noqa: ANN202 - a Peewee query
    """Products priced in the store's market, named in its language (each row carries
    ``price`` and ``vat_rate`` of that market, and ``name`` in that language)."""
    name = fn.COALESCE(ProductName.name, Product.name)
    return (
        Product.select(
            Product.id,
            Product.sku,
            Product.kind,
            Product.age_restricted,
            Product.min_age,
            Product.is_active,
            name.alias("name"),
            ProductPrice.price,
            ProductPrice.vat_rate,
        )
        .join(
            ProductPrice,
            on=(ProductPrice.product == Product.id) & (ProductPrice.market == store.market_id),
        )
        .switch(Product)
        .join(
            ProductName,
            JOIN.LEFT_OUTER,
            on=(ProductName.product == Product.id) & (ProductName.language == store.language),
        )
    )


def sellable(store: Store, query: str = "", kind: str = "") -> list[Product]:
    """The active products a store can sell, for its product tiles and search."""
    name = fn.COALESCE(ProductName.name, Product.name)
    products = _as_sold_in(store).where(Product.is_active == True)  # noqa: E712
    if kind in KINDS:
        products = products.where(Product.kind == kind)
    if query:
        like = f"%{query.strip()[:40]}%"
        products = products.where((name**like) | (Product.sku**like))
    return list(products.order_by(Product.kind, name).objects())


def sellable_product(store: Store, product_id: int) -> Product | None:
    """One active product as the store sells it, or None when it is not for sale there."""
    return (
        _as_sold_in(store)
        .where((Product.id == product_id) & (Product.is_active == True))  # noqa: E712
        .objects()
        .first()
    )


def price_in(product: Product | int, store: Store) -> ProductPrice | None:
    """The product's price in the store's market, if it has one."""
    return ProductPrice.get_or_none(
        (ProductPrice.product == product) & (ProductPrice.market == store.market_id)
    )


def name_in(product: Product, language: str) -> str:
    """The product's name in a language, or the chain's own name."""
    translated = (
        ProductName.select(ProductName.name)
        .where((ProductName.product == product) & (ProductName.language == language))
        .scalar()
    )
    return translated or product.name


def local_name() -> Expression:
    """A product's name in the language ``with_local_name`` joined, or the chain's own name."""
    return fn.COALESCE(ProductName.name, Product.name)


def with_local_name(query: Select, language: str) -> Select:
    """``query`` (which reaches Product) joined to the product's name in ``language``."""
    return query.join_from(
        Product,
        ProductName,
        JOIN.LEFT_OUTER,
        on=(ProductName.product == Product.id) & (ProductName.language == language),
    )
