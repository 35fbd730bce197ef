"""Customer accounts: sign-in, passwords, email, consent, data, deletion (sign-up: ``signup``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from peewee import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock, policy
from ..db import write_transaction
from ..formatting import public_url
from ..models import Address, Customer, Device, Product, Registration, Sale, Voucher
from . import DomainError, audit, mail, ratelimit

ACTIVATION_SECONDS = 24 * 3600
RESET_SECONDS = 2 * 3600
ACCOUNT_QR_PREFIX = "KIOSK-ACCOUNT:"
MIN_PASSWORD = 10
# Checked when an email is unknown, so timing does not tell which emails have accounts.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(8))


def _signer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"kiosk-{purpose}")


def _load(purpose: str, token: str, max_age: int | None) -> Any:
    try:
        return _signer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as err:
        raise DomainError(_("This link has expired. Ask for a new one."), status=410) from err
    except BadSignature as err:
        raise DomainError(_("This link is not valid."), status=400) from err


def keyed_digest(label: str, value: str, length: int = 16) -> str:
    """A keyed hash of ``value``: names a secret or a person without carrying it.

    Without the secret key it can be neither reversed nor tried against a list, so it may
    stand in a link, a rate-limit key or a stored code.
    """
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, f"kiosk-{label}:".encode() + value.encode(), hashlib.sha256).hexdigest()[
        :length
    ]


def _email_digest(email: str | None) -> str:
    """A short keyed hash of an email, for links: they name the address without carrying it.

    A signed payload is only base64, so an email in it would be readable by anyone who sees
    the link (logs, a forwarded mail, a shoulder); this hash cannot be reversed without the
    secret key, yet a link stops matching once the account's email has changed. An account
    with no email (made with a mobile number) hashes as the empty string.
    """
    return keyed_digest("email", email or "")


def _digest_matches(email: str | None, digest: object) -> bool:
    return isinstance(digest, str) and hmac.compare_digest(_email_digest(email), digest)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(
            _("A password needs at least %(n)d characters.", n=MIN_PASSWORD),
            field="password",
            status=422,
        )


def authenticate(email: str, password: str, *, client: str) -> Customer:
    email = normalise_email(email)
    if not ratelimit.hit(f"customer-pw:client:{client}", limit=20, window_seconds=300) or not (
        ratelimit.hit(f"customer-pw:email:{_email_digest(email)}", limit=10, window_seconds=300)
    ):
        raise DomainError(_("Too many attempts. Wait a few minutes and try again."), status=429)
    customer = Customer.get_or_none(Customer.email == email)
    stored = customer.password_hash if customer and customer.password_hash else _DUMMY_HASH
    if customer is None or not check_password_hash(stored, password or ""):
        raise DomainError(_("Wrong email or password."), field="password", status=401)
    return customer


def request_password_reset(email: str, *, client: str) -> None:
    """Mail a reset link if the account exists; answer the same either way."""
    email = normalise_email(email)
    if not ratelimit.hit(f"reset:client:{client}", limit=10, window_seconds=3600):
        raise DomainError(_("Too many attempts. Wait a few minutes and try again."), status=429)
    customer = Customer.get_or_none(Customer.email == email)
    if customer is None:
        return
    token = password_token(customer)
    mail.send(
        customer.email,
        _("Choose a new password"),
        _(
            "Hello %(name)s,\n\nOpen this link within 2 hours to choose a new password:\n"
            "%(link)s\n\nIf you did not ask for this, ignore this mail.",
            name=customer.name,
            link=public_url("account.reset_password", token=token),
        ),
    )


def password_token(customer: Customer) -> str:
    """A single-use link token for choosing a password (forgotten, or never set)."""
    return _signer("reset").dumps({"id": customer.id, "v": customer.session_version})


def check_password_token(token: str) -> None:
    """Whether a reset link can still be used, asked when it is opened, before any typing."""
    data = _load("reset", token, RESET_SECONDS)
    if (
        not Customer.select()
        .where((Customer.id == data.get("id")) & (Customer.session_version == data.get("v")))
        .exists()
    ):
        raise DomainError(_("This link has been used already. Ask for a new one."), status=410)


def reset_password(token: str, new_password: str) -> Customer:
    data = _load("reset", token, RESET_SECONDS)
    validate_password(new_password)
    with write_transaction():
        # The session version in the link makes it single-use: the change bumps it.
        changed = (
            Customer.update(
                password_hash=generate_password_hash(new_password),
                session_version=secrets.token_hex(8),
            )
            .where((Customer.id == data.get("id")) & (Customer.session_version == data.get("v")))
            .execute()
        )
        if changed != 1:
            raise DomainError(_("This link has been used already. Ask for a new one."), status=410)
        customer = Customer.get_by_id(data["id"])
        audit.record("customer.password_reset", customer=customer, subject=customer)
    return customer


def set_first_password(customer: Customer, new: str) -> Customer:
    """An account made with a mobile number (or at the counter) chooses its first password."""
    validate_password(new)
    with write_transaction():
        # Only while none is set: a second tab cannot overwrite one without the current one.
        changed = (
            Customer.update(
                password_hash=generate_password_hash(new), session_version=secrets.token_hex(8)
            )
            .where((Customer.id == customer.id) & Customer.password_hash.is_null())
            .execute()
        )
        if changed != 1:
            raise DomainError(
                _("A password is set already: change it with the current one."),
                field="password",
                status=409,
            )
        audit.record("customer.password_set", customer=customer, subject=customer)
    return Customer.get_by_id(customer.id)


def change_password(customer: Customer, current: str, new: str) -> Customer:
    if not customer.password_hash or not check_password_hash(customer.password_hash, current):
        raise DomainError(_("The current password is not right."), field="current", status=401)
    validate_password(new)
    with write_transaction():
        Customer.update(
            password_hash=generate_password_hash(new), session_version=secrets.token_hex(8)
        ).where(Customer.id == customer.id).execute()
        audit.record("customer.password_changed", customer=customer, subject=customer)
    return Customer.get_by_id(customer.id)


def request_email_change(customer: Customer, new_email: str) -> bool:
    """Keep ``new_email`` as pending and mail it a link; True when that mail went out.

    The link names the account, a hash of the new email and a hash of the current one, so
    it is void once either has changed (a newer request, or the email changed since).
    """
    new_email = normalise_email(new_email)
    if Customer.select().where(Customer.email == new_email).exists():
        raise DomainError(_("That email belongs to another account."), field="email", status=409)
    with write_transaction():
        Customer.update(pending_email=new_email).where(Customer.id == customer.id).execute()
    token = _signer("email").dumps(
        {"id": customer.id, "e": _email_digest(new_email), "c": _email_digest(customer.email)}
    )
    sent = mail.send(
        new_email,
        _("Confirm your new email"),
        _(
            "Open this link within 24 hours to use this email for your account:\n%(link)s",
            link=public_url("account.confirm_email", token=token),
        ),
    )
    return sent is not None


def confirm_email(token: str) -> Customer:
    data = _load("email", token, ACTIVATION_SECONDS)
    found = Customer.get_or_none(Customer.id == data.get("id"))
    if (
        found is None
        or not found.pending_email
        or not _digest_matches(found.pending_email, data.get("e"))
        or not _digest_matches(found.email, data.get("c"))
    ):
        raise DomainError(_("This link is not valid."), status=400)
    # An account made with a mobile number has no email yet: this adds its first.
    same_email = (
        Customer.email.is_null() if found.email is None else (Customer.email == found.email)
    )
    try:
        with write_transaction():
            # Only if nothing changed since the read: a second tab confirming at once loses.
            changed = (
                Customer.update(email=found.pending_email, pending_email=None)
                .where(
                    (Customer.id == found.id)
                    & (Customer.pending_email == found.pending_email)
                    & same_email
                )
                .execute()
            )
            if changed != 1:
                raise DomainError(_("This link is not valid."), status=400)
            customer = Customer.get_by_id(found.id)
            audit.record("customer.email_changed", customer=customer, subject=customer)
    except IntegrityError as err:
        raise DomainError(_("That email belongs to another account."), status=409) from err
    return customer


def set_consent(customer: Customer, marketing: bool) -> None:
    with write_transaction():
        Customer.update(marketing_consent=marketing, consent_changed_at=clock.now_utc()).where(
            Customer.id == customer.id
        ).execute()
        audit.record("customer.consent_changed", customer=customer, marketing=marketing)


def account_qr_payload(customer: Customer) -> str:
    """What the account QR says: a signed id the counter can read, nothing personal."""
    return ACCOUNT_QR_PREFIX + _signer("account-qr").dumps(
        {"id": customer.id, "v": customer.session_version}
    )


def customer_from_qr(payload: str) -> Customer:
    token = payload.strip()[len(ACCOUNT_QR_PREFIX) :]
    try:
        data = _load("account-qr", token, None)
    except DomainError as err:
        raise DomainError(_("This account QR is not valid."), field="code", status=404) from err
    customer = Customer.get_or_none(
        (Customer.id == data.get("id")) & (Customer.session_version == data.get("v"))
    )
    if customer is None:
        raise DomainError(_("This account QR is no longer valid."), field="code", status=404)
    return customer


def devices_of(customer: Customer) -> list[dict[str, Any]]:
    """My devices with every window from the policy, in two queries."""
    units = (
        Device.select(Device, Product, Registration)
        .join(Product)
        .switch(Device)
        .join(Registration)
        .where(
            (Registration.customer == customer)
            & Registration.ended_at.is_null()
            & (Device.status == "sold")
        )
        .order_by(Registration.purchase_date.desc())
    )
    result = []
    for unit in units:
        reg = unit.registration
        result.append(
            {
                "model": unit.product.name,
                "serial": policy.mask_serial(unit.serial),
                "purchase_date": reg.purchase_date,
                "registration_date": reg.registration_date,
                "warranty_until": policy.warranty_last_day(reg.purchase_date),
                "accident_until": policy.accident_cover_last_day(reg.registration_date),
                "accident_used": reg.accident_claim_used,
                "money_back_until": policy.money_back_last_day(reg.purchase_date),
            }
        )
    return result


def vouchers_of(customer: Customer) -> list[Voucher]:
    return list(Voucher.select().where(Voucher.customer == customer).order_by(Voucher.id))


def export_data(customer: Customer) -> str:
    data = {
        "account": {
            "email": customer.email,
            "mobile": customer.mobile,
            "name": customer.name,
            "birth_date": customer.birth_date.isoformat(),
            "created_at": customer.created_at.isoformat(),
            "activated_at": customer.activated_at.isoformat() if customer.activated_at else None,
            "marketing_consent": customer.marketing_consent,
        },
        "devices": [
            {k: v.isoformat() if isinstance(v, date) else v for k, v in d.items()}
            for d in devices_of(customer)
        ],
        "vouchers": [
            {
                "code": v.code,
                "kind": v.kind,
                "issued_at": v.issued_at.isoformat(),
                "redeemed_at": v.redeemed_at.isoformat() if v.redeemed_at else None,
            }
            for v in vouchers_of(customer)
        ],
        "addresses": [
            {
                "recipient": a.recipient,
                "street": a.street,
                "extra": a.extra,
                "postal_code": a.postal_code,
                "city": a.city,
                "country": a.country,
                "default": a.is_default,
            }
            for a in Address.select().where(Address.customer == customer).order_by(Address.id)
        ],
        "purchases": [
            {"date": s.local_date.isoformat(), "total_minor_units": s.total}
            for s in Sale.select().where(Sale.customer == customer).order_by(Sale.id)
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def delete_account(customer: Customer) -> None:
    """Gone at once: sales stay for the books, unlinked; registrations end; vouchers go."""
    with write_transaction():
        now = clock.now_utc()
        Registration.update(ended_at=now, end_reason="account_deleted").where(
            (Registration.customer == customer) & Registration.ended_at.is_null()
        ).execute()
        audit.record("customer.deleted", subject=customer)
        # Foreign keys null the links (sales, registrations, claims, audit) and drop vouchers.
        Voucher.delete().where(Voucher.customer == customer).execute()
        Customer.delete().where(Customer.id == customer.id).execute()
