"""Small builders for the world a test needs: a store, its staff, stock, customers."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from werkzeug.security import generate_password_hash

from kiosk import clock, policy
from kiosk.models import (
    Address,
    Customer,
    Device,
    DeviceEvent,
    Market,
    Product,
    ProductPrice,
    Registration,
    Sale,
    SaleLine,
    Staff,
    StockLevel,
    Store,
)

_seq = itertools.count(1)
# Hashing is deliberately slow; tests share one hash per secret.
_hashes: dict[str, str] = {}


def hashed(secret: str) -> str:
    if secret not in _hashes:
        _hashes[secret] = generate_password_hash(secret, method="pbkdf2:sha256:1000")
    return _hashes[secret]


def market(code: str = "SE", **fields: object) -> Market:
    """The market with this code, made the first time it is asked for (Sweden by default)."""
    found = Market.get_or_none(Market.code == code)
    if found is not None:
        return found
    defaults = {
        "code": code,
        "name": f"Market {code}",
        "currency": "SEK",
        "vat_rates": "2500,1200,600,0",
        "created_at": clock.now_utc(),
    }
    return Market.create(**(defaults | fields))


def store(**fields: object) -> Store:
    n = next(_seq)
    defaults = {
        "code": f"S{n:03d}",
        "name": f"Test store {n}",
        "timezone": "Europe/Stockholm",
        "created_at": clock.now_utc(),
    }
    if "market" not in fields:
        defaults["market"] = market()
    return Store.create(**(defaults | fields))


def staff(at: Store, *, role: str = "staff", pin: str | None = None, **fields: object) -> Staff:
    n = next(_seq)
    defaults = {
        "store": at,
        "username": f"staff{n}",
        "display_name": f"Staff {n}",
        "role": role,
        "password_hash": hashed("correct horse"),
        "pin_hash": hashed(pin or f"{1000 + n}"),
        "created_at": clock.now_utc(),
    }
    return Staff.create(**(defaults | fields))


def product(
    kind: str = "device",
    *,
    price: int | None = None,
    vat_rate: int = 2500,
    markets: list[Market] | None = None,
    **fields: object,
) -> Product:
    """A catalog item with the same price in every market there is (or in ``markets``)."""
    n = next(_seq)
    defaults = {
        "sku": f"SKU-{n}",
        "name": f"{kind.title()} {n}",
        "kind": kind,
        "age_restricted": kind != "accessory",
    }
    item = Product.create(**(defaults | fields))
    for where in markets if markets is not None else list(Market.select()) or [market()]:
        ProductPrice.create(
            product=item,
            market=where,
            price=price if price is not None else (49900 if kind == "device" else 6500),
            vat_rate=vat_rate,
        )
    return item


def product_price(item: Product, where: Market, price: int, vat_rate: int) -> ProductPrice:
    return ProductPrice.create(product=item, market=where, price=price, vat_rate=vat_rate)


def device(at: Store, model: Product, *, status: str = "in_stock", **fields: object) -> Device:
    n = next(_seq)
    defaults = {
        "serial": f"SN{n:08d}",
        "product": model,
        "store": at,
        "status": status,
        "received_at": clock.now_utc(),
    }
    unit = Device.create(**(defaults | fields))
    DeviceEvent.create(
        device=unit,
        event="received",
        store=at,
        status="in_stock",
        created_at=unit.received_at,
    )
    return unit


def stock(at: Store, item: Product, quantity: int = 50) -> StockLevel:
    return StockLevel.create(store=at, product=item, quantity=quantity)


def customer(**fields: object) -> Customer:
    n = next(_seq)
    now = clock.now_utc()
    defaults = {
        "email": f"customer{n}@example.com",
        "password_hash": hashed("customer password"),
        "name": f"Customer {n}",
        "birth_date": date(1990, 1, 1),
        "terms_accepted_at": now,
        "created_at": now,
    }
    return Customer.create(**(defaults | fields))


def registration(at: Store, owner: Customer | None, unit: Device, **fields: object) -> Registration:
    today = clock.today_in(at.timezone)
    defaults = {
        "customer": owner,
        "store": at,
        "purchase_date": today,
        "registration_date": today,
        "source": "counter",
        "created_at": clock.now_utc(),
    }
    reg = Registration.create(**(defaults | fields))
    unit.registration = reg
    unit.status = "sold"
    unit.first_registered_at = clock.now_utc()
    unit.save()
    return reg


def sold_unit(
    at: Store, seller: Staff, model: Product, *, bought: date, **device_fields: object
) -> Device:
    """A unit we sold on ``bought`` at its price in the store's market: the sale and its
    line, nobody registered yet."""
    unit = device(at, model, status="sold", **device_fields)
    priced = ProductPrice.get((ProductPrice.product == model) & (ProductPrice.market == at.market))
    vat = policy.vat_of(priced.price, priced.vat_rate)
    sale = Sale.create(
        store=at,
        staff=seller,
        idempotency_key=f"sale-{unit.id}",
        tender="card",
        subtotal=priced.price,
        total=priced.price,
        vat_total=vat,
        created_at=datetime.combine(bought, datetime.min.time(), UTC) + timedelta(hours=12),
        local_date=bought,
    )
    SaleLine.create(
        sale=sale,
        product=model,
        device=unit,
        description=model.name,
        unit_price=priced.price,
        line_total=priced.price,
        vat_rate=priced.vat_rate,
        vat_amount=vat,
    )
    return unit


def address(owner: Customer, **fields: object) -> Address:
    now = clock.now_utc()
    defaults = {
        "customer": owner,
        "recipient": owner.name,
        "street": "Drottninggatan 1",
        "postal_code": "111 51",
        "city": "Stockholm",
        "country": "SE",
        "is_default": False,
        "created_at": now,
        "updated_at": now,
    }
    return Address.create(**(defaults | fields))
