"""One-time codes by SMS: sign in with a mobile number, sign up with one, add one to an account.

A code is 6 digits from the OS's CSPRNG, stored as a keyed hash with its own salt, valid
10 minutes, used once, void after 5 wrong tries. Asking for a code answers alike and costs
alike whether or not the number has an account: a row is written and an SMS is sent either
way. A number with no account gets a message saying so instead of a code (its row can never
be used), and a number that has an account gets "someone tried" instead of a sign-up code.
Sending is limited per number and per client, typing codes per client, all in the database.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import IntegrityError

from .. import clock, phones
from ..db import write_transaction
from ..formatting import public_url
from ..models import Customer, OneTimeCode
from . import DomainError, audit, ratelimit, sms
from .accounts import keyed_digest
from .signup import create_customer, validate_new_account

CODE_DIGITS = 6
LIFETIME = timedelta(minutes=10)
MAX_WRONG = 5
SENDS_PER_NUMBER = 5  # an hour: enough for a lost SMS or two, too few to pester a stranger
SENDS_PER_CLIENT = 10
CHECKS_PER_CLIENT = 30  # ten minutes, across every code the client tries


@dataclass(frozen=True)
class Sent:
    """A code asked for: the row the code page works on, and whether the SMS went out."""

    code_id: int
    mobile: str
    delivered: bool


@dataclass(frozen=True)
class Verified:
    purpose: str
    customer: Customer


def _too_many(field: str) -> DomainError:
    return DomainError(
        _("Too many attempts. Wait a few minutes and try again."), field=field, status=429
    )


def parse_mobile(typed: str, region: str) -> str:
    """E.164 from what was typed, or a message at the field."""
    try:
        return phones.normalise_mobile(typed, region)
    except ValueError as err:
        raise DomainError(
            _("That is not a mobile number. Type it as on your phone, e.g. 070-174 06 05."),
            field="mobile",
            status=422,
        ) from err


def _hash(salt: str, mobile: str, code: str) -> str:
    return f"{salt}${keyed_digest('code', f'{salt}:{mobile}:{code}', length=64)}"


def _matches(stored: str, mobile: str, code: str) -> bool:
    salt, _sep, _digest = stored.partition("$")
    return hmac.compare_digest(stored, _hash(salt, mobile, code))


def _usable(row: OneTimeCode) -> bool:
    """A sign-in needs an account and a sign-up needs none; the other rows are decoys."""
    if row.purpose == "signin":
        return row.customer_id is not None
    if row.purpose == "signup":
        return row.customer_id is None
    return True


def _text(purpose: str, usable: bool, code: str, brand: str) -> str:
    minutes = int(LIFETIME.total_seconds() // 60)
    if purpose == "signin" and usable:
        return _(
            "%(code)s is your code to sign in to %(brand)s. It is valid for %(minutes)d "
            "minutes. Never give it to anyone.",
            code=code,
            brand=brand,
            minutes=minutes,
        )
    if purpose == "signin":
        return _(
            "Someone asked to sign in to %(brand)s with this number, but it has no account. "
            "Create one at %(link)s. Not you? Ignore this message.",
            brand=brand,
            link=public_url("account.signup_mobile"),
        )
    if purpose == "signup" and usable:
        return _(
            "%(code)s is your code to create your %(brand)s account. It is valid for "
            "%(minutes)d minutes.",
            code=code,
            brand=brand,
            minutes=minutes,
        )
    if purpose == "signup":
        return _(
            "Someone tried to create a %(brand)s account with this number, which has one "
            "already. Sign in with your number at %(link)s. Not you? Ignore this message.",
            brand=brand,
            link=public_url("account.signin_mobile"),
        )
    return _(
        "%(code)s is your code to add this number to your %(brand)s account. It is valid "
        "for %(minutes)d minutes.",
        code=code,
        brand=brand,
        minutes=minutes,
    )


def _issue(
    purpose: str,
    mobile: str,
    customer_id: int | None,
    details: dict[str, Any],
    *,
    client: str,
    brand: str,
    replaces: int | None = None,
) -> Sent:
    """Write a code row, then send its SMS after the commit (a slow gateway holds no lock)."""
    limits = {
        f"sms:client:{client}": SENDS_PER_CLIENT,
        f"sms:number:{keyed_digest('mobile', mobile)}": SENDS_PER_NUMBER,
    }
    if not ratelimit.within_limits(limits, window_seconds=3600):
        raise _too_many("mobile")
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = clock.now_utc()
    with write_transaction():
        if replaces is not None:  # a new code voids the one it replaces
            OneTimeCode.update(used_at=now, details="{}").where(
                (OneTimeCode.id == replaces) & OneTimeCode.used_at.is_null()
            ).execute()
        row = OneTimeCode.create(
            purpose=purpose,
            mobile=mobile,
            customer=customer_id,
            code_hash=_hash(secrets.token_hex(8), mobile, code),
            details=json.dumps(details),
            created_at=now,
            expires_at=now + LIFETIME,
        )
    delivered = sms.send(mobile, _text(purpose, _usable(row), code, brand))
    return Sent(code_id=row.id, mobile=mobile, delivered=delivered)


def _account_of(mobile: str) -> int | None:
    return Customer.select(Customer.id).where(Customer.mobile == mobile).scalar()


def request_signin(typed: str, *, region: str, client: str, brand: str) -> Sent:
    """A sign-in code for the number's account; the same answer when it has none."""
    mobile = parse_mobile(typed, region)
    return _issue("signin", mobile, _account_of(mobile), {}, client=client, brand=brand)


