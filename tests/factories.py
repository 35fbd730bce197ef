"""Small builders for the world a test needs: a store, its staff, stock, customers."""

from __future__ import annotations

import itertools
from datetime import date

from werkzeug.security import generate_password_hash

from kiosk import clock
from kiosk.models import (
    Address,
    Customer,
    Device,
    Product,
    Registration,
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


def store(**fields: object) -> Store:
    n = next(_seq)
    defaults = {
        "code": f"S{n:03d}",
        "name": f"Test store {n}",
        "timezone": "Europe/Stockholm",
        "created_at": clock.now_utc(),
    }
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


def product(kind: str = "device", **fields: object) -> Product:
    n = next(_seq)
    defaults = {
        "sku": f"SKU-{n}",
        "name": f"{kind.title()} {n}",
        "kind": kind,
        "price": 49900 if kind == "device" else 6500,
        "vat_rate": 2500,
        "age_restricted": kind != "accessory",
    }
    return Product.create(**(defaults | fields))


def device(at: Store, model: Product, *, status: str = "in_stock", **fields: object) -> Device:
    n = next(_seq)
    defaults = {
        "serial": f"SN{n:08d}",
        "product": model,
        "store": at,
        "status": status,
        "received_at": clock.now_utc(),
    }
    return Device.create(**(defaults | fields))


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
