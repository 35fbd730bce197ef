"""Claim tokens: the secret behind a receipt's QR code and its short typing code."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from .. import clock
from ..models import ClaimToken, Device, Product, Sale, SaleLine, Store
from ..policy import mask_serial

# No 0/O, 1/I/L, 5/S or 2/Z look-alikes: the short code is read off paper and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
CODE_LENGTH = 8


@dataclass(frozen=True)
class ClaimSecret:
    token: str  # in the QR's URL; 192 bits from the OS's CSPRNG
    code: str  # 8 characters for typing, shown as XXXX-XXXX


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_code(typed: str) -> str:
    """Case and dashes ignored, as the receipt promises."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def new_secret() -> ClaimSecret:
    token = secrets.token_urlsafe(24)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return ClaimSecret(token=token, code=code)


def issue(sale: Sale, *, lifetime_days: int, new_sale: bool = False) -> ClaimSecret:
    """Create (or replace) the sale's claim token, in the caller's transaction.

    Only hashes are stored: the secret exists in the QR and on the paper, and a
    reprint issues a new one, which voids the old. A sale being written has none yet.
    """
    secret = new_secret()
    now = clock.now_utc()
    values = {
        "token_hash": digest(secret.token),
        "code_hash": digest(secret.code),
        "created_at": now,
        "expires_at": now + timedelta(days=lifetime_days),
    }
    updated = (
        0
        if new_sale
        else ClaimToken.update(**values)
        .where((ClaimToken.sale == sale) & ClaimToken.claimed_at.is_null())
        .execute()
    )
    if not updated:
        ClaimToken.create(sale=sale, **values)
    return secret


@dataclass(frozen=True)
class Purchase:
    """What the claim page may show: products, the serials' last 4, store and date."""

    token: ClaimToken
    store_name: str
    purchase_date: str
    items: list[tuple[str, str]]  # (product name, masked serial)


def _token_query(secret: str):  # noqa: ANN202
    """A claim token by its QR secret or by its typed short code."""
    query = ClaimToken.select(ClaimToken, Sale, Store).join(Sale).join(Store)
    code = normalise_code(secret)
    if len(code) == CODE_LENGTH and secret.replace("-", "").isalnum():
        return query.where(
            (ClaimToken.code_hash == digest(code)) | (ClaimToken.token_hash == digest(secret))
        )
    return query.where(ClaimToken.token_hash == digest(secret))


def find_open(secret: str) -> Purchase | None:
    """The unclaimed, unexpired purchase behind a secret, or None for anything else."""
    if not secret or len(secret) > 64:
        return None
    claim = _token_query(secret).first()
    if claim is None or claim.claimed_at is not None or claim.expires_at <= clock.now_utc():
        return None
    lines = (
        SaleLine.select(SaleLine.description, Device.serial)
        .join(Device)
        .switch(SaleLine)
        .join(Product)
        .where(SaleLine.sale == claim.sale_id)
        .order_by(SaleLine.id)
    )
    return Purchase(
        token=claim,
        store_name=claim.sale.store.name,
        purchase_date=claim.sale.local_date.isoformat(),
        items=[(line.description, mask_serial(line.device.serial)) for line in lines],
    )


def claim_state(sale: Sale | int) -> ClaimToken | None:
    return ClaimToken.get_or_none(ClaimToken.sale == sale)