def request_signup(
    typed: str,
    *,
    name: str,
    birth: date,
    terms: bool,
    marketing: bool,
    legal_age: int,
    today: date,
    region: str,
    client: str,
    brand: str,
) -> Sent:
    """Keep the sign-up's details with a code; the account is made when the code comes back."""
    mobile = parse_mobile(typed, region)
    validate_new_account(birth=birth, terms=terms, legal_age=legal_age, today=today)
    details = {"name": name.strip(), "birth_date": birth.isoformat(), "marketing": marketing}
    return _issue("signup", mobile, _account_of(mobile), details, client=client, brand=brand)


def request_add_mobile(customer: Customer, typed: str, *, region: str, client: str, brand: str):
    """A code to prove the number before it is added to (or replaces one on) the account."""
    mobile = parse_mobile(typed, region)
    if mobile == customer.mobile:
        raise DomainError(_("This number is on your account already."), field="mobile", status=409)
    return _issue("add_mobile", mobile, customer.id, {}, client=client, brand=brand)


def pending(code_id: int | None) -> OneTimeCode | None:
    """The code a code page works on (its id is kept in the signed session)."""
    return OneTimeCode.get_or_none(OneTimeCode.id == code_id) if code_id else None


def resend(code_id: int, *, client: str, brand: str) -> Sent:
    """A new code for the same request: the old one is void, a sign-up keeps its details."""
    row = pending(code_id)
    if row is None:
        raise DomainError(_("Start again: type your number."), field="code", status=410)
    owner = row.customer_id if row.purpose == "add_mobile" else _account_of(row.mobile)
    return _issue(
        row.purpose,
        row.mobile,
        owner,
        json.loads(row.details),
        client=client,
        brand=brand,
        replaces=row.id,
    )


def _void() -> DomainError:
    return DomainError(
        _("This code can no longer be used. Ask for a new one."), field="code", status=410
    )


def verify(code_id: int, typed: str, *, client: str) -> Verified:
    """Check a typed code; a right one is spent and does what it was asked for."""
    if not ratelimit.hit(
        f"code-check:client:{client}", limit=CHECKS_PER_CLIENT, window_seconds=600
    ):
        raise _too_many("code")
    code = "".join(ch for ch in typed or "" if ch.isdigit())
    if len(code) != CODE_DIGITS or len(typed or "") > 20:
        raise DomainError(_("A code has 6 digits."), field="code", status=422)
    row = pending(code_id)
    now = clock.now_utc()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise _void()
    if row.attempts >= MAX_WRONG:
        raise _void()
    if not (_matches(row.code_hash, row.mobile, code) and _usable(row)):
        with write_transaction():
            OneTimeCode.update(attempts=OneTimeCode.attempts + 1).where(
                (OneTimeCode.id == row.id) & (OneTimeCode.attempts < MAX_WRONG)
            ).execute()
        left = MAX_WRONG - row.attempts - 1
        if left <= 0:
            raise DomainError(
                _("That code is not right, and that was the last try: ask for a new code."),
                field="code",
                status=410,
            )
        raise DomainError(
            ngettext(
                "That code is not right. %(num)d try left.",
                "That code is not right. %(num)d tries left.",
                left,
            ),
            field="code",
            status=422,
        )
    try:
        with write_transaction():
            # Spent: and a sign-up's name and date of birth are not kept a moment longer.
            spent = (
                OneTimeCode.update(used_at=now, details="{}")
                .where(
                    (OneTimeCode.id == row.id)
                    & OneTimeCode.used_at.is_null()
                    & (OneTimeCode.attempts < MAX_WRONG)
                )
                .execute()
            )
            if spent != 1:  # another tab spent it a moment ago
                raise _void()
            customer = _complete(row)
    except IntegrityError as err:
        if row.purpose == "signup":
            raise DomainError(
                _("This number has an account already: sign in with it instead."),
                field="code",
                status=409,
            ) from err
        raise DomainError(
            _("That number belongs to another account."), field="code", status=409
        ) from err
    return Verified(purpose=row.purpose, customer=customer)


def _complete(row: OneTimeCode) -> Customer:
    """What a right code does, in the transaction that spends it."""
    if row.purpose == "signin":
        customer = Customer.get_by_id(row.customer_id)
        audit.record("customer.signed_in_by_code", customer=customer, subject=customer)
        return customer
    if row.purpose == "signup":
        details = json.loads(row.details)
        return create_customer(
            email=None,
            mobile=row.mobile,
            name=details["name"],
            birth=date.fromisoformat(details["birth_date"]),
            marketing=bool(details["marketing"]),
        )
    Customer.update(mobile=row.mobile).where(Customer.id == row.customer_id).execute()
    customer = Customer.get_by_id(row.customer_id)
    audit.record("customer.mobile_verified", customer=customer, subject=customer)
    return customer
