"""The deterministic demo chain: two stores in two time zones and months of trade.

Rows are built in memory with explicit ids and written with bulk inserts, so a
large history loads in seconds on SQLite and PostgreSQL alike. The same seed
and the same "today" give the same data.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from peewee import Model, chunked
from werkzeug.security import generate_password_hash

from . import clock, policy
from .db import is_postgres, write_transaction
from .extensions import db
from .models import (
    AgeCheck,
    AuditEvent,
    Claim,
    ClaimToken,
    Customer,
    Device,
    ModelSuccessor,
    Product,
    Registration,
    Sale,
    SaleLine,
    Staff,
    StockLevel,
    Store,
    Swap,
    SwapRefusal,
    Voucher,
)

DEMO_PASSWORD = "kiosk-demo"  # noqa: S105 - documented demo sign-in, demo data only

STORES = [
    {
        "code": "STO1",
        "name": "Kiosk Stockholm Centrum",
        "timezone": "Europe/Stockholm",
        "language": "sv",
        "currency": "SEK",
    },
    {
        "code": "LON1",
        "name": "Kiosk London Soho",
        "timezone": "Europe/London",
        "language": "en",
        "currency": "GBP",
    },
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
# sku, name, kind, price (minor units), age_restricted
CATALOG = [
    ("DEV-ONE", "Heat Device One", "device", 49900, True),
    ("DEV-DUO", "Heat Device Duo", "device", 79900, True),
    ("DEV-PRIME", "Heat Device Prime", "device", 99900, True),
    ("DEV-PRIME2", "Heat Device Prime 2", "device", 109900, True),
    ("CON-AMBER", "Tobacco sticks Amber, pack of 20", "consumable", 6500, True),
    ("CON-TEAK", "Tobacco sticks Teak, pack of 20", "consumable", 6500, True),
    ("CON-MINT", "Tobacco sticks Mint, pack of 20", "consumable", 6500, True),
    ("ACC-CASE", "Holder case", "accessory", 29900, False),
    ("ACC-CLEAN", "Cleaning sticks, 30", "accessory", 9900, False),
    ("ACC-CABLE", "USB-C cable 1 m", "accessory", 14900, False),
    ("ACC-CAR", "Car charger", "accessory", 24900, False),
]
FAULT_CODES = ("NO_HEAT", "BATTERY", "BUTTON", "LED", "CHARGING", "CRACKED")
SWAP_MIX = [("defect", 6), ("accident", 2), ("money_back", 1), ("cosmetic", 1)]
FIRST_NAMES = ("Alva", "Noah", "Elsa", "Liam", "Maja", "Hugo", "Ella", "Oscar", "Wilma", "Leo")
LAST_NAMES = ("Berg", "Holm", "Smith", "Jones", "Nilsson", "Taylor", "Ström", "Brown")


class _Ids:
    """Hands out ids per table so rows can reference each other before insert."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        self.next[table] = self.next.get(table, 0) + 1
        return self.next[table]


def _at(day: date, tz: ZoneInfo, rng: random.Random, now: datetime) -> datetime:
    """A moment in opening hours (10-19) of a store-local day, never in the future."""
    opening = datetime.combine(day, time(10), tz)
    closing = datetime.combine(day, time(19), tz)
    latest = min(closing, now.astimezone(tz))
    if latest <= opening:  # early today: the store opened at midnight in the demo
        opening = datetime.combine(day, time(0), tz)
    span = max(1, int((latest - opening).total_seconds()))
    return (opening + timedelta(seconds=rng.randrange(span))).astimezone(UTC)


def _insert(model: type[Model], rows: Iterable[dict[str, Any]]) -> int:
    rows = list(rows)
    # A bulk insert wants one column list: fill what a row left out with the field's default.
    columns = {key for row in rows for key in row}
    for row in rows:
        for key in columns - row.keys():
            row[key] = model._meta.fields[key].default
    for batch in chunked(rows, 500):
        model.insert_many(batch).execute()
    return len(rows)


