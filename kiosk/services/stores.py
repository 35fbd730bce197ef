"""The chain's markets and stores, as the admin creates and edits them (and `flask init`).

Each function validates everything it is given and answers every wrong field at once
(``FieldErrors``), writes in one transaction and records one audit event there. Two
things are refused because they would rewrite the past: a market's currency, or a store's
move to a market of another currency, once its stores have sold (a sale keeps amounts,
and its currency is its store's market's).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from babel import Locale
from babel.numbers import get_currency_precision, is_currency
from flask_babel import lazy_gettext as _l
from peewee import fn

from .. import clock, policy
from ..db import write_transaction
from ..models import Market, ProductPrice, Sale, Staff, Store
from . import DomainError, FieldErrors, audit
from .staff import CHALLENGE_NOT_ABOVE_LEGAL, create_staff

LANGUAGES = ("en", "sv")
# Not money a store takes: "no currency" and the testing code.
NOT_CURRENCIES = ("XXX", "XTS")

# Store settings with their allowed range; the form shows the same numbers.
RANGES: dict[str, tuple[int, int]] = {
    "legal_age": (16, 25),
    "challenge_age": (18, 30),
    "idle_lock_seconds": (30, 3600),
    "claim_token_days": (1, 365),
    "refusal_retention_days": (1, 3650),
    "money_back_limit": (0, 10),
    "benefit_discount_percent": (0, 50),
}
TEXTS: dict[str, int] = {
    "code": 16,
    "name": 120,
    "brand_name": 120,
    "address": 300,
    "org_number": 32,
    "vat_number": 32,
}
STORE_FIELDS = (
    "code",
    "name",
    "brand_name",
    "market",
    "timezone",
    "language",
    *RANGES,
    "address",
    "org_number",
    "vat_number",
)


def country_name(code: str, language: str = "en") -> str | None:
    """The name of an ISO 3166 country code, or None when there is no such country."""
    if len(code) != 2 or not code.isalpha() or code == "ZZ":
        return None
    return Locale.parse(language).territories.get(code)


def _market_values(values: dict[str, Any], market: Market | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    code = str(values.get("code") or "").strip().upper()
    name = str(values.get("name") or "").strip()
    currency = str(values.get("currency") or "").strip().upper()
    if country_name(code) is None:
        errors["code"] = str(_l("Use the country's two-letter ISO code, such as SE or GB."))
    elif (
        Market.select()
        .where((Market.code == code) & (Market.id != (market.id if market else 0)))
        .exists()
    ):
        errors["code"] = str(_l("There is already a market with that code."))
    if not name:
        name = country_name(code) or ""
    if not name or len(name) > 80:
        errors["name"] = str(_l("Type the market's name (at most 80 characters)."))
    if not (len(currency) == 3 and currency.isalpha() and is_currency(currency)) or (
        currency in NOT_CURRENCIES
    ):
        errors["currency"] = str(_l("Use the currency's three-letter ISO 4217 code, such as SEK."))
    elif get_currency_precision(currency) != 2:
        errors["currency"] = str(
            _l("The kiosk counts money in hundredths: choose a currency with two decimals.")
        )
    try:
        rates = policy.parse_vat_rates(str(values.get("vat_rates") or ""))
    except ValueError:
        errors["vat_rates"] = str(
            _l("Type each VAT rate in per cent once, the standard rate first: 25, 12, 6, 0.")
        )
        rates = []
    if errors:
        raise FieldErrors(errors)
    return {
        "code": code,
        "name": name,
        "currency": currency,
        "vat_rates": ",".join(str(rate) for rate in rates),
    }


def _has_sales(stores: Any) -> bool:
    return Sale.select().where(Sale.store.in_(stores)).exists()


def create_market(values: dict[str, Any], *, by: Staff | None) -> Market:
    clean = _market_values(values, None)
    with write_transaction():
        market = Market.create(**clean, created_at=clock.now_utc())
        audit.record("market.created", staff=by, subject=market, **clean)
    return market


def update_market(market: Market, values: dict[str, Any], *, by: Staff) -> None:
    clean = _market_values(values, market)
    changed = {k: v for k, v in clean.items() if getattr(market, k) != v}
    if not changed:
        return
    with write_transaction():
        if "currency" in changed and _has_sales(
            Store.select(Store.id).where(Store.market == market)
        ):
            raise FieldErrors(
                {
                    "currency": str(
                        _l(
                            "This market's stores have sold in %(currency)s: past sales would "
                            "change currency. Make a new market instead.",
                            currency=market.currency,
                        )
                    )
                }
            )
        kept = {int(rate) for rate in clean["vat_rates"].split(",")}
        in_use = (
            ProductPrice.select(ProductPrice.vat_rate, fn.COUNT(ProductPrice.id))
            .where((ProductPrice.market == market) & ProductPrice.vat_rate.not_in(list(kept)))
            .group_by(ProductPrice.vat_rate)
            .tuples()
            .first()
        )
        if in_use is not None:
            raise FieldErrors(
                {
                    "vat_rates": str(
                        _l(
                            "%(count)s products carry VAT %(rate)s %% in this market: give them "
                            "another rate first.",
                            count=in_use[1],
                            rate=policy.vat_percent_text(in_use[0]),
                        )
                    )
                }
            )
        Market.update(**changed).where(Market.id == market.id).execute()
        audit.record("market.changed", staff=by, subject=market, **changed)


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def _store_values(values: dict[str, Any], store: Store | None) -> dict[str, Any]:
    """Every field checked, every wrong one named: the form shows them all at once."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, length in TEXTS.items():
        text = str(values.get(name) or "").strip()
        if len(text) > length:
            errors[name] = str(_l("At most %(n)s characters.", n=length))
        clean[name] = text
    clean["code"] = clean["code"].upper()
    if not clean["code"].isalnum() or not clean["code"].isascii() or len(clean["code"]) < 2:
        errors["code"] = str(_l("A store code is 2 to 16 letters A-Z and digits, such as STO1."))
    elif (
        Store.select()
        .where((Store.code == clean["code"]) & (Store.id != (store.id if store else 0)))
        .exists()
    ):
        errors["code"] = str(_l("There is already a store with that code."))
    if not clean["name"]:
        errors["name"] = str(_l("Type the store's name."))
    market = Market.get_or_none(Market.id == _int_or_none(values.get("market")) or 0)
    if market is None:
        errors["market"] = str(_l("Choose the store's market."))
    clean["market"] = market
    clean["timezone"] = str(values.get("timezone") or "").strip()
    if clean["timezone"] not in available_timezones():
        errors["timezone"] = str(_l("Unknown time zone: use a name such as Europe/Stockholm."))
    clean["language"] = values.get("language") or ""
    if clean["language"] not in LANGUAGES:
        errors["language"] = str(_l("Choose English or Swedish."))
    for name, (low, high) in RANGES.items():
        try:
            value = _int_or_none(values.get(name))
        except ValueError:
            value = low - 1
        clean[name] = value
        if value is None and name == "challenge_age":
            continue
        if value is None or not low <= value <= high:
            errors[name] = str(_l("A whole number from %(low)s to %(high)s.", low=low, high=high))
    if "challenge_age" not in errors and "legal_age" not in errors:
        try:
            policy.check_challenge_age(clean["challenge_age"], clean["legal_age"])
        except ValueError:
            errors["challenge_age"] = str(CHALLENGE_NOT_ABOVE_LEGAL)
    if errors:
        raise FieldErrors(errors)
    return clean


