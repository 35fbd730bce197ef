"""The deterministic demo chain: stores in several time zones and months or years of trade.

The two documented stores (STO1 and LON1 with the staff in the README's "Demo sign-ins")
always come first; a bigger chain adds stores S001, S002, ... with a manager and two
staff each. Each store's history is drawn from its own random stream (seeded by the seed
and the store code), built in memory with explicit ids, bulk-inserted and dropped before
the next store is drawn, so memory follows one store's history, not the chain's. The whole
load is one transaction: a failure leaves the database empty. The same seed and the same
"today" give the same data.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from peewee import Model
from werkzeug.security import generate_password_hash

from . import clock, policy
from .db import bulk_insert, is_postgres, write_transaction
from .extensions import db
from .models import (
    AgeCheck,
    AuditEvent,
    Claim,
    ClaimToken,
    Customer,
    Device,
    DeviceEvent,
    LowStockLevel,
    Market,
    ModelSuccessor,
    Product,
    ProductName,
    ProductPrice,
    Registration,
    Sale,
    SaleLine,
    Shipment,
    ShipmentUnit,
    Staff,
    StockLevel,
    Store,
    Swap,
    SwapRefusal,
    Voucher,
)

DEMO_PASSWORD = "kiosk-demo"  # noqa: S105 - documented demo sign-in, demo data only

# code, name, currency, VAT rates in basis points (the standard rate first)
MARKETS = [
    ("SE", "Sweden", "SEK", "2500,1200,600,0"),
    ("GB", "United Kingdom", "GBP", "2000,500,0"),
    ("FI", "Finland", "EUR", "2550,1400,1000,0"),
    ("DE", "Germany", "EUR", "1900,700,0"),
]
STORES = [
    {
        "code": "STO1",
        "name": "Kiosk Stockholm Centrum",
        "timezone": "Europe/Stockholm",
        "language": "sv",
        "market": "SE",
        "address": "Drottninggatan 1, 111 51 Stockholm",
        "org_number": "556000-0001",
        "vat_number": "SE556000000101",
        "contact_phone": "08-123 456 78",
        "contact_email": "stockholm@kiosk.example",
        "opening_hours": "Mon–Fri 10–19\nSat 10–17\nSun 11–16",
    },
    {
        "code": "LON1",
        "name": "Kiosk London Soho",
        "timezone": "Europe/London",
        "language": "en",
        "market": "GB",
        "address": "1 Old Compton Street, London W1D 5JA",
        "org_number": "01234567",
        "vat_number": "GB123456789",
        "contact_phone": "020 7946 0123",
        "contact_email": "soho@kiosk.example",
        "opening_hours": "Mon–Sat 09–20\nSun 12–18",
    },
]
# The further stores of a bigger chain take these in turn: time zone, city, language, market.
CHAIN_ZONES = [
    ("Europe/Stockholm", "Stockholm", "sv", "SE"),
    ("Europe/London", "London", "en", "GB"),
    ("Europe/Helsinki", "Helsinki", "en", "FI"),
    ("Europe/Berlin", "Berlin", "en", "DE"),
]
# username, display name, role, PIN, store index
STAFF = [
    ("admin", "Alex Admin", "admin", "9999", 0),
    ("maja", "Maja Manager", "manager", "1111", 0),
    ("erik", "Erik Ek", "staff", "2222", 0),
    ("sara", "Sara Lind", "staff", "3333", 0),
    ("mark", "Mark Manager", "manager", "1111", 1),
    ("olivia", "Olivia Stone", "staff", "2222", 1),
    ("james", "James Reed", "staff", "3333", 1),
]
# The people of each further store: username after the store code, display name, role, PIN.
CHAIN_STAFF = [
    ("manager", "Manager", "manager", "1111"),
    ("staff1", "Staff One", "staff", "2222"),
    ("staff2", "Staff Two", "staff", "3333"),
]
# sku, name, Swedish name, kind, age_restricted, the serial code of a device model
CATALOG = [
    ("DEV-ONE", "Heat Device One", "Värmeenhet One", "device", True, "ON"),
    ("DEV-DUO", "Heat Device Duo", "Värmeenhet Duo", "device", True, "DU"),
    ("DEV-PRIME", "Heat Device Prime", "Värmeenhet Prime", "device", True, "PR"),
    ("DEV-PRIME2", "Heat Device Prime 2", "Värmeenhet Prime 2", "device", True, "P2"),
    (
        "CON-AMBER",
        "Tobacco sticks Amber, pack of 20",
        "Tobaksstift Amber, 20 st",
        "consumable",
        True,
        "",
    ),
    (
        "CON-TEAK",
        "Tobacco sticks Teak, pack of 20",
        "Tobaksstift Teak, 20 st",
        "consumable",
        True,
        "",
    ),
    (
        "CON-MINT",
        "Tobacco sticks Mint, pack of 20",
        "Tobaksstift Mint, 20 st",
        "consumable",
        True,
        "",
    ),
    ("ACC-CASE", "Holder case", "Fodral", "accessory", False, ""),
    ("ACC-CLEAN", "Cleaning sticks, 30", "Rengöringsstickor, 30 st", "accessory", False, ""),
    ("ACC-CABLE", "USB-C cable 1 m", "USB-C-kabel 1 m", "accessory", False, ""),
    ("ACC-CAR", "Car charger", "Billaddare", "accessory", False, ""),
]
# Prices VAT included, in each market's minor units, in CATALOG's order.
PRICES = {
    "SE": (49900, 79900, 99900, 109900, 6500, 6500, 6500, 29900, 9900, 14900, 24900),
    "GB": (3900, 5900, 7900, 8900, 550, 550, 550, 1900, 600, 900, 1500),
    "FI": (4900, 6900, 8900, 9900, 700, 700, 700, 2500, 800, 1200, 1900),
    "DE": (4900, 6900, 8900, 9900, 700, 700, 700, 2500, 800, 1200, 1900),
}
FAULT_CODES = ("NO_HEAT", "BATTERY", "BUTTON", "LED", "CHARGING", "CRACKED")
SWAP_MIX = [("defect", 6), ("accident", 2), ("money_back", 1), ("cosmetic", 1)]
FIRST_NAMES = ("Alva", "Noah", "Elsa", "Liam", "Maja", "Hugo", "Ella", "Oscar", "Wilma", "Leo")
LAST_NAMES = ("Berg", "Holm", "Smith", "Jones", "Nilsson", "Taylor", "Ström", "Brown")
# Parents before children, so every foreign key finds its row.
INSERT_ORDER = (
    Market,
    Store,
    Staff,
    Product,
    ProductPrice,
    ProductName,
    ModelSuccessor,
    StockLevel,
    LowStockLevel,
    Customer,
    Registration,
    Voucher,
    Device,
    AgeCheck,
    Sale,
    Shipment,
    ShipmentUnit,
    SaleLine,
    ClaimToken,
    Claim,
    Swap,
    SwapRefusal,
    Shipment,
    ShipmentUnit,
    DeviceEvent,
)
REPORTED = ("store", "staff", "sale", "swap", "device")


def chain_stores(count: int) -> list[dict[str, str]]:
    """The documented stores first, then S001, S002, ... with time zones taking turns."""
    stores = [dict(spec) for spec in STORES[:count]]
    for n in range(1, count - len(stores) + 1):
        zone, city, language, market = CHAIN_ZONES[(n - 1) % len(CHAIN_ZONES)]
        code = f"S{n:03d}"
        stores.append(
            {
                "code": code,
                "name": f"Kiosk {city} {code}",
                "timezone": zone,
                "language": language,
                "market": market,
            }
        )
    return stores


def store_staff(index: int, code: str) -> list[tuple[str, str, str, str]]:
    """Username, display name, role and PIN of each person of the chain's ``index``-th store."""
    if index < len(STORES):
        return [(user, name, role, pin) for user, name, role, pin, at in STAFF if at == index]
    return [
        (f"{code.lower()}.{suffix}", f"{name} {code}", role, pin)
        for suffix, name, role, pin in CHAIN_STAFF
    ]


