"""Claim tokens: the secret behind a receipt's QR code and its short typing code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from .. import clock
from ..db import Prepared
from ..models import ClaimToken, Device, Product, Sale, SaleLine, Store
from ..policy import mask_serial

# No 0/O, 1/I/L, 5/S or 2/Z look-alikes: the short code is read off paper and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
CODE_LENGTH = 8


@dataclass(frozen=True)
class ClaimSecret:
    token: str  # in the QR's URL; 192 bits
    code: str  # 8 characters for typing, shown as XXXX-XXXX


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_code(typed: str) -> str:
    """Case and dashes ignored, as the receipt promises."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def _is_code(secret: str) -> bool:
    return len(normalise_code(secret)) == CODE_LENGTH and secret.replace("-", "").isalnum()


def lookup_form(secret: str) -> str:
    """What a look-up compares: a typed code normalised, a QR secret as it is."""
    return normalise_code(secret) if _is_code(secret) else secret


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


# Why derived, not stored: the tablet shows the QR again right after the sale (and a
# reprint later) without the secret sitting readable in the session cookie or in plain text
# in the database. The database keeps a random nonce per issue and the hashes; the secret
# is an HMAC of the nonce and the sale under a key only the app holds (docs/ARCHITECTURE.md).
_SUBKEY_PURPOSE = b"kiosk claim secret v1"


def _mac(message: str) -> bytes:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    subkey = hmac.new(key, _SUBKEY_PURPOSE, hashlib.sha256).digest()
    return hmac.new(subkey, message.encode(), hashlib.sha256).digest()


def derive(sale_id: int, nonce: str) -> ClaimSecret:
    """The secret of one issue of a sale's claim token: the same for the same nonce."""
    token = base64.urlsafe_b64encode(_mac(f"token:{sale_id}:{nonce}")[:24]).decode()
    number = int.from_bytes(_mac(f"code:{sale_id}:{nonce}"), "big")
    code = []
    for _ in range(CODE_LENGTH):
        # 256 bits reduced to 8 letters of 27: the bias is far below one in 2**200.
        number, index = divmod(number, len(CODE_ALPHABET))
        code.append(CODE_ALPHABET[index])
    return ClaimSecret(token=token, code="".join(code))


def new_nonce() -> str:
    return secrets.token_hex(16)


# Every sale with devices writes one: composed once (db.Prepared).
_WRITE_TOKEN = Prepared.insert_of(
    ClaimToken, "sale", "token_hash", "code_hash", "secret_nonce", "created_at", "expires_at"
)


def issue(sale: Sale, *, lifetime_days: int, new_sale: bool = False) -> ClaimSecret:
    """Create (or replace) the sale's claim token, in the caller's transaction.

    Only hashes and the nonce are stored; a reprint issues a new one, which voids the
    old. A sale being written has none yet.
    """
    nonce = new_nonce()
    secret = derive(sale.id, nonce)
    now = clock.now_utc()
    values = {
        "token_hash": digest(secret.token),
        "code_hash": digest(secret.code),
        "secret_nonce": nonce,
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
        _WRITE_TOKEN.insert(ClaimToken(sale=sale, **values))
    return secret


def open_secret(sale: Sale | int) -> ClaimSecret | None:
    """The secret of a sale's token while it can still be claimed, for the receipt's QR."""
    return live_secret(claim_state(sale))


def live_secret(token: ClaimToken | None) -> ClaimSecret | None:
    """The secret of a token already read, while it can still be claimed.

    None once it is claimed or expired, and for a token the app cannot derive again
    (issued under another secret key): a reprint never carries a dead QR.
    """
    if token is None or token.claimed_at is not None or token.expires_at <= clock.now_utc():
        return None
    secret = derive(token.sale_id, token.secret_nonce)
    if not hmac.compare_digest(digest(secret.token), token.token_hash):
        return None
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
    if _is_code(secret):
        return query.where(
            (ClaimToken.code_hash == digest(lookup_form(secret)))
            | (ClaimToken.token_hash == digest(secret))
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