def _audit_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.id if isinstance(v, Market) else v) for k, v in values.items()}


DEFAULTS = {
    "brand_name": "",
    "legal_age": 18,
    "challenge_age": None,
    "idle_lock_seconds": 300,
    "claim_token_days": 30,
    "refusal_retention_days": 730,
    "money_back_limit": 3,
    "benefit_discount_percent": 10,
    "address": "",
    "org_number": "",
    "vat_number": "",
}


def create_store(values: dict[str, Any], *, by: Staff | None) -> Store:
    clean = _store_values(DEFAULTS | values, None)
    with write_transaction():
        store = Store.create(**clean, created_at=clock.now_utc())
        audit.record("store.created", store=store, staff=by, subject=store, **_audit_values(clean))
    return store


def update_store(store: Store, values: dict[str, Any], *, by: Staff) -> None:
    clean = _store_values(values, store)
    changed = {
        k: v
        for k, v in clean.items()
        if (store.market_id if k == "market" else getattr(store, k))
        != (v.id if k == "market" else v)
    }
    if not changed:
        return
    with write_transaction():
        market = changed.get("market")
        if (
            market is not None
            and market.currency != store.market.currency
            and _has_sales([store.id])
        ):
            raise FieldErrors(
                {
                    "market": str(
                        _l(
                            "This store has sold in %(currency)s: it can only move to a market "
                            "with that currency.",
                            currency=store.market.currency,
                        )
                    )
                }
            )
        Store.update(**changed).where(Store.id == store.id).execute()
        audit.record(
            "store.changed", store=store, staff=by, subject=store, **_audit_values(changed)
        )


def init_chain(
    market: dict[str, Any], store: dict[str, Any], admin: dict[str, Any]
) -> tuple[Market, Store, Staff]:
    """An empty database made ready: its first market (unless it has that one), its first
    store and that store's first admin, all or nothing."""
    with write_transaction():
        if Store.select().exists():
            raise DomainError(
                str(_l("This database already has stores: init is for an empty one.")),
                field="store",
            )
        found = Market.get_or_none(Market.code == str(market.get("code") or "").strip().upper())
        first_market = found or create_market(market, by=None)
        first_store = create_store(store | {"market": first_market.id}, by=None)
        member = create_staff(first_store, role="admin", **admin)
        audit.record("chain.initialised", store=first_store, staff=member, subject=first_store)
    return first_market, first_store, member
