"""Mobile numbers as people type them, stored as one E.164 string (``phonenumbers``).

"+46 70-174 06 05", "070 174 06 05" and "0046701740605" are one number: +46701740605.
A number typed without its country code is read in the region of the store the person is
dealing with (a London store's customer types 07700 900 123). Pure: no database, no Flask.
"""

from __future__ import annotations

import phonenumbers
from babel.core import get_global

# Numbers that can receive an SMS; a fixed line cannot sign anyone in.
_TEXTABLE = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}
DEFAULT_REGION = "SE"


def region_of_timezone(timezone: str, default: str = DEFAULT_REGION) -> str:
    """The country of a store's time zone (Europe/London -> GB), per the CLDR data in Babel."""
    return get_global("zone_territories").get(timezone, default)


def normalise_mobile(typed: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a typed mobile number; ValueError when it is not one."""
    text = (typed or "").strip()
    if not text or len(text) > 32:
        raise ValueError("no number")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as err:
        raise ValueError(str(err)) from err
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid number")
    if phonenumbers.number_type(number) not in _TEXTABLE:
        raise ValueError("not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_mobile(e164: str) -> str:
    """An E.164 number as people read it: ``+46 70 174 06 05``."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_mobile(e164: str) -> str:
    """The country code and the last two digits, e.g. ``+46 •••• 05``: enough to tell apart."""
    try:
        country = phonenumbers.parse(e164, None).country_code
    except phonenumbers.NumberParseException:
        country = None
    prefix = f"+{country}" if country else e164[:3]
    return f"{prefix} •••• {e164[-2:]}"
