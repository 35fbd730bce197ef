"""Signed-in sessions that the server can end: one database row per live sign-in.

The session cookie is signed, so nobody can forge one, but it lives in the browser: a copy
taken before signing out would stay valid for as long as the secret key does. So the cookie
also carries a random key, and a request counts as signed in only while a row holds that
key's hash. Signing out, locking the tablet and switching person delete the row; the app
keeps nothing in process memory, so every worker and host sees the same answer.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from peewee import fn

from .. import clock
from ..db import Prepared, write_transaction
from ..models import Customer, Market, Staff, Store, WebSession

# A tablet changes key at every PIN switch and idle lock, a phone at every sign-in: a row
# this old belongs to a browser that went away without signing out.
STALE_AFTER = timedelta(days=30)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(
    *, staff: Staff | None = None, customer: Customer | None = None, replacing: str | None = None
) -> str:
    """A new live session (ending ``replacing``, the one it follows); returns the cookie's key."""
    key = secrets.token_urlsafe(32)
    with write_transaction():
        if replacing:
            WebSession.delete().where(WebSession.key_hash == _digest(replacing)).execute()
        WebSession.create(
            key_hash=_digest(key), staff=staff, customer=customer, created_at=clock.now_utc()
        )
    return key


def end(key: str | None) -> None:
    """Sign-out: a copy of the cookie is worth nothing from now on."""
    if not key:
        return
    with write_transaction():
        WebSession.delete().where(WebSession.key_hash == _digest(key)).execute()


def end_all_of_staff(member: Staff, *, keep: str | None = None) -> int:
    """Every tablet session of this person but ``keep``, in the caller's transaction."""
    query = WebSession.delete().where(WebSession.staff == member.id)
    if keep:
        query = query.where(WebSession.key_hash != _digest(keep))
    return query.execute()


# The reads every request makes, composed once (db.Prepared).
_LIVE_STAFF = Prepared(
    lambda key_hash, staff_id: (
        Staff.select(Staff, Store, Market)
        .join(Store)
        .join(Market)
        .switch(Staff)
        .join(WebSession, on=(WebSession.staff == Staff.id))
        .where(
            (Staff.id == staff_id)
            & (Staff.is_active == True)  # noqa: E712
            & (WebSession.key_hash == key_hash)
        )
        .limit(1)
    ),
    key_hash=str,
    staff_id=int,
)
_LIVE_CUSTOMER = Prepared(
    lambda key_hash, customer_id, version: (
        Customer.select()
        .join(WebSession, on=(WebSession.customer == Customer.id))
        .where(
            (Customer.id == customer_id)
            & (Customer.session_version == version)
            & (WebSession.key_hash == key_hash)
        )
        .limit(1)
    ),
    key_hash=str,
    customer_id=int,
    version=str,
)
_LIVE_STORE = Prepared(
    lambda key_hash, store_id: (
        Store.select(Store, Market)
        .join(Market)
        .where(
            (Store.id == store_id)
            & fn.EXISTS(WebSession.select().where(WebSession.key_hash == key_hash))
        )
        .limit(1)
    ),
    key_hash=str,
    store_id=int,
)


def live_staff(key: str | None, staff_id: int) -> Staff | None:
    """The active staff member of this live session, with their store, in one query."""
    if not key:
        return None
    return _LIVE_STAFF.first(key_hash=_digest(key), staff_id=staff_id)


def live_customer(key: str | None, customer_id: int, version: str) -> Customer | None:
    if not key:
        return None
    return _LIVE_CUSTOMER.first(key_hash=_digest(key), customer_id=customer_id, version=version)


def live_store(key: str | None, store_id: int) -> Store | None:
    """The tablet's store while its session lives (the PIN screen, nobody signed in yet)."""
    if not key:
        return None
    return _LIVE_STORE.first(key_hash=_digest(key), store_id=store_id)


def purge_stale() -> int:
    """Rows of browsers that went away without signing out (`flask --app kiosk purge`)."""
    with write_transaction():
        return (
            WebSession.delete()
            .where(WebSession.created_at < clock.now_utc() - STALE_AFTER)
            .execute()
        )
