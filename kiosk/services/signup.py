"""Making an account: by email (activated by a mailed link) or, through ``codes``, by mobile.

Sign-up answers the same for a new email and one that has an account, and signs nobody in;
the first opening of the activation link does.
"""

from __future__ import annotations

import secrets
from datetime import date

from flask_babel import gettext as _
from peewee import IntegrityError
from werkzeug.security import generate_password_hash

from .. import clock, policy
from ..db import write_transaction
from ..formatting import public_url
from ..models import Customer, Store
from . import DomainError, audit, mail, ratelimit
from .accounts import (
    ACTIVATION_SECONDS,
    _digest_matches,
    _email_digest,
    _load,
    _signer,
    normalise_email,
    validate_password,
)


def validate_new_account(*, birth: date, terms: bool, legal_age: int, today: date) -> None:
    """What every new account needs, whether made with an email or a mobile number."""
    if not terms:
        raise DomainError(_("Accept the terms to create an account."), field="terms", status=422)
    try:
        policy.validate_birth_date(birth, today)
    except ValueError as err:
        raise DomainError(_("Check the date of birth."), field="birth_date", status=422) from err
    if not policy.is_of_legal_age(birth, today, legal_age):
        raise DomainError(
            _("You must be %(age)d or over to create an account.", age=legal_age),
            field="birth_date",
            status=422,
        )


def sign_up(
    *,
    email: str,
    password: str,
    name: str,
    birth: date,
    terms: bool,
    marketing: bool,
    legal_age: int,
    today: date,
    client: str,
) -> bool:
    """Create the account and mail its activation link; for a taken email, mail its owner.

    Both cases answer alike and cost alike (a password hash, one write, one mail), so sign-up
    tells nobody which emails have accounts, as the forgotten-password page does not. Returns
    whether the mail went out. Nobody is signed in here: the activation link does that, so
    only the holder of the mailbox gets in.
    """
    email = normalise_email(email)
    validate_password(password)
    validate_new_account(birth=birth, terms=terms, legal_age=legal_age, today=today)
    limits = {f"signup:client:{client}": 10, f"signup:email:{_email_digest(email)}": 3}
    if not ratelimit.within_limits(limits, window_seconds=3600):
        raise DomainError(
            _("Too many attempts. Wait a few minutes and try again."), field="email", status=429
        )
    password_hash = generate_password_hash(password)
    try:
        with write_transaction():
            customer = create_customer(
                email=email,
                name=name,
                birth=birth,
                marketing=marketing,
                password_hash=password_hash,
            )
    except IntegrityError:
        existing = Customer.get_or_none(Customer.email == email)
        if existing is None:  # the row that collided has gone since: nothing to tell anyone
            return True
        with write_transaction():
            audit.record("customer.sign_up_repeated", customer=existing, subject=existing)
        return _send_someone_tried(existing)
    return send_activation(customer)


def _send_someone_tried(customer: Customer) -> bool:
    """Tell an account's owner that someone tried to sign up with their email."""
    text = _(
        "Hello %(name)s,\n\nSomeone, perhaps you, tried to create an account with this email. "
        "You have one already: sign in at\n%(signin)s\n\nForgot your password? Choose a new "
        "one at\n%(forgot)s\n\nIf it was not you, ignore this mail: nothing has changed.",
        name=customer.name,
        signin=public_url("account.signin"),
        forgot=public_url("account.forgot"),
    )
    if customer.activated_at is None:
        text += "\n\n" + _(
            "Your account is not active yet. Open this link within 24 hours to activate it:\n"
            "%(link)s",
            link=public_url("account.activate", token=activation_token(customer)),
        )
    return mail.send(customer.email, _("Someone tried to create an account"), text) is not None


def create_customer(
    *,
    email: str | None,
    name: str,
    birth: date,
    marketing: bool,
    password_hash: str | None = None,
    mobile: str | None = None,
    store: Store | None = None,
) -> Customer:
    """Write a new account in the caller's transaction.

    No password when made at the counter or with a mobile number; a verified ``mobile``
    (E.164) makes the account active at once, since the code proved the number.
    """
    now = clock.now_utc()
    customer = Customer.create(
        email=normalise_email(email) or None,
        mobile=mobile,
        password_hash=password_hash,
        name=name.strip(),
        birth_date=birth,
        activated_at=now if mobile else None,
        marketing_consent=marketing,
        consent_changed_at=now,
        terms_accepted_at=now,
        session_version=secrets.token_hex(8),
        created_at=now,
    )
    audit.record(
        "customer.signed_up",
        store=store,
        customer=customer,
        subject=customer,
        by_mobile=bool(mobile),
    )
    return customer


def activation_token(customer: Customer) -> str:
    """The activation link's token: the account id and a hash of its email, never the email."""
    return _signer("activate").dumps({"id": customer.id, "e": _email_digest(customer.email)})


def send_activation(customer: Customer) -> bool:
    """Mail the activation link; True when the mail went out (see ``mail.send``)."""
    if not customer.email:
        return False
    link = public_url("account.activate", token=activation_token(customer))
    sent = mail.send(
        customer.email,
        _("Activate your account"),
        _(
            "Hello %(name)s,\n\nOpen this link within 24 hours to activate your account:\n"
            "%(link)s\n\nIf you did not ask for this, ignore this mail.",
            name=customer.name,
            link=link,
        ),
    )
    return sent is not None


def resend_activation(email: str, *, client: str) -> bool | None:
    """Mail a new activation link if ``email`` has an account that is not active yet.

    Returns None when there was nothing to send (no such account, or already active), else
    whether the mail went out. Only someone signed in to that very account may be told which;
    anyone else gets one answer, so this page tells nobody which emails have accounts. Limited
    per client and per email, so nobody can fill a stranger's inbox with it.
    """
    email = normalise_email(email)
    limits = {
        f"activation:client:{client}": 10,
        f"activation:email:{_email_digest(email)}": 3,  # the counter table keeps no address
    }
    if not ratelimit.within_limits(limits, window_seconds=3600):
        raise DomainError(_("Too many attempts. Wait a few minutes and try again."), status=429)
    customer = Customer.get_or_none(Customer.email == email)
    if customer is None or customer.activated_at is not None:
        return None
    return send_activation(customer)


def activate(token: str) -> tuple[Customer, bool]:
    """Activate the account the link names; also whether this very call activated it.

    Only that first opening may sign the person in: a link opened again (from a forwarded
    mail, a shared computer) is no key to the account.
    """
    data = _load("activate", token, ACTIVATION_SECONDS)
    customer = Customer.get_or_none(Customer.id == data.get("id"))
    # The hash of the email it was sent to: after an email change the old link is void.
    if customer is None or not customer.email or not _digest_matches(customer.email, data.get("e")):
        raise DomainError(_("This link is not valid."), status=400)
    activated_now = False
    if customer.activated_at is None:
        with write_transaction():
            activated_now = (
                Customer.update(activated_at=clock.now_utc())
                .where((Customer.id == customer.id) & Customer.activated_at.is_null())
                .execute()
                == 1
            )
            if activated_now:
                audit.record("customer.activated", customer=customer, subject=customer)
    return Customer.get_by_id(customer.id), activated_now
