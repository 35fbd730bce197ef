"""Races, many times over, on SQLite (WAL) and PostgreSQL: zero doubles, zero losses.

Each trial starts two threads at a barrier so both requests overlap for real; the
loser must get a DomainError with a message, never a crash or a second write.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import (
    AgeCheck,
    AuditEvent,
    Cart,
    CartLine,
    Claim,
    Delivery,
    Device,
    DeviceEvent,
    Product,
    Sale,
    SaleLine,
    StockLevel,
    Swap,
    Voucher,
)
from kiosk.services import DomainError, claiming, claims, intake, receiving, registrations, swaps
from kiosk.services.sales import complete_sale
from tests import factories as make

TRIALS = int(os.environ.get("KIOSK_RACE_TRIALS", "100"))


def race(app: Flask, *calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same instant; return each one's result or DomainError."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    crashes: list[BaseException] = []

    def run(i: int, call: Callable[[], object]) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[i] = call()
            except DomainError as err:
                # Keep the outcome, not the frames: a kept traceback would keep the loser's
                # half-read cursors alive on a connection the pool hands out again.
                results[i] = DomainError(err.message, field=err.field, status=err.status)
            except Exception as err:  # a loser must get a message, never an error
                crashes.append(err)
            finally:
                # Each thread has its own connection: hand it back, as a request would.
                if not db.is_closed():
                    db.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not crashes, f"a racer failed instead of winning or being told why: {crashes!r}"
    return results


def open_cart(store, seller, *units: Device) -> Cart:  # noqa: ANN001
    now = clock.now_utc()
    cart = Cart.create(
        store=store, staff=seller, idempotency_key=uuid.uuid4().hex, created_at=now, updated_at=now
    )
    for unit in units:
        CartLine.create(cart=cart, product=unit.product, device=unit, created_at=now)
    AgeCheck.create(
        store=store,
        staff=seller,
        cart=cart,
        method="document",
        document_type="id_card",
        result="passed",
        required_age=18,
        created_at=now,
        local_date=clock.today_in(store.timezone),
    )
    return cart


@pytest.fixture
def world(app: Flask, shop):  # noqa: ANN201
    return shop, make.product("device")


def test_two_tablets_selling_one_serial_sell_it_once(app: Flask, world) -> None:
    shop, model = world
    for trial in range(TRIALS):
        unit = make.device(shop.store, model)
        carts = [open_cart(shop.store, shop.erik, unit), open_cart(shop.store, shop.sara, unit)]
        results = race(
            app,
            *[
                lambda c=c: complete_sale(
                    c, c.staff, tender="card", idempotency_key=c.idempotency_key
                )
                for c in carts
            ],
        )
        errors = [r for r in results if isinstance(r, DomainError)]
        assert len(errors) == 1 and "sold" in errors[0].message, (trial, results)
        assert SaleLine.select().where(SaleLine.device == unit).count() == 1
        Cart.update(status="abandoned").where(Cart.status == "open").execute()
    assert Sale.select().count() == TRIALS
    assert Device.select().where(Device.status == "sold").count() == TRIALS


def test_a_double_submitted_sale_is_written_once(app: Flask, world) -> None:
    shop, model = world
    for trial in range(TRIALS):
        cart = open_cart(shop.store, shop.erik, make.device(shop.store, model))
        results = race(
            app,
            *[
                lambda cart=cart: complete_sale(
                    cart, shop.erik, tender="card", idempotency_key=cart.idempotency_key
                )
            ]
            * 2,
        )
        assert all(not isinstance(r, DomainError) for r in results), (trial, results)
        assert results[0].sale.id == results[1].sale.id
    assert Sale.select().count() == TRIALS == SaleLine.select().count()


def test_two_phones_claiming_one_qr_make_one_claim(app: Flask, world) -> None:
    shop, model = world
    for trial in range(TRIALS):
        unit = make.device(shop.store, model)
        cart = open_cart(shop.store, shop.erik, unit)
        with app.test_request_context():
            done = complete_sale(
                cart, shop.erik, tender="card", idempotency_key=cart.idempotency_key
            )
        people = [make.customer(), make.customer()]
        results = race(
            app, *[lambda p=p, done=done: claiming.claim(done.claim.token, p) for p in people]
        )
        winners = [r for r in results if not isinstance(r, DomainError)]
        assert len(winners) == 1, (trial, results)
        assert (
            Claim.select()
            .join(claims.ClaimToken)
            .where(claims.ClaimToken.sale == done.sale)
            .count()
            == 1
        )
    assert Device.select().where(Device.registration.is_null(False)).count() == TRIALS


def test_the_welcome_offer_raced_is_given_once(app: Flask, world) -> None:
    shop, model = world
    for trial in range(TRIALS):
        person = make.customer()
        chains = [
            make.registration(shop.store, person, make.device(shop.store, model)) for _ in range(2)
        ]
        results = race(
            app,
            *[
                lambda c=c, person=person: registrations.issue_welcome_voucher(person, c)
                for c in chains
            ],
        )
        assert sum(r is not None for r in results) == 1, (trial, results)
    assert Voucher.select().count() == TRIALS


def test_two_accident_claims_on_one_chain_make_one_swap(app: Flask, world) -> None:
    shop, model = world
    for trial in range(TRIALS):
        old = make.device(shop.store, model)
        make.registration(
            shop.store,
            make.customer(),
            old,
            purchase_date=clock.today_in(shop.store.timezone) - timedelta(days=3),
        )
        spares = [make.device(shop.store, model), make.device(shop.store, model)]
        results = race(
            app,
            *[
                lambda s=s, who=who, old=old: swaps.replace(
                    shop.store,
                    who,
                    old.id,
                    case="accident",
                    replacement_serial=s.serial,
                    fault_code="CRACKED",
                    note="",
                )
                for s, who in zip(spares, (shop.erik, shop.sara), strict=True)
            ],
        )
        assert sum(not isinstance(r, DomainError) for r in results) == 1, (trial, results)
        assert Swap.select().where(Swap.old_device == old).count() == 1
    assert Swap.select().where(Swap.outcome == "accident").count() == TRIALS


def test_two_tablets_packing_one_unit_put_it_in_one_shipment(app: Flask, world) -> None:
    from kiosk.models import Shipment, ShipmentUnit
    from kiosk.services import returns

    shop, model = world
    for trial in range(TRIALS):
        unit = make.device(shop.store, model, status="replaced_out", fault_code="LED")
        boxes = [
            returns.open_shipment(shop.store, who, f"RMA-{trial}-{who.id}")
            for who in (shop.erik, shop.sara)
        ]
        results = race(
            app,
            *[
                lambda box=box, who=who, unit=unit: returns.pack(
                    shop.store, who, box.id, unit.serial
                )
                for box, who in zip(boxes, (shop.erik, shop.sara), strict=True)
            ],
        )
        errors = [r for r in results if isinstance(r, DomainError)]
        assert len(errors) == 1 and errors[0].field == "serial", (trial, results)
        assert ShipmentUnit.select().where(ShipmentUnit.device == unit).count() == 1
    assert ShipmentUnit.select().count() == TRIALS
    assert Shipment.select().count() == 2 * TRIALS


def test_two_tablets_sending_one_unit_send_it_in_one_transfer(app: Flask, world) -> None:
    from kiosk.models import DeviceEvent, Transfer, TransferUnit
    from kiosk.services import transfers

    shop, model = world
    elsewhere = make.store(name="Elsewhere")
    for trial in range(TRIALS):
        unit = make.device(shop.store, model)
        boxes = [transfers.start(shop.store, who, elsewhere.id) for who in (shop.erik, shop.sara)]
        for box, who in zip(boxes, (shop.erik, shop.sara), strict=True):
            transfers.add_unit(shop.store, who, box.id, unit.serial)
        results = race(
            app,
            *[
                lambda box=box, who=who: transfers.send(shop.store, who, box.id)
                for box, who in zip(boxes, (shop.erik, shop.sara), strict=True)
            ],
        )
        errors = [r for r in results if isinstance(r, DomainError)]
        assert len(errors) == 1, (trial, results)
        assert (
            TransferUnit.select()
            .where((TransferUnit.device == unit) & (TransferUnit.state == "sent"))
            .count()
            == 1
        )
        assert Device.get_by_id(unit.id).status == "in_transit"
    assert Transfer.select().where(Transfer.status == "in_transit").count() == TRIALS
    assert DeviceEvent.select().where(DeviceEvent.event == "transfer_sent").count() == TRIALS


def test_two_tablets_receiving_one_serial_receive_it_once(app: Flask, world) -> None:
    """Two stores' deliveries both hold one serial (a supplier's mistake): of the two
    "Receive" taps exactly one wins; nothing of the loser's delivery is written, and its
    person is told where the unit is."""
    shop, model = world
    Product.update(serial_pattern=r"RX\d{7}").where(Product.id == model.id).execute()
    sticks = make.product("consumable")
    other = make.store(name="Kiosk Malmö")
    people = {shop.store.id: shop.erik, other.id: make.staff(other)}
    for trial in range(TRIALS):
        shared = f"RX{trial:07d}"
        own = {shop.store.id: f"RX{5_000_000 + trial}", other.id: f"RX{6_000_000 + trial}"}
        deliveries = []
        for store in (shop.store, other):
            delivery = intake.start(store, people[store.id], f"DN-{trial}")
            for code in (shared, own[store.id], sticks.sku):
                intake.scan(delivery, people[store.id], code, language="en")
            deliveries.append((delivery, store))
        packs_before = {s.store_id: s.quantity for s in StockLevel.select()}
        results = race(
            app, *[lambda d=d, s=s: receiving.receive(d, s, people[s.id]) for d, s in deliveries]
        )
        winners = [i for i, r in enumerate(results) if not isinstance(r, DomainError)]
        assert len(winners) == 1, (trial, results)
        won_store = deliveries[winners[0]][1]
        loser, lost_store = deliveries[1 - winners[0]]
        told = results[1 - winners[0]].message
        assert f"{shared} is already known: in stock at {won_store.name}" in told, told
        unit = Device.get(Device.serial == shared)
        assert unit.store_id == won_store.id
        assert DeviceEvent.select().where(DeviceEvent.device == unit).count() == 1
        assert Device.select().where(Device.serial == own[won_store.id]).exists()
        assert not Device.select().where(Device.serial == own[lost_store.id]).exists()
        assert not DeviceEvent.select().where(DeviceEvent.subject_id == loser.id).exists()
        packs = {s.store_id: s.quantity for s in StockLevel.select()}
        assert packs.get(lost_store.id) == packs_before.get(lost_store.id)
        assert packs[won_store.id] == packs_before.get(won_store.id, 0) + 1
        assert Delivery.get_by_id(loser.id).status == "open"
        intake.discard(Delivery.get_by_id(loser.id), people[lost_store.id])
    assert Device.select().where(Device.serial.startswith("RX")).count() == 2 * TRIALS
    assert AuditEvent.select().where(AuditEvent.action == "stock.received").count() == TRIALS