@dataclass
class _Batch:
    """Rows waiting for their bulk insert; ids are handed out here so rows can point at each
    other before any is written. ``last_ids`` is shared by every batch of one load."""

    last_ids: dict[str, int]
    rows: dict[type[Model], list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, model: type[Model], **row: Any) -> dict[str, Any]:
        if "id" not in row:
            table = model._meta.table_name
            self.last_ids[table] = row["id"] = self.last_ids.get(table, 0) + 1
        self.rows.setdefault(model, []).append(row)
        return row

    def flush(self, counts: Counter[str]) -> None:
        for model in INSERT_ORDER:
            counts[model._meta.table_name] += bulk_insert(model, self.rows.pop(model, []))


@dataclass
class _Chain:
    """What every store's history draws on."""

    now: datetime
    days: int
    shelf: int
    password_hash: str
    products: dict[str, dict[str, Any]]
    markets: dict[str, int] = field(default_factory=dict)  # code -> id
    serials: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    customer_numbers: Iterator[int] = field(default_factory=itertools.count)

    @property
    def device_skus(self) -> list[str]:
        return [sku for sku, p in self.products.items() if p["kind"] == "device"]

    @property
    def small_skus(self) -> list[str]:
        return [sku for sku, p in self.products.items() if p["kind"] != "device"]


