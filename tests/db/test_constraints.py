"""The one-per rules hold in the database itself: each test tries to break one and is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from peewee import IntegrityError

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Cart, Claim, ClaimToken, Device, Sale, SaleLine, Swap, Voucher
from tests import factories as make


def _sale(store, seller, key: str) -> Sale:
    now = clock.now_utc()
    return Sale.create(
        store=store,
        staff=seller,
        idempotency_key=key,
        tender="card",
        subtotal=0,
        total=0,
        vat_total=0,
        created_at=now,
        local_date=clock.today_in(store.timezone),
    )


def _line(sale: Sale, unit: Device) -> SaleLine:
    return SaleLine.create(
        sale=sale,
        product=unit.product,
        device=unit,
        description="Device",
        unit_price=49900,
        line_total=49900,
        vat_rate=2500,
        vat_amount=9980,
    )


@pytest.fixture
def shop(app: Flask):
    store = make.store()
    return store, make.staff(store), make.product("device")


def test_database_refuses_a_unit_leaving_one_chain_twice(shop) -> None:
    # A unit is sold again only after a sealed return (the sale's conditional update keeps
    # two sales apart, raced in test_races); what stays once-only is leaving a chain.
    store, seller, model = shop
    old, new, spare = (make.device(store, model) for _ in range(3))
    reg = make.registration(store, make.customer(), old)

    def swap(replacement: Device) -> Swap:
        return Swap.create(
            store=store,
            staff=seller,
            registration=reg,
            old_device=old,
            new_device=replacement,
            swap_case="defect",
            outcome="warranty",
            created_at=clock.now_utc(),
            local_date=clock.today_in(store.timezone),
        )

    swap(new)
    with pytest.raises(IntegrityError), db.atomic():
        swap(spare)
    assert Swap.select().where(Swap.old_device == old).count() == 1


def test_database_refuses_two_devices_with_one_serial(shop) -> None:
    store, _seller, model = shop
    make.device(store, model, serial="ABC123")
    with pytest.raises(IntegrityError), db.atomic():
        make.device(store, model, serial="ABC123")


def test_database_refuses_a_second_accident_claim_on_one_chain(shop) -> None:
    store, seller, model = shop
    first = make.device(store, model)
    reg = make.registration(store, make.customer(), first)
    second, third = make.device(store, model), make.device(store, model)

    def accident(old: Device, new: Device) -> Swap:
        return Swap.create(
            store=store,
            staff=seller,
            registration=reg,
            old_device=old,
            new_device=new,
            swap_case="accident",
            outcome="accident",
            created_at=clock.now_utc(),
            local_date=clock.today_in(store.timezone),
        )

    accident(first, second)
    with pytest.raises(IntegrityError), db.atomic():
        accident(second, third)
    assert Swap.select().where(Swap.registration == reg).count() == 1


def test_database_allows_several_warranty_swaps_on_one_chain(shop) -> None:
    store, seller, model = shop
    units = [make.device(store, model) for _ in range(3)]
    reg = make.registration(store, make.customer(), units[0])
    for old, new in zip(units, units[1:], strict=False):
        Swap.create(
            store=store,
            staff=seller,
            registration=reg,
            old_device=old,
            new_device=new,
            swap_case="defect",
            outcome="warranty",
            created_at=clock.now_utc(),
            local_date=clock.today_in(store.timezone),
        )
    assert Swap.select().where(Swap.registration == reg).count() == 2


def test_database_refuses_a_second_welcome_voucher_for_one_customer(app: Flask) -> None:
    owner = make.customer()
    Voucher.create(code="WELCOME1", customer=owner, kind="welcome", issued_at=clock.now_utc())
    with pytest.raises(IntegrityError), db.atomic():
        Voucher.create(code="WELCOME2", customer=owner, kind="welcome", issued_at=clock.now_utc())
    assert Voucher.select().where(Voucher.customer == owner).count() == 1


def test_database_refuses_to_redeem_one_voucher_twice(shop) -> None:
    store, seller, _model = shop
    voucher = Voucher.create(
        code="WELCOME3", customer=make.customer(), kind="welcome", issued_at=clock.now_utc()
    )
    pack = make.product("consumable")

    def redeem(sale: Sale) -> SaleLine:
        return SaleLine.create(
            sale=sale,
            kind="voucher",
            product=pack,
            voucher=voucher,
            description="Welcome pack",
            unit_price=0,
            line_total=0,
            vat_rate=2500,
            vat_amount=0,
        )

    redeem(_sale(store, seller, "v1"))
    with pytest.raises(IntegrityError), db.atomic():
        redeem(_sale(store, seller, "v2"))


def test_database_refuses_to_use_a_claim_token_twice(shop) -> None:
    store, seller, _model = shop
    now = clock.now_utc()
    token = ClaimToken.create(
        sale=_sale(store, seller, "claimable"),
        token_hash="a" * 64,
        code_hash="b" * 64,
        created_at=now,
        expires_at=now + timedelta(days=30),
    )
    Claim.create(claim_token=token, customer=make.customer(), created_at=now)
    with pytest.raises(IntegrityError), db.atomic():
        Claim.create(claim_token=token, customer=make.customer(), created_at=now)
    assert Claim.select().count() == 1


def test_database_refuses_a_second_sale_with_one_idempotency_key(shop) -> None:
    store, seller, _model = shop
    _sale(store, seller, "double-tap")
    with pytest.raises(IntegrityError), db.atomic():
        _sale(store, seller, "double-tap")
    assert Sale.select().count() == 1


def test_database_keeps_one_open_cart_per_person(shop) -> None:
    store, seller, _model = shop
    now = clock.now_utc()
    Cart.create(store=store, staff=seller, idempotency_key="k1", created_at=now, updated_at=now)
    with pytest.raises(IntegrityError), db.atomic():
        Cart.create(store=store, staff=seller, idempotency_key="k2", created_at=now, updated_at=now)
    Cart.update(status="completed").execute()
    Cart.create(store=store, staff=seller, idempotency_key="k3", created_at=now, updated_at=now)
    assert Cart.select().where(Cart.status == "open").count() == 1


def test_database_refuses_a_money_back_return_with_a_replacement(shop) -> None:
    store, seller, model = shop
    old, new = make.device(store, model), make.device(store, model)
    reg = make.registration(store, make.customer(), old)
    with pytest.raises(IntegrityError), db.atomic():
        Swap.create(
            store=store,
            staff=seller,
            registration=reg,
            old_device=old,
            new_device=new,
            swap_case="money_back",
            outcome="money_back",
            created_at=clock.now_utc(),
            local_date=clock.today_in(store.timezone),
        )


def test_database_refuses_negative_stock_and_unknown_statuses(shop) -> None:
    store, _seller, model = shop
    level = make.stock(store, make.product("consumable"), quantity=1)
    with pytest.raises(IntegrityError), db.atomic():
        level.quantity = -1
        level.save()
    with pytest.raises(IntegrityError), db.atomic():
        make.device(store, model, status="teleported")
