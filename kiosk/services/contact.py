"""Which store a customer deals with: its contact on the help page, its name in an SMS.

The store of their latest purchase or registration; else the store of the claim they came
from (kept in the session when a claim page opens); else the chain's first store.
"""

from __future__ import annotations

from ..models import Customer, Registration, Sale, Store

# The session key for the store of the claim page a phone opened.
CLAIM_STORE = "claim_store"


def store_for(customer: Customer | None, claim_store_id: int | None = None) -> Store | None:
    if customer is not None:
        latest = [
            row
            for row in (
                Registration.select(Registration.store, Registration.created_at)
                .where(Registration.customer == customer)
                .order_by(Registration.created_at.desc(), Registration.id.desc())
                .first(),
                Sale.select(Sale.store, Sale.created_at)
                .where(Sale.customer == customer)
                .order_by(Sale.created_at.desc(), Sale.id.desc())
                .first(),
            )
            if row is not None
        ]
        if latest:
            newest = max(latest, key=lambda row: row.created_at)
            return Store.get_by_id(newest.store_id)
    if claim_store_id:
        store = Store.get_or_none(Store.id == claim_store_id)
        if store is not None:
            return store
    return Store.select().order_by(Store.id).first()


def brand_of(store: Store | None) -> str:
    """The name a customer knows the store by (the maker's brand is never hard-coded)."""
    if store is None:
        return "Store Kiosk"
    return store.brand_name or store.name