def _at(day: date, tz: ZoneInfo, rng: random.Random, now: datetime) -> datetime:
    """A moment in opening hours (10-19) of a store-local day, never in the future."""
    opening = datetime.combine(day, time(10), tz)
    closing = datetime.combine(day, time(19), tz)
    latest = min(closing, now.astimezone(tz))
    if latest <= opening:  # early today: the store opened at midnight in the demo
        opening = datetime.combine(day, time(0), tz)
    span = max(1, int((latest - opening).total_seconds()))
    return (opening + timedelta(seconds=rng.randrange(span))).astimezone(UTC)


def load_demo(days: int = 90, seed: int = 7, stores: int = 2, shelf: int = 40) -> dict[str, int]:
    """Load ``stores`` stores with ``days`` days of history into an empty database.

    ``shelf`` units of each device model wait in each store's stock today.
    """
    now = clock.now_utc()
    last_ids: dict[str, int] = {}
    counts: Counter[str] = Counter()
    chain = _Chain(
        now=now,
        days=days,
        shelf=shelf,
        password_hash=generate_password_hash(DEMO_PASSWORD),
        products={},
    )
    pin_hashes: dict[str, str] = {}
    with write_transaction():
        specs = chain_stores(stores)
        batch = _Batch(last_ids)
        _markets(batch, chain, {spec["market"] for spec in specs})
        _catalog(batch, chain)
        batch.flush(counts)
        for index, spec in enumerate(specs):
            rng = random.Random(f"{seed}:{spec['code']}")
            batch = _Batch(last_ids)
            store_id, staff_ids = _store(batch, chain, rng, index, spec, pin_hashes)
            live_chains = _history(batch, chain, rng, store_id, spec, staff_ids)
            taken_back = _swaps(batch, chain, rng, live_chains, staff_ids)
            _shipments(batch, chain, store_id, spec["code"], staff_ids[0], taken_back)
            batch.flush(counts)
        AuditEvent.create(
            created_at=now,
            action="demo.loaded",
            details=f'{{"days": {days}, "stores": {stores}}}',
        )
        if is_postgres():
            _reset_sequences([model._meta.table_name for model in INSERT_ORDER])
    return {table: counts[table] for table in REPORTED}


def _markets(batch: _Batch, chain: _Chain, used: set[str]) -> None:
    """The markets the chain's stores are in (two for the documented stores)."""
    for code, name, currency, rates in MARKETS:
        if code not in used:
            continue
        row = batch.add(
            Market, code=code, name=name, currency=currency, vat_rates=rates, created_at=chain.now
        )
        chain.markets[code] = row["id"]


