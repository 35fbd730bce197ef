"""The swap desk: look a device up, decide with the policy, replace or refund atomically."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from peewee import JOIN, BooleanField, Expression, IntegrityError

from .. import clock, policy
from ..db import is_postgres, write_transaction
from ..models import (
    Customer,
    Device,
    Market,
    ModelSuccessor,
    Product,
    Registration,
    Sale,
    SaleLine,
    Staff,
    Store,
    Swap,
    SwapRefusal,
)
from . import DomainError, audit, unit_life


def unused(flag: BooleanField) -> Expression:
    """``flag IS false``, written so the conditional update wins a race exactly once."""
    return flag == False  # noqa: E712 - a SQL expression, not a Python comparison


FAULT_CODES = ("NO_HEAT", "BATTERY", "CHARGING", "BUTTON", "LED", "CRACKED", "WATER", "OTHER")


@dataclass(frozen=True)
class DeviceFile:
    """Everything the swap desk shows about one unit, read in a handful of queries."""

    device: Device
    registration: Registration | None
    owner: Customer | None
    sold_on: date | None  # the local date of our sale of the unit's chain, when we know it
    history: list[Device]  # every unit of the chain, oldest first
    swaps: list[Swap]
    money_back_returns: int

    @property
    def registered(self) -> bool:
        return self.registration is not None and self.registration.ended_at is None

    @property
    def purchase_date(self) -> date | None:
        return self.registration.purchase_date if self.registration else self.sold_on

    def windows(self) -> dict[str, date | None]:
        reg = self.registration
        if reg is None:
            return {"warranty": None, "accident": None, "money_back": None}
        return {
            "warranty": policy.warranty_last_day(reg.purchase_date),
            "accident": policy.accident_cover_last_day(reg.registration_date),
            "money_back": policy.money_back_last_day(reg.purchase_date),
        }


def typed_serial(raw: str, field: str = "serial") -> str:
    """A serial scanned or typed at a desk, as stored; a DomainError at ``field`` if it is none."""
    try:
        return policy.normalise_serial(raw or "")
    except ValueError as err:
        raise DomainError(
            _("Scan or type the serial number under the box."), field=field, status=422
        ) from err


def find(raw_serial: str) -> DeviceFile:
    serial = typed_serial(raw_serial)
    device = Device.select(Device, Product).join(Product).where(Device.serial == serial).first()
    if device is None:
        raise DomainError(
            _("No device with serial %(serial)s.", serial=serial), field="serial", status=404
        )
    return load(device.id)


def load(device_id: int) -> DeviceFile:
    device = (
        Device.select(Device, Product, Store)
        .join(Product)
        .switch(Device)
        .join(Store)
        .where(Device.id == device_id)
        .get()
    )
    registration = owner = None
    history: list[Device] = [device]
    swaps: list[Swap] = []
    returns = 0
    if device.registration_id:
        registration = (
            Registration.select(Registration, Customer)
            .join(Customer, JOIN.LEFT_OUTER)
            .where(Registration.id == device.registration_id)
            .get()
        )
        owner = registration.customer if registration.customer_id else None
        # Oldest first by when each unit joined the chain: a replacement taken from the
        # shelf may have a lower id than the unit the customer bought.
        history = list(
            Device.select(Device, Product)
            .join(Product)
            .where(Device.registration == registration)
            .order_by(Device.first_registered_at, Device.id)
        )
        swaps = list(Swap.select().where(Swap.registration == registration).order_by(Swap.id))
        if owner is not None:
            returns = (
                Swap.select()
                .join(Registration)
                .where((Registration.customer == owner) & (Swap.outcome == "money_back"))
                .count()
            )
    sold = _chain_sale(history).first()
    return DeviceFile(
        device=device,
        registration=registration,
        owner=owner,
        sold_on=sold.sale.local_date if sold else None,
        history=history,
        swaps=swaps,
        money_back_returns=returns,
    )


def _chain_sale(history: list[Device]):  # noqa: ANN202 - a Peewee query
    """Our latest sale of the unit the customer bought (the chain's first unit).

    The latest: a sealed return is restocked and may be sold again. Not the replacements':
    a replacement taken from the shelf may have been sold to someone else before.
    """
    return (
        SaleLine.select(SaleLine, Sale)
        .join(Sale)
        .where(SaleLine.device == history[0].id)
        .order_by(SaleLine.id.desc())
    )


def decide(file: DeviceFile, case: str, today: date) -> policy.Decision:
    """The policy's answer for this unit and this case, today in the store."""
    reg = file.registration if file.registered else None
    store = file.device.store
    if file.device.status != "sold":
        return policy.Decision(
            allowed=False,
            outcome=None,
            reason="This unit is not with a customer.",
            code="not_with_customer",
        )
    return policy.decide_swap(
        case,
        today,
        registered=reg is not None,
        purchase_date=reg.purchase_date if reg else (file.sold_on or today),
        registration_date=reg.registration_date if reg else None,
        accident_claim_used=reg.accident_claim_used if reg else False,
        money_back_used=reg.money_back_used if reg else False,
        money_back_returns_by_customer=file.money_back_returns,
        money_back_limit=store.money_back_limit,
    )


def record_refusal(
    store: Store, member: Staff, file: DeviceFile, case: str, decision: policy.Decision
) -> None:
    """Keep a refused swap for the manager; once per unit, case and day is enough."""
    today = clock.today_in(store.timezone)
    with write_transaction():
        seen = SwapRefusal.select().where(
            (SwapRefusal.device == file.device)
            & (SwapRefusal.swap_case == case)
            & (SwapRefusal.local_date == today)
        )
        if seen.exists():
            return
        refusal = SwapRefusal.create(
            store=store,
            staff=member,
            device=file.device,
            swap_case=case,
            reason=decision.reason,
            created_at=clock.now_utc(),
            local_date=today,
        )
        audit.record("swap.refused", store=store, staff=member, subject=refusal, code=decision.code)


def _lock_device(device_id: int) -> Device:
    query = Device.select().where(Device.id == device_id)
    if is_postgres():
        query = query.for_update()
    return query.get()


def _check_replacement(store: Store, old: Device, raw_serial: str) -> Device:
    serial = typed_serial(raw_serial, field="replacement")
    new = Device.select(Device, Store).join(Store).where(Device.serial == serial).first()
    if new is None:
        raise DomainError(
            _("No device with serial %(serial)s.", serial=serial), field="replacement", status=404
        )
    if new.id == old.id:
        raise DomainError(
            _("Scan the new unit from the shelf, not the faulty one."),
            field="replacement",
            status=422,
        )
    if new.store_id != store.id:
        raise DomainError(
            _(
                "Serial %(serial)s belongs to the stock of %(store)s, not this store.",
                serial=serial,
                store=new.store.name,
            ),
            field="replacement",
            status=409,
        )
    if new.status != "in_stock":
        raise DomainError(
            _("Serial %(serial)s is not in stock.", serial=serial), field="replacement", status=409
        )
    allowed_models = {old.product_id} | {
        row.successor_id
        for row in ModelSuccessor.select().where(ModelSuccessor.product == old.product_id)
    }
    if new.product_id not in allowed_models:
        raise DomainError(
            _("A replacement must be the same model, or a successor an admin has mapped."),
            field="replacement",
            status=409,
        )
    return new


def replace(
    store: Store,
    member: Staff,
    device_id: int,
    *,
    case: str,
    replacement_serial: str,
    fault_code: str,
    note: str,
) -> Swap:
    """Swap a faulty unit for a new one from this store's stock, in one transaction."""
    if fault_code not in FAULT_CODES:
        raise DomainError(_("Choose a fault code."), field="fault_code", status=422)
    if len(note) > 500:
        raise DomainError(_("A note is at most 500 characters."), field="note", status=422)
    today = clock.today_in(store.timezone)
    try:
        with write_transaction():
            old = _lock_device(device_id)
            file = load(old.id)
            decision = decide(file, case, today)
            if not decision.allowed or decision.outcome not in ("warranty", "accident"):
                raise DomainError(decision.reason, field="case", status=409)
            new = _check_replacement(store, old, replacement_serial)
            reg = file.registration
            assert reg is not None
            moved_out = (
                Device.update(status="replaced_out", fault_code=fault_code, notes=note or None)
                .where((Device.id == old.id) & (Device.status == "sold"))
                .execute()
            )
            moved_in = (
                Device.update(status="sold", registration=reg, first_registered_at=clock.now_utc())
                .where((Device.id == new.id) & (Device.status == "in_stock"))
                .execute()
            )
            if moved_out != 1 or moved_in != 1:
                raise DomainError(_("This device was just swapped on another tablet."))
            if decision.outcome == "accident":
                claimed = (
                    Registration.update(accident_claim_used=True)
                    .where((Registration.id == reg.id) & unused(Registration.accident_claim_used))
                    .execute()
                )
                if claimed != 1:
                    raise DomainError(
                        _("The one accidental damage replacement has already been used.")
                    )
            swap = Swap.create(
                store=store,
                staff=member,
                registration=reg,
                old_device=old,
                new_device=new,
                swap_case=case,
                outcome=decision.outcome,
                fault_code=fault_code,
                note=note,
                created_at=clock.now_utc(),
                local_date=today,
            )
            unit_life.record(
                [old.id],
                "swapped_out",
                store=store,
                staff=member,
                status="replaced_out",
                subject=swap,
            )
            unit_life.record(
                [new.id], "replacement", store=store, staff=member, status="sold", subject=swap
            )
            audit.record(
                "swap.replaced",
                store=store,
                staff=member,
                subject=swap,
                outcome=decision.outcome,
                old_device=old.id,
                new_device=new.id,
            )
            return swap
    except IntegrityError as err:
        raise DomainError(_("This device was just swapped on another tablet.")) from err


def money_back(
    store: Store, member: Staff, device_id: int, *, unit_state: str, note: str = ""
) -> Swap:
    """Refund the unit's sale price; the unit returns to this store and the chain ends.

    A sealed unit goes straight back on the shelf (sellable again); an opened or faulty one
    waits to go back to the maker.
    """
    if unit_state not in policy.RETURNED_UNIT_STATES:
        raise DomainError(
            _("Say whether the box is sealed, opened or faulty."), field="unit_state", status=422
        )
    today = clock.today_in(store.timezone)
    try:
        with write_transaction():
            old = _lock_device(device_id)
            file = load(old.id)
            decision = decide(file, "money_back", today)
            if not decision.allowed:
                raise DomainError(decision.reason, field="case", status=409)
            reg = file.registration
            assert reg is not None
            original = _chain_sale(file.history).first()
            if original is None:
                raise DomainError(
                    _("This device was not sold by us, so there is no sale to refund."),
                    field="case",
                    status=409,
                )
            sold_in = (
                Market.select(Market.currency)
                .join(Store, on=(Store.market == Market.id))
                .join(Sale, on=(Sale.store == Store.id))
                .where(Sale.id == original.sale_id)
                .scalar()
            )
            if sold_in != store.currency:
                # The refund is the line as it was sold: another currency's till cannot pay it.
                raise DomainError(
                    _(
                        "This device was sold in %(currency)s: money back is paid in a store "
                        "that takes %(currency)s.",
                        currency=sold_in,
                    ),
                    field="case",
                    status=409,
                )
            returned = (
                Device.update(status="returned", store=store)
                .where((Device.id == old.id) & (Device.status == "sold"))
                .execute()
            )
            ended = (
                Registration.update(
                    money_back_used=True, ended_at=clock.now_utc(), end_reason="money_back"
                )
                .where((Registration.id == reg.id) & unused(Registration.money_back_used))
                .execute()
            )
            if returned != 1 or ended != 1:
                raise DomainError(_("This device was just returned on another tablet."))
            swap = Swap.create(
                store=store,
                staff=member,
                registration=reg,
                old_device=old,
                new_device=None,
                swap_case="money_back",
                outcome="money_back",
                note=note,
                refund_amount=original.line_total,
                unit_state=unit_state,
                original_sale_line=original,
                created_at=clock.now_utc(),
                local_date=today,
            )
            unit_life.record(
                [old.id], "returned", store=store, staff=member, status="returned", subject=swap
            )
            if policy.returned_unit_status(unit_state) == "in_stock":
                Device.update(status="in_stock").where(Device.id == old.id).execute()
                unit_life.record(
                    [old.id],
                    "restocked",
                    store=store,
                    staff=member,
                    status="in_stock",
                    subject=swap,
                )
            audit.record(
                "swap.money_back",
                store=store,
                staff=member,
                subject=swap,
                refund=original.line_total,
                device=old.id,
                unit_state=unit_state,
            )
            return swap
    except IntegrityError as err:
        raise DomainError(_("This device was just returned on another tablet.")) from err


def swap_for_receipt(swap_id: int, store: Store | None) -> Swap | None:
    """One swap with what its receipt shows; ``store`` None: any store's (an admin's)."""
    NewDevice = Device.alias()
    query = (
        Swap.select(Swap, Store, Market, Device, Product, NewDevice, Staff, Registration)
        .join(Store)
        .join(Market)
        .switch(Swap)
        .join(Device, on=(Swap.old_device == Device.id))
        .join(Product)
        .switch(Swap)
        .join(NewDevice, JOIN.LEFT_OUTER, on=(Swap.new_device == NewDevice.id))
        .switch(Swap)
        .join(Staff)
        .switch(Swap)
        .join(Registration)
        .where(Swap.id == swap_id)
    )
    if store is not None:
        query = query.where(Swap.store == store)
    return query.first()


def refund_vat(swap: Swap) -> dict[int, int]:
    """The VAT in a money-back refund, at the rate its line was sold at (a credit note's)."""
    if swap.refund_amount is None or swap.original_sale_line_id is None:
        return {}
    rate = (
        SaleLine.select(SaleLine.vat_rate).where(SaleLine.id == swap.original_sale_line_id).scalar()
    )
    return {} if rate is None else {rate: policy.vat_of(swap.refund_amount, rate)}
