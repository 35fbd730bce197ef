"""Creating staff and managing their PINs and passwords."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock, policy
from ..db import write_transaction
from ..models import ROLES, Staff, Store
from . import DomainError, audit, sessions

PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
USERNAME_PATTERN = re.compile(r"^[a-z0-9._-]{2,64}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
ABOVE_OWN_ROLE = _l("You cannot give or change a role above your own.")
CHALLENGE_NOT_ABOVE_LEGAL = _l("The challenge age is above the legal age.")


def validate_pin(pin: str) -> None:
    if not PIN_PATTERN.fullmatch(pin or ""):
        raise DomainError(str(_l("A PIN is 4 to 8 digits, nothing else.")), field="pin", status=400)


def pin_taken(store: Store, pin: str, *, except_staff: Staff | None = None) -> bool:
    """Whether someone else in the store already has this PIN.

    PINs are stored as salted hashes, so the check compares against each
    colleague's hash; a store has a handful of staff, and PINs change rarely.
    """
    query = Staff.select(Staff.id, Staff.pin_hash).where(
        (Staff.store == store) & (Staff.is_active == True)  # noqa: E712
    )
    return any(
        check_password_hash(s.pin_hash, pin)
        for s in query
        if except_staff is None or s.id != except_staff.id
    )


def create_staff(
    store: Store,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    pin: str,
    by: Staff | None = None,
) -> Staff:
    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise DomainError(
            str(_l("A username is 2 to 64 lower-case letters, digits, dots or dashes.")),
            field="username",
            status=400,
        )
    if role not in ROLES:
        raise DomainError(str(_l("Unknown role.")), field="role", status=400)
    if by is not None and not by.has_role(role):
        raise DomainError(str(ABOVE_OWN_ROLE), field="role", status=403)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            str(_l("A password needs at least 8 characters.")), field="password", status=400
        )
    validate_pin(pin)
    with write_transaction():
        if Staff.select().where(Staff.username == username).exists():
            raise DomainError(str(_l("That username is taken.")), field="username")
        if pin_taken(store, pin):
            raise DomainError(str(_l("Someone in this store already has that PIN.")), field="pin")
        member = Staff.create(
            store=store,
            username=username,
            display_name=display_name.strip() or username,
            role=role,
            password_hash=generate_password_hash(password),
            pin_hash=generate_password_hash(pin),
            created_at=clock.now_utc(),
        )
        audit.record("staff.created", store=store, staff=by, subject=member, role=role)
    return member


def _in_scope(by: Staff, member: Staff) -> None:
    """Managers manage their own store's people, and nobody manages someone above them."""
    if by.role != "admin" and member.store_id != by.store_id:
        raise DomainError(str(_l("You can manage staff of your own store only.")), status=403)
    if not by.has_role(member.role):
        raise DomainError(str(ABOVE_OWN_ROLE), status=403)


def deactivate(member: Staff, *, by: Staff) -> None:
    _in_scope(by, member)
    if member.id == by.id:
        raise DomainError(str(_l("You cannot deactivate yourself.")), status=409)
    with write_transaction():
        Staff.update(is_active=False).where(Staff.id == member.id).execute()
        sessions.end_all_of_staff(member)
        audit.record("staff.deactivated", store=member.store_id, staff=by, subject=member)


def reactivate(member: Staff, pin: str, *, by: Staff) -> None:
    """Undo a deactivation, with a new PIN: while they were away a colleague may have got
    theirs, and a PIN must stay unique in the store (only its hash is kept to compare)."""
    _set_pin(member, pin, by=by, action="staff.reactivated", is_active=True)


def set_password(member: Staff, password: str, *, by: Staff, keep_session: str | None) -> None:
    """A new password for a colleague who forgot theirs (or whose password got out).

    Every tablet session of theirs ends, except ``keep_session`` (the one setting it, when
    it is their own): a leaked password must not leave its sessions behind.
    """
    _in_scope(by, member)
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise DomainError(
            str(_l("A password is 8 to 128 characters.")), field="password", status=422
        )
    with write_transaction():
        Staff.update(password_hash=generate_password_hash(password)).where(
            Staff.id == member.id
        ).execute()
        ended = sessions.end_all_of_staff(member, keep=keep_session)
        audit.record(
            "staff.password_set",
            store=member.store_id,
            staff=by,
            subject=member,
            sessions_ended=ended,
        )


def reset_pin(member: Staff, pin: str, *, by: Staff) -> None:
    _set_pin(member, pin, by=by, action="staff.pin_reset")


def _set_pin(member: Staff, pin: str, *, by: Staff, action: str, **also: object) -> None:
    _in_scope(by, member)
    validate_pin(pin)
    with write_transaction():
        if pin_taken(member.store, pin, except_staff=member):
            raise DomainError(str(_l("Someone in this store already has that PIN.")), field="pin")
        Staff.update(
            pin_hash=generate_password_hash(pin),
            failed_pin_attempts=0,
            pin_locked_until=None,
            **also,
        ).where(Staff.id == member.id).execute()
        audit.record(action, store=member.store_id, staff=by, subject=member)


def change_role(member: Staff, role: str, *, by: Staff) -> None:
    """A manager may give any role up to their own, never above it."""
    _in_scope(by, member)
    if role not in ROLES:
        raise DomainError(str(_l("Unknown role.")), field="role", status=400)
    if not by.has_role(role):
        raise DomainError(str(ABOVE_OWN_ROLE), field="role", status=403)
    with write_transaction():
        Staff.update(role=role).where(Staff.id == member.id).execute()
        audit.record(
            "staff.role_changed",
            store=member.store_id,
            staff=by,
            subject=member,
            old=member.role,
            new=role,
        )


SETTINGS = (
    "name",
    "timezone",
    "language",
    "legal_age",
    "challenge_age",
    "idle_lock_seconds",
    "claim_token_days",
    "refusal_retention_days",  # `flask --app kiosk purge` removes older refusals
    "contact_phone",  # the customer's help page shows these three
    "contact_email",
    "opening_hours",
)


def update_settings(store: Store, values: dict, *, by: Staff) -> None:
    if values["timezone"] not in available_timezones():
        raise DomainError(
            str(_l("Unknown time zone: use a name such as Europe/Stockholm.")),
            field="timezone",
            status=422,
        )
    try:
        policy.check_challenge_age(values["challenge_age"], values["legal_age"])
    except ValueError as err:
        raise DomainError(
            str(CHALLENGE_NOT_ABOVE_LEGAL), field="challenge_age", status=422
        ) from err
    changed = {k: values[k] for k in SETTINGS if getattr(store, k) != values[k]}
    if not changed:
        return
    with write_transaction():
        Store.update(**changed).where(Store.id == store.id).execute()
        audit.record("store.settings_changed", store=store, staff=by, subject=store, **changed)