def _catalog(batch: _Batch, chain: _Chain) -> None:
    for index, (sku, name, sv_name, kind, restricted, serial_code) in enumerate(CATALOG):
        row = batch.add(
            Product,
            sku=sku,
            name=name,
            kind=kind,
            age_restricted=restricted,
            # Demo serials: HS, the store's number, the model's code, seven digits.
            serial_pattern=rf"HS\d{{1,4}}{serial_code}\d{{7}}" if kind == "device" else None,
            is_active=True,
        )
        batch.add(ProductName, product=row["id"], language="sv", name=sv_name)
        prices = {}
        for code, _name, _currency, rates in MARKETS:
            if code not in chain.markets:
                continue
            standard = int(rates.split(",")[0])
            prices[code] = (PRICES[code][index], standard)
            batch.add(
                ProductPrice,
                product=row["id"],
                market=chain.markets[code],
                price=PRICES[code][index],
                vat_rate=standard,
            )
        chain.products[sku] = {
            "id": row["id"],
            "kind": kind,
            "names": {"en": name, "sv": sv_name},
            "prices": prices,
            "serial_code": serial_code,
        }
    batch.add(
        ModelSuccessor,
        product=chain.products["DEV-PRIME"]["id"],
        successor=chain.products["DEV-PRIME2"]["id"],
    )


def _store(
    batch: _Batch,
    chain: _Chain,
    rng: random.Random,
    index: int,
    spec: dict[str, str],
    pin_hashes: dict[str, str],
) -> tuple[int, list[int]]:
    """The store, its people, its counted stock and the units on its shelf today."""
    fields = {**spec, "market": chain.markets[spec["market"]]}
    store_id = batch.add(Store, created_at=chain.now, brand_name="Heat Store", **fields)["id"]
    staff_ids = []
    for username, name, role, pin in store_staff(index, spec["code"]):
        if pin not in pin_hashes:  # scrypt is slow on purpose: hash each PIN once per load
            pin_hashes[pin] = generate_password_hash(pin)
        member = batch.add(
            Staff,
            store=store_id,
            username=username,
            display_name=name,
            role=role,
            password_hash=chain.password_hash,
            pin_hash=pin_hashes[pin],
            is_active=True,
            failed_pin_attempts=0,
            created_at=chain.now,
        )
        staff_ids.append(member["id"])
    for sku in chain.small_skus:
        batch.add(
            StockLevel,
            store=store_id,
            product=chain.products[sku]["id"],
            quantity=rng.randint(40, 200),
        )
    # Low-stock levels the manager would set: the newest model and the slower packs run
    # low on the demo's shelf, so the manager's home has a signal to show.
    for sku in [*chain.device_skus, *chain.small_skus]:
        level = 50 if sku == chain.device_skus[-1] else 20 if sku in chain.device_skus else 60
        batch.add(LowStockLevel, store=store_id, product=chain.products[sku]["id"], level=level)
    received = datetime.combine(chain.now.date() - timedelta(days=chain.days), time(8), UTC)
    for sku in chain.device_skus:
        for _ in range(chain.shelf):
            _device(batch, chain, store_id, sku, "in_stock", received)
    return store_id, staff_ids


def _device(
    batch: _Batch, chain: _Chain, store_id: int, sku: str, status: str, received: datetime
) -> dict[str, Any]:
    unit = batch.add(
        Device,
        serial=f"HS{store_id}{chain.products[sku]['serial_code']}{next(chain.serials):07d}",
        product=chain.products[sku]["id"],
        store=store_id,
        status=status,
        received_at=received,
    )
    _event(batch, unit["id"], "received", store_id, None, "in_stock", received)
    return unit


def _event(
    batch: _Batch,
    device_id: int,
    event: str,
    store_id: int,
    staff_id: int | None,
    status: str,
    at: datetime,
    subject: tuple[str, int] | None = None,
    reference: str = "",
) -> None:
    """One step of a unit's life, as services.unit_life.record writes it."""
    batch.add(
        DeviceEvent,
        device=device_id,
        event=event,
        store=store_id,
        staff=staff_id,
        status=status,
        subject_type=subject[0] if subject else "",
        subject_id=subject[1] if subject else None,
        reference=reference,
        created_at=at,
    )


