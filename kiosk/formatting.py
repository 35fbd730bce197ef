"""Words and numbers as the store reads them: money by Babel, outcomes in the store's language."""

from __future__ import annotations

from datetime import datetime

from babel.numbers import format_currency
from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from . import clock, phones
from .policy import Decision, mask_email

OUTCOME_LABELS = {
    "warranty": _l("Warranty replacement"),
    "accident": _l("Accident replacement"),
    "money_back": _l("Money back"),
}
ROLE_LABELS = {"staff": _l("Staff"), "manager": _l("Manager"), "admin": _l("Admin")}


# The swap desk's reasons, said in the store's language; keyed by policy.Decision.code.
SWAP_REASONS = {
    "lost_or_stolen": _l("A lost or stolen device cannot be swapped: there is nothing to replace."),
    "cosmetic": _l(
        "Purely cosmetic damage is not covered; only damage that affects how the device works is."
    ),
    "unregistered": _l(
        "This device is not registered to an account: register it first, at the counter or "
        "with the claim QR code."
    ),
    "warranty": _l("Covered by the warranty: the last covered day is %(last_day)s."),
    "warranty_expired": _l("The warranty ran until %(last_day)s."),
    "accident": _l(
        "Covered by the accidental damage cover (once per device): the last covered day is "
        "%(last_day)s."
    ),
    "accident_used": _l(
        "The one accidental damage replacement for this device has already been used."
    ),
    "accident_expired": _l("The accidental damage cover ran until %(last_day)s."),
    "money_back": _l("Money back is possible: the last day for a return is %(last_day)s."),
    "money_back_used": _l("This device has already been returned for money back."),
    "money_back_void": _l(
        "Money back is void once the device has had an accidental damage replacement."
    ),
    "money_back_expired": _l("The money-back period ran until %(last_day)s."),
    "money_back_limit": _l("This customer has already returned the most devices allowed."),
    "not_with_customer": _l("This unit is not with a customer: it is in stock or swapped out."),
}


def swap_reason(decision: Decision) -> str:
    template = SWAP_REASONS.get(decision.code)
    if template is None:
        return decision.reason
    last = decision.last_day.isoformat() if decision.last_day else ""
    return str(template) % {"last_day": last} if "%(" in str(template) else str(template)


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


def contact_label(customer: object) -> str:
    """How a customer is named to themselves: the email, else the mobile number."""
    email, mobile = getattr(customer, "email", None), getattr(customer, "mobile", None)
    if email:
        return email
    return phones.display_mobile(mobile) if mobile else ""


def contact_masked(email: str | None, mobile: str | None) -> str:
    """How staff and reports name a customer: ``a***@example.com``, else ``+46 •••• 05``."""
    if email:
        return mask_email(email)
    return phones.mask_mobile(mobile) if mobile else ""
