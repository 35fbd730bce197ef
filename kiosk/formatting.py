"""Words and numbers as the store reads them: money by Babel, outcomes in the store's language."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

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
    return _money(amount_minor, currency, str(get_locale() or "en"))


@lru_cache(maxsize=4096)
def _money(amount_minor: int, currency: str, locale: str) -> str:
    # Babel takes ~25 us an amount (a report's day table writes ~90 of them); the same few
    # prices, totals and zeros come back on every page, and the answer never changes.
    return format_currency(amount_minor / 100, currency, locale=locale)


def local_time(at: datetime, tz_name: str) -> str:
    """A stored UTC moment as the store's wall clock reads it."""
    return clock.local_now(tz_name, at).strftime("%Y-%m-%d %H:%M")


def public_url(endpoint: str, **values: object) -> str:
    """A link for a customer's phone: on the public address, not the tablet's store network."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def case_label(case: str) -> str:
    """What happened to a device, as the swap desk's buttons say it."""
    from .swaps.forms import CASE_CHOICES

    return next((str(c.label) for c in CASE_CHOICES if c.value == case), case)


def outcome_label(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


UNIT_STATE_LABELS = {
    "sealed": _l("Sealed, back on the shelf"),
    "opened": _l("Opened, back to the maker"),
    "faulty": _l("Faulty, back to the maker"),
}
COUNT_REASON_LABELS = {
    "lost": _l("Lost"),
    "damaged": _l("Damaged"),
    "found_elsewhere": _l("Found elsewhere"),
    "counted": _l("Counted"),
    "unexpected": _l("Not expected here"),
}


MOVEMENT_STATUS_LABELS = {
    "open": _l("Open"),
    "shipped": _l("Shipped"),
    "credited": _l("Credited"),
    "draft": _l("Being packed"),
    "in_transit": _l("On the way"),
    "received": _l("Received"),
    "cancelled": _l("Cancelled"),
    "closed": _l("Closed"),
}


def movement_status_label(status: str) -> str:
    """A shipment's, a transfer's or a count's status in the store's words."""
    return str(MOVEMENT_STATUS_LABELS.get(status, status))


TRANSFER_UNIT_LABELS = {
    "draft": _l("In the box"),
    "sent": _l("On the way"),
    "received": _l("Received"),
    "missing": _l("Missing on arrival"),
    "extra": _l("Arrived, not sent with it"),
    "cancelled": _l("Back on the shelf"),
}


def transfer_unit_label(state: str, transfer_status: str) -> str:
    if state == "sent" and transfer_status == "in_transit":
        return str(_l("Not scanned yet"))
    return str(TRANSFER_UNIT_LABELS.get(state, state))


def unit_state_label(state: str) -> str:
    return str(UNIT_STATE_LABELS.get(state, state))


def count_reason_label(reason: str) -> str:
    return str(COUNT_REASON_LABELS.get(reason, reason))


# A unit's status and the steps of its life (models.DEVICE_STATUSES, DEVICE_EVENTS).
STATUS_LABELS = {
    "in_stock": _l("in stock"),
    "sold": _l("sold"),
    "returned": _l("returned under money back, waiting to go back to the maker"),
    "replaced_out": _l("swapped out, waiting to go back to the maker"),
    "in_transit": _l("in transit between stores"),
    "shipped": _l("shipped back to the maker"),
    "lost": _l("lost"),
    "damaged": _l("damaged"),
}
EVENT_LABELS = {
    "received": _l("Received into stock"),
    "sold": _l("Sold"),
    "registered": _l("Registered to a customer"),
    "swapped_out": _l("Swapped out as faulty"),
    "replacement": _l("Handed out as a replacement"),
    "returned": _l("Returned under money back"),
    "restocked": _l("Back on the shelf"),
    "packed": _l("Packed to go back to the maker"),
    "unpacked": _l("Taken out of a shipment"),
    "shipped": _l("Shipped to the maker"),
    "credited": _l("Credited by the maker"),
    "transfer_sent": _l("Sent to another store"),
    "transfer_received": _l("Received from another store"),
    "transfer_cancelled": _l("Transfer cancelled"),
    "counted": _l("Stock count"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def event_label(event: str) -> str:
    return str(EVENT_LABELS.get(event, event))


def local_time_zoned(at: datetime, tz_name: str) -> str:
    """The store's wall clock with its zone named, for steps that happen in several stores:
    ``2026-03-10 14:05 CET``."""
    return clock.local_now(tz_name, at).strftime("%Y-%m-%d %H:%M %Z")


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