def _customers(batch: _Batch, chain: _Chain, rng: random.Random) -> list[int]:
    """The store's regulars: a pool that grows with the length of the history."""
    ids = []
    for _ in range(30 + chain.days // 2):
        n = next(chain.customer_numbers)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        born = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
        row = batch.add(
            Customer,
            email=f"{first}.{last}.{n}@example.com".lower(),
            password_hash=chain.password_hash,
            name=f"{first} {last}",
            birth_date=born,
            activated_at=chain.now,
            marketing_consent=rng.random() < 0.4,
            terms_accepted_at=chain.now,
            session_version="1",
            created_at=chain.now,
        )
        ids.append(row["id"])
    return ids


def _history(
    batch: _Batch,
    chain: _Chain,
    rng: random.Random,
    store_id: int,
    spec: dict[str, str],
    staff_ids: list[int],
) -> list[dict[str, Any]]:
    """Refusals, sales, registrations and claims, day by day; returns the registered units.

    Every line is priced in the store's market and named in its language, as the counter
    would have sold it.
    """
    products, now = chain.products, chain.now
    tz_name, market, language = spec["timezone"], spec["market"], spec["language"]
    device_skus, small_skus = chain.device_skus, chain.small_skus
    tz = ZoneInfo(tz_name)
    today = clock.today_in(tz_name, now)
    customers = _customers(batch, chain, rng)
    welcomed: set[int] = set()
    live_chains: list[dict[str, Any]] = []
    for offset in range(chain.days, -1, -1):
        day = today - timedelta(days=offset)
        for _ in range(rng.randint(1, 3)):  # refusals
            reason = rng.choice(("under_age", "under_age", "no_id"))
            batch.add(
                AgeCheck,
                store=store_id,
                staff=rng.choice(staff_ids),
                method="no_id" if reason == "no_id" else "document",
                document_type=None if reason == "no_id" else "id_card",
                result="refused",
                refusal_reason=reason,
                required_age=18,
                created_at=_at(day, tz, rng, now),
                local_date=day,
            )
        for _ in range(rng.randint(8, 16)):
            at = _at(day, tz, rng, now)
            staff_id = rng.choice(staff_ids)
            picks = rng.sample(small_skus, rng.randint(0, 2))
            with_device = rng.random() < 0.35 or not picks
            lines: list[tuple[str, int, dict[str, Any] | None]] = []
            unit = None
            if with_device:
                sku = rng.choice(device_skus[:3])
                unit = _device(batch, chain, store_id, sku, "sold", at - timedelta(days=5))
                lines.append((sku, 1, unit))
            lines += [(sku, rng.randint(1, 3), None) for sku in picks]
            check_id = None
            if any(products[s]["kind"] != "accessory" for s, _, _ in lines):
                check_id = batch.add(
                    AgeCheck,
                    store=store_id,
                    staff=staff_id,
                    method="document",
                    document_type=rng.choice(("id_card", "passport", "driving_licence")),
                    result="passed",
                    refusal_reason=None,
                    required_age=18,
                    created_at=at,
                    local_date=day,
                )["id"]
            sale = batch.add(Sale, store=store_id, staff=staff_id, cart=None, created_at=at)
            total = vat = 0
            first_line = None
            for sku, qty, line_unit in lines:
                unit_price, vat_rate = products[sku]["prices"][market]
                gross = unit_price * qty
                line_vat = policy.vat_of(gross, vat_rate)
                total += gross
                vat += line_vat
                line = batch.add(
                    SaleLine,
                    sale=sale["id"],
                    kind="item",
                    product=products[sku]["id"],
                    device=line_unit["id"] if line_unit else None,
                    description=products[sku]["names"].get(language, products[sku]["names"]["en"]),
                    quantity=qty,
                    unit_price=unit_price,
                    line_total=gross,
                    vat_rate=vat_rate,
                    vat_amount=line_vat,
                    voucher=None,
                )
                if line_unit is not None:
                    _event(
                        batch,
                        line_unit["id"],
                        "sold",
                        store_id,
                        staff_id,
                        "sold",
                        at,
                        ("sale", sale["id"]),
                    )
                first_line = first_line or line
            customer_id = None
            if unit is not None and rng.random() < 0.6:
                customer_id = rng.choice(customers)
                reg_day = min(today, day + timedelta(days=rng.choice((0, 0, 0, 1, 3))))
                reg = batch.add(
                    Registration,
                    customer=customer_id,
                    store=store_id,
                    purchase_date=day,
                    registration_date=reg_day,
                    accident_claim_used=False,
                    money_back_used=False,
                    source=rng.choice(("claim", "claim", "counter")),
                    registered_by=None,
                    ended_at=None,
                    end_reason=None,
                    created_at=at,
                )
                unit["registration"] = reg["id"]
                unit["first_registered_at"] = at
                _event(
                    batch,
                    unit["id"],
                    "registered",
                    store_id,
                    None,
                    "sold",
                    at,
                    ("registration", reg["id"]),
                )
                live_chains.append(
                    {"reg": reg, "unit": unit, "tz": tz, "sku": lines[0][0], "line": first_line}
                )
                if customer_id not in welcomed:
                    welcomed.add(customer_id)
                    batch.add(
                        Voucher,
                        code=f"W{customer_id:07d}",
                        customer=customer_id,
                        kind="welcome",
                        registration=reg["id"],
                        issued_at=at,
                        redeemed_at=None,
                    )
            sale.update(
                customer=customer_id,
                idempotency_key=hashlib.sha256(f"demo{sale['id']}".encode()).hexdigest()[:32],
                age_check=check_id,
                tender=rng.choice(("card", "cash")),
                subtotal=total,
                discount_total=0,
                total=total,
                vat_total=vat,
                local_date=day,
            )
            if unit is not None:
                secret = f"demo-claim-{sale['id']}".encode()
                token = batch.add(
                    ClaimToken,
                    sale=sale["id"],
                    token_hash=hashlib.sha256(secret).hexdigest(),
                    code_hash=hashlib.sha256(secret + b"code").hexdigest(),
                    created_at=at,
                    expires_at=at + timedelta(days=30),
                    claimed_at=at if customer_id else None,
                    claimed_by=customer_id,
                )
                if customer_id:
                    batch.add(Claim, claim_token=token["id"], customer=customer_id, created_at=at)
    return live_chains


def _swaps(
    batch: _Batch,
    chain: _Chain,
    rng: random.Random,
    chains: list[dict[str, Any]],
    staff_ids: list[int],
) -> list[tuple[dict[str, Any], datetime]]:
    """Swap a share of the store's registered units, on days after their registration;
    returns the units taken back (to go back to the maker) and when.

    A replacement is a unit received that morning, so the shelf of today keeps its units
    however long the history.
    """
    taken_back: list[tuple[dict[str, Any], datetime]] = []
    cases = [c for c, w in SWAP_MIX for _ in range(w)]
    rng.shuffle(chains)
    for item in chains[: max(2, len(chains) // 8)]:
        reg, unit, tz = item["reg"], item["unit"], item["tz"]
        today = chain.now.astimezone(tz).date()
        span = (today - reg["registration_date"]).days
        day = reg["registration_date"] + timedelta(days=rng.randint(0, max(0, span)))
        # Keep a few swaps on today so the manager's home page is never empty.
        if rng.random() < 0.08:
            day = today
        case = rng.choice(cases)
        decision = policy.decide_swap(
            case,
            day,
            registered=True,
            purchase_date=reg["purchase_date"],
            registration_date=reg["registration_date"],
            accident_claim_used=reg["accident_claim_used"],
        )
        at = _at(day, tz, rng, chain.now)
        staff_id = rng.choice(staff_ids)
        store_id = reg["store"]
        if not decision.allowed:
            batch.add(
                SwapRefusal,
                store=store_id,
                staff=staff_id,
                device=unit["id"],
                swap_case=case,
                reason=decision.reason,
                created_at=at,
                local_date=day,
            )
            continue
        new = None
        if decision.outcome == "money_back":
            unit["status"] = "returned"
            reg.update(money_back_used=True, ended_at=at, end_reason="money_back")
        else:
            received = datetime.combine(day, time(8), tz).astimezone(UTC)
            new = _device(batch, chain, store_id, item["sku"], "sold", min(received, at))
            unit.update(status="replaced_out", fault_code=rng.choice(FAULT_CODES))
            new.update(registration=reg["id"], first_registered_at=at)
            if decision.outcome == "accident":
                reg["accident_claim_used"] = True
        money_back = decision.outcome == "money_back"
        swap = batch.add(
            Swap,
            store=store_id,
            staff=staff_id,
            registration=reg["id"],
            old_device=unit["id"],
            new_device=new["id"] if new else None,
            swap_case=case,
            outcome=decision.outcome,
            fault_code=unit.get("fault_code"),
            note="",
            refund_amount=item["line"]["line_total"] if money_back else None,
            # Opened or faulty: waiting to go back to the maker (not from rng: the demo stays put).
            unit_state=("faulty" if unit["id"] % 2 else "opened") if money_back else None,
            original_sale_line=item["line"]["id"] if money_back else None,
            created_at=at,
            local_date=day,
        )
        subject = ("swap", swap["id"])
        taken_back.append((unit, at))
        if money_back:
            _event(batch, unit["id"], "returned", store_id, staff_id, "returned", at, subject)
        else:
            _event(
                batch, unit["id"], "swapped_out", store_id, staff_id, "replaced_out", at, subject
            )
            _event(batch, new["id"], "replacement", store_id, staff_id, "sold", at, subject)
    return taken_back


def _shipments(
    batch: _Batch,
    chain: _Chain,
    store_id: int,
    store_code: str,
    manager_id: int,
    taken_back: list[tuple[dict[str, Any], datetime]],
) -> None:
    """Units taken back more than three weeks ago went back to the maker, one box a month,
    a week after the month's last swap; a box shipped more than two weeks ago is credited.
    So the demo's "waiting to go back" holds only the recent weeks, as in a store that keeps up.
    """
    boxes: dict[tuple[int, int], list[tuple[dict[str, Any], datetime]]] = {}
    for unit, at in taken_back:
        if chain.now - at >= timedelta(days=21):
            boxes.setdefault((at.year, at.month), []).append((unit, at))
    for (year, month), units in sorted(boxes.items()):
        packed_at = min(max(at for _, at in units) + timedelta(days=7), chain.now)
        shipped_at = packed_at + timedelta(hours=1)
        credited_at = shipped_at + timedelta(days=14)
        credited = credited_at <= chain.now
        rma = f"RMA-{store_code}-{year}{month:02d}"
        box = batch.add(
            Shipment,
            store=store_id,
            rma_reference=rma,
            status="credited" if credited else "shipped",
            created_by=manager_id,
            created_at=packed_at,
            shipped_by=manager_id,
            shipped_at=shipped_at,
            credited_by=manager_id if credited else None,
            credited_at=credited_at if credited else None,
            credit_reference=f"CN-{store_code}-{year}{month:02d}" if credited else "",
        )
        subject = ("shipment", box["id"])
        for unit, _at in units:
            batch.add(
                ShipmentUnit,
                shipment=box["id"],
                device=unit["id"],
                packed_by=manager_id,
                packed_at=packed_at,
            )
            steps = [
                ("packed", unit["status"], packed_at, rma),
                ("shipped", "shipped", shipped_at, rma),
            ]
            if credited:
                steps.append(("credited", "shipped", credited_at, box["credit_reference"]))
            unit["status"] = "shipped"
            for event, status, when, reference in steps:
                _event(
                    batch, unit["id"], event, store_id, manager_id, status, when, subject, reference
                )


def _reset_sequences(tables: list[str]) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the data."""
    for table in tables:
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
        )
