"""Words and numbers as the store reads them: money by Babel, outcomes in the store's language."""

from __future__ import annotations

from datetime import datetime

from babel.numbers import format_currency
from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from . import clock

OUTCOME_LABELS = {
    "warranty": _l("Warranty replacement"),
    "accident": _l("Accident replacement"),
    "money_back": _l("Money back"),
}
ROLE_LABELS = {"staff": _l("Staff"), "manager": _l("Manager"), "admin": _l("Admin")}


def format_money(amount_minor: int, currency: str) -> str:
    """Integer minor units to the store's way of writing money (``1 234,00 kr``)."""
    return format_currency(amount_minor / 100, currency, locale=str(get_locale() or "en"))


def local_time(at: datetime, tz_name: str) -> str:
    """A stored UTC moment as the store's wall clock reads it."""
    return clock.local_now(tz_name, at).strftime("%Y-%m-%d %H:%M")


def public_url(endpoint: str, **values: object) -> str:
    """A link for a customer's phone: on the public address, not the tablet's store network."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def outcome_label(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))
