"""My details: the customer's name and postal addresses (the date of birth proved the age
and is never changed here; the mobile number changes through a code, see ``codes``)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from .. import clock
from ..db import write_transaction
from ..models import Address, Customer
from . import DomainError, audit

MAX_ADDRESSES = 10
ADDRESS_FIELDS = ("recipient", "street", "extra", "postal_code", "city", "country")


def change_name(customer: Customer, name: str) -> None:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Type your name."), field="name", status=422)
    if name == customer.name:
        return
    with write_transaction():
        Customer.update(name=name).where(Customer.id == customer.id).execute()
        audit.record(
            "customer.details_changed", customer=customer, subject=customer, fields=["name"]
        )


def addresses_of(customer: Customer) -> list[Address]:
    """The default first, then in the order they were added."""
    return list(
        Address.select()
        .where(Address.customer == customer)
        .order_by(Address.is_default.desc(), Address.id)
    )


def address_of(customer: Customer, address_id: int) -> Address:
    """One of the customer's own addresses; anyone else's is as good as none."""
    address = Address.get_or_none((Address.id == address_id) & (Address.customer == customer))
    if address is None:
        raise DomainError(_("That address is not in your details."), status=404)
    return address


def _clean(values: dict[str, Any]) -> dict[str, str]:
    return {name: " ".join(str(values.get(name) or "").split()) for name in ADDRESS_FIELDS}


def _make_default(customer: Customer, address_id: int) -> None:
    # Clear the old default before setting the new one: the partial unique index allows one.
    Address.update(is_default=False).where(
        (Address.customer == customer) & (Address.id != address_id) & Address.is_default
    ).execute()
    Address.update(is_default=True).where(Address.id == address_id).execute()


def add_address(customer: Customer, values: dict[str, Any], *, default: bool) -> Address:
    now = clock.now_utc()
    with write_transaction():
        count = Address.select().where(Address.customer == customer).count()
        if count >= MAX_ADDRESSES:
            raise DomainError(
                _("You have %(n)d addresses, the most there can be: delete one first.", n=count),
                field="street",
                status=409,
            )
        address = Address.create(
            customer=customer, is_default=False, created_at=now, updated_at=now, **_clean(values)
        )
        if default or count == 0:  # the first address is the default
            _make_default(customer, address.id)
        audit.record("address.added", customer=customer, subject=address)
    return address


def change_address(
    customer: Customer, address_id: int, values: dict[str, Any], *, default: bool
) -> None:
    with write_transaction():
        address = address_of(customer, address_id)
        changed = {k: v for k, v in _clean(values).items() if getattr(address, k) != v}
        if changed:
            Address.update(updated_at=clock.now_utc(), **changed).where(
                Address.id == address.id
            ).execute()
        if default and not address.is_default:
            _make_default(customer, address.id)
        if changed or (default and not address.is_default):
            audit.record(
                "address.changed",
                customer=customer,
                subject=address,
                fields=sorted(changed),
                default=default,
            )


def delete_address(customer: Customer, address_id: int) -> None:
    """Gone at once; when it was the default, the oldest remaining one takes over."""
    with write_transaction():
        address = address_of(customer, address_id)
        Address.delete().where(Address.id == address.id).execute()
        if address.is_default:
            oldest = (
                Address.select(Address.id)
                .where(Address.customer == customer)
                .order_by(Address.id)
                .first()
            )
            if oldest is not None:
                _make_default(customer, oldest.id)
        audit.record("address.deleted", customer=customer, subject=address)