def load_demo(days: int = 90, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    now = clock.now_utc()
    ids = _Ids()
    rows: dict[type[Model], list[dict[str, Any]]] = {}

    def add(model: type[Model], **row: Any) -> int:
        table = model._meta.table_name
        row.setdefault("id", ids(table))
        rows.setdefault(model, []).append(row)
        return row["id"]

    stores = [add(Store, created_at=now, brand_name="Heat Store", **s) for s in STORES]
    pin_hashes: dict[str, str] = {}
    password_hash = generate_password_hash(DEMO_PASSWORD)
    staff_by_store: dict[int, list[int]] = {sid: [] for sid in stores}
    for username, name, role, pin, store_index in STAFF:
        pin_hashes.setdefault(pin, generate_password_hash(pin))
        sid = add(
            Staff,
            store=stores[store_index],
            username=username,
            display_name=name,
            role=role,
            password_hash=password_hash,
            pin_hash=pin_hashes[pin],
            is_active=True,
            failed_pin_attempts=0,
            created_at=now,
        )
        staff_by_store[stores[store_index]].append(sid)

    products = {}
    for sku, name, kind, price, restricted in CATALOG:
        products[sku] = {
            "id": add(
                Product,
                sku=sku,
                name=name,
                kind=kind,
                price=price,
                vat_rate=2500,
                age_restricted=restricted,
                is_active=True,
            ),
            "kind": kind,
            "price": price,
            "name": name,
        }
    add(ModelSuccessor, product=products["DEV-PRIME"]["id"], successor=products["DEV-PRIME2"]["id"])
    device_skus = [s for s, p in products.items() if p["kind"] == "device"]
    small_skus = [s for s, p in products.items() if p["kind"] != "device"]
    for sid in stores:
        for sku in small_skus:
            add(StockLevel, store=sid, product=products[sku]["id"], quantity=rng.randint(40, 200))

    serial_counter = [0]

    def new_device(store_id: int, sku: str, status: str, received: datetime) -> dict[str, Any]:
        serial_counter[0] += 1
        serial = f"HS{store_id}{sku[4:6]}{serial_counter[0]:07d}"
        add(
            Device,
            serial=serial,
            product=products[sku]["id"],
            store=store_id,
            status=status,
            received_at=received,
        )
        return rows[Device][-1]

    # Units on the shelf today, so that every screen can sell and swap.
    shelf: dict[tuple[int, str], list[dict[str, Any]]] = {}
    start_day = now.date() - timedelta(days=days)
    received = datetime.combine(start_day, time(8), UTC)
    for sid in stores:
        for sku in device_skus:
            shelf[(sid, sku)] = [new_device(sid, sku, "in_stock", received) for _ in range(40)]

    customers: list[int] = []
    for n in range(60 + days):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        born = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
        customers.append(
            add(
                Customer,
                email=f"{first}.{last}.{n}@example.com".lower(),
                password_hash=password_hash,
                name=f"{first} {last}",
                birth_date=born,
                activated_at=now,
                marketing_consent=rng.random() < 0.4,
                terms_accepted_at=now,
                session_version="1",
                created_at=now,
            )
        )
    welcomed: set[int] = set()
    live_chains: list[dict[str, Any]] = []

    for store_index, sid in enumerate(stores):
        tz = ZoneInfo(STORES[store_index]["timezone"])
        store_staff = staff_by_store[sid]
        today = clock.today_in(STORES[store_index]["timezone"], now)
        for offset in range(days, -1, -1):
            day = today - timedelta(days=offset)
            for _ in range(rng.randint(1, 3)):  # refusals
                at = _at(day, tz, rng, now)
                reason = rng.choice(("under_age", "under_age", "no_id"))
                add(
                    AgeCheck,
                    store=sid,
                    staff=rng.choice(store_staff),
                    method="no_id" if reason == "no_id" else "document",
                    document_type=None if reason == "no_id" else "id_card",
                    result="refused",
                    refusal_reason=reason,
                    required_age=18,
                    created_at=at,
                    local_date=day,
                )
            for _ in range(rng.randint(8, 16)):
                at = _at(day, tz, rng, now)
                staff_id = rng.choice(store_staff)
                picks = rng.sample(small_skus, rng.randint(0, 2))
                with_device = rng.random() < 0.35 or not picks
                lines = []
                if with_device:
                    sku = rng.choice(device_skus[:3])
                    unit = new_device(sid, sku, "sold", at - timedelta(days=5))
                    lines.append((sku, 1, unit))
                lines += [(sku, rng.randint(1, 3), None) for sku in picks]
                restricted = any(products[s]["kind"] != "accessory" for s, _, _ in lines)
                check_id = None
                if restricted:
                    check_id = add(
                        AgeCheck,
                        store=sid,
                        staff=staff_id,
                        method="document",
                        document_type=rng.choice(("id_card", "passport", "driving_licence")),
                        result="passed",
                        refusal_reason=None,
                        required_age=18,
                        created_at=at,
                        local_date=day,
                    )
                sale_id = ids("sale")
                total = vat = 0
                for sku, qty, line_unit in lines:
                    gross = products[sku]["price"] * qty
                    line_vat = policy.vat_of(gross, 2500)
                    total += gross
                    vat += line_vat
                    add(
                        SaleLine,
                        sale=sale_id,
                        kind="item",
                        product=products[sku]["id"],
                        device=line_unit["id"] if line_unit else None,
                        description=products[sku]["name"],
                        quantity=qty,
                        unit_price=products[sku]["price"],
                        line_total=gross,
                        vat_rate=2500,
                        vat_amount=line_vat,
                        voucher=None,
                    )
                customer_id = None
                if with_device and rng.random() < 0.6:
                    customer_id = rng.choice(customers)
                    reg_day = min(today, day + timedelta(days=rng.choice((0, 0, 0, 1, 3))))
                    reg_id = add(
                        Registration,
                        customer=customer_id,
                        store=sid,
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
                    unit["registration"] = reg_id
                    unit["first_registered_at"] = at
                    live_chains.append(
                        {
                            "reg": rows[Registration][-1],
                            "unit": unit,
                            "store": sid,
                            "tz": tz,
                            "sku": lines[0][0],
                            "line": rows[SaleLine][-len(lines)],
                        }
                    )
                    if customer_id not in welcomed:
                        welcomed.add(customer_id)
                        add(
                            Voucher,
                            code=f"W{customer_id:07d}",
                            customer=customer_id,
                            kind="welcome",
                            registration=reg_id,
                            issued_at=at,
                            redeemed_at=None,
                        )
                add(
                    Sale,
                    id=sale_id,
                    store=sid,
                    staff=staff_id,
                    customer=customer_id,
                    cart=None,
                    idempotency_key=hashlib.sha256(f"demo{sale_id}".encode()).hexdigest()[:32],
                    age_check=check_id,
                    tender=rng.choice(("card", "cash")),
                    subtotal=total,
                    discount_total=0,
                    total=total,
                    vat_total=vat,
                    created_at=at,
                    local_date=day,
                )
                if with_device:
                    secret = f"demo-claim-{sale_id}-{seed}".encode()
                    token_id = add(
                        ClaimToken,
                        sale=sale_id,
                        token_hash=hashlib.sha256(secret).hexdigest(),
                        code_hash=hashlib.sha256(secret + b"code").hexdigest(),
                        created_at=at,
                        expires_at=at + timedelta(days=30),
                        claimed_at=at if customer_id else None,
                        claimed_by=customer_id,
                    )
                    if customer_id:
                        add(Claim, claim_token=token_id, customer=customer_id, created_at=at)

    _swaps(rng, live_chains, staff_by_store, shelf, add, now, days)
    counts: dict[str, int] = {}
    with write_transaction():
        for model in (
            Store,
            Staff,
            Product,
            ModelSuccessor,
            StockLevel,
            Customer,
            Registration,
            Voucher,
            Device,
            AgeCheck,
            Sale,
            SaleLine,
            ClaimToken,
            Claim,
            Swap,
            SwapRefusal,
        ):
            counts[model._meta.table_name] = _insert(model, rows.get(model, []))
        AuditEvent.create(created_at=now, action="demo.loaded", details=f'{{"days": {days}}}')
        if is_postgres():
            _reset_sequences(list(counts))
    return {k: v for k, v in counts.items() if k in ("store", "staff", "sale", "swap", "device")}


def _swaps(
    rng: random.Random,
    chains: list[dict[str, Any]],
    staff_by_store: dict[int, list[int]],
    shelf: dict[tuple[int, str], list[dict[str, Any]]],
    add: Any,
    now: datetime,
    days: int,
) -> None:
    """Swap a share of the registered units, on days after their registration."""
    cases = [c for c, w in SWAP_MIX for _ in range(w)]
    rng.shuffle(chains)
    for chain in chains[: max(4, len(chains) // 8)]:
        reg, unit, tz = chain["reg"], chain["unit"], chain["tz"]
        today = now.astimezone(tz).date()
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
        at = _at(day, tz, rng, now)
        staff_id = rng.choice(staff_by_store[chain["store"]])
        if not decision.allowed:
            add(
                SwapRefusal,
                store=chain["store"],
                staff=staff_id,
                device=unit["id"],
                swap_case=case,
                reason=decision.reason,
                created_at=at,
                local_date=day,
            )
            continue
        if decision.outcome == "money_back":
            unit["status"] = "returned"
            reg.update(money_back_used=True, ended_at=at, end_reason="money_back")
            add(
                Swap,
                store=chain["store"],
                staff=staff_id,
                registration=reg["id"],
                old_device=unit["id"],
                new_device=None,
                swap_case=case,
                outcome="money_back",
                fault_code=None,
                note="",
                refund_amount=chain["line"]["line_total"],
                original_sale_line=chain["line"]["id"],
                created_at=at,
                local_date=day,
            )
            continue
        spare = shelf[(chain["store"], chain["sku"])]
        if not spare:
            continue
        new = spare.pop()
        unit.update(status="replaced_out", fault_code=rng.choice(FAULT_CODES))
        new.update(status="sold", registration=reg["id"], first_registered_at=at)
        if decision.outcome == "accident":
            reg["accident_claim_used"] = True
        add(
            Swap,
            store=chain["store"],
            staff=staff_id,
            registration=reg["id"],
            old_device=unit["id"],
            new_device=new["id"],
            swap_case=case,
            outcome=decision.outcome,
            fault_code=unit["fault_code"],
            note="",
            refund_amount=None,
            original_sale_line=None,
            created_at=at,
            local_date=day,
        )


def _reset_sequences(tables: list[str]) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the data."""
    for table in tables:
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
        )
