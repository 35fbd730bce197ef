"""Staff sign-in: the tablet's password sign-in and the quick PIN switch."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.security import check_password_hash

from .. import clock
from ..db import write_transaction
from ..models import Staff, Store
from . import DomainError, audit, ratelimit

MAX_PIN_ATTEMPTS = 5
PIN_LOCK = timedelta(minutes=5)
# Checked against a real hash when the username is unknown, so timing tells nothing.
_DUMMY_HASH = "scrypt:32768:8:1$dummydummydummy$" + "0" * 128

PASSWORD_LIMIT_PER_CLIENT = 20
PASSWORD_LIMIT_PER_USERNAME = 10
PIN_LIMIT_PER_CLIENT = 30
WINDOW_SECONDS = 300


def _too_many() -> DomainError:
    return DomainError(_("Too many attempts. Wait a few minutes and try again."), status=429)


def sign_in_with_password(username: str, password: str, *, client: str) -> Staff:
    """The staff member whose username and password these are, or a DomainError."""
    username = username.strip().lower()
    if not ratelimit.hit(
        f"pw:client:{client}", limit=PASSWORD_LIMIT_PER_CLIENT, window_seconds=WINDOW_SECONDS
    ):
        raise _too_many()
    if not ratelimit.hit(
        f"pw:user:{username}", limit=PASSWORD_LIMIT_PER_USERNAME, window_seconds=WINDOW_SECONDS
    ):
        raise _too_many()
    member = Staff.get_or_none(Staff.username == username)
    valid = check_password_hash(member.password_hash if member else _DUMMY_HASH, password)
    if member is None or not valid or not member.is_active:
        with write_transaction():
            audit.record(
                "staff.sign_in_failed", staff=member, store=member.store_id if member else None
            )
        # One message for both: a wrong username must not be told apart from a wrong password.
        raise DomainError(_("Wrong username or password."), field="password", status=401)
    with write_transaction():
        audit.record("staff.signed_in", store=member.store_id, staff=member, method="password")
    return member


def pin_lock_remaining(member: Staff) -> timedelta | None:
    if member.pin_locked_until and member.pin_locked_until > clock.now_utc():
        return member.pin_locked_until - clock.now_utc()
    return None


def _locked_message(remaining: timedelta) -> str:
    minutes = max(1, -(-int(remaining.total_seconds()) // 60))
    return ngettext(
        "Locked after too many wrong PINs. Try again in %(num)d minute.",
        "Locked after too many wrong PINs. Try again in %(num)d minutes.",
        minutes,
    )


def switch_with_pin(store: Store, staff_id: int, pin: str, *, client: str) -> Staff:
    """The colleague of this store whose PIN this is; five wrong PINs lock them out."""
    if not ratelimit.hit(
        f"pin:client:{client}", limit=PIN_LIMIT_PER_CLIENT, window_seconds=WINDOW_SECONDS
    ):
        raise _too_many()
    with write_transaction():
        member = Staff.get_or_none(
            (Staff.id == staff_id) & (Staff.store == store) & (Staff.is_active == True)  # noqa: E712
        )
        if member is None:
            raise DomainError(_("Choose your name on the list."), field="pin", status=404)
        remaining = pin_lock_remaining(member)
        if remaining:
            raise DomainError(_locked_message(remaining), field="pin", status=423)
        if check_password_hash(member.pin_hash, pin):
            Staff.update(failed_pin_attempts=0, pin_locked_until=None).where(
                Staff.id == member.id
            ).execute()
            audit.record("staff.signed_in", store=store, staff=member, method="pin")
            return member
        failures = member.failed_pin_attempts + 1
        if failures >= MAX_PIN_ATTEMPTS:
            until = clock.now_utc() + PIN_LOCK
            Staff.update(failed_pin_attempts=0, pin_locked_until=until).where(
                Staff.id == member.id
            ).execute()
            audit.record("staff.pin_locked", store=store, staff=member, minutes=5)
            error = DomainError(_locked_message(PIN_LOCK), field="pin", status=423)
        else:
            Staff.update(failed_pin_attempts=Staff.failed_pin_attempts + 1).where(
                Staff.id == member.id
            ).execute()
            left = MAX_PIN_ATTEMPTS - failures
            error = DomainError(
                ngettext(
                    "Wrong PIN. %(num)d try left before a 5-minute lock.",
                    "Wrong PIN. %(num)d tries left before a 5-minute lock.",
                    left,
                ),
                field="pin",
                status=401,
            )
    # Raised after the commit, so the failure count sticks.
    raise error


def record_sign_out(member: Staff, *, reason: str) -> None:
    with write_transaction():
        audit.record("staff.signed_out", store=member.store_id, staff=member, reason=reason)


def record_role_refused(member: Staff, *, endpoint: str, store: Store | None) -> None:
    with write_transaction():
        audit.record("staff.role_refused", store=store, staff=member, endpoint=endpoint)
