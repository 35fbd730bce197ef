"""The store's rules as pure functions (SPEC sections 2-5).

No database, no Flask, no clock: every function that depends on the date takes ``today``
(the store-local date) as a parameter, so the rules can be read here and tested exhaustively.
"""

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

SWAP_CASES: tuple[str, ...] = (
    "defect",
    "cosmetic",
    "cosmetic_affects_function",
    "accident",
    "lost_or_stolen",
    "money_back",
)
OUTCOMES: tuple[str, ...] = ("warranty", "accident", "money_back")
AGE_CHECK_METHODS: tuple[str, ...] = ("document", "visual", "no_id")
REFUSAL_REASONS: tuple[str, ...] = ("under_age", "no_id")

MAX_AGE = 120
MONEY_BACK_DAYS = 60
SERIAL_MAX_LENGTH = 64
SERIAL_MASK = "\u2022\u2022\u2022"  # "•••", then the visible tail: "•••1234"

_SERIAL_SEPARATORS = re.compile(r"[\s\-_.]+")
_ASCII_DIGITS = re.compile(r"[0-9]+")


# --- Dates and ages -----------------------------------------------------------------------


def age_on(birth: date, today: date) -> int:
    """Completed years on ``today``; ValueError if ``birth`` is after ``today``."""
    if birth > today:
        raise ValueError(f"The date of birth {birth.isoformat()} is after today.")
    # Comparing (month, day) makes a 29 February birthday fall on 1 March in common years:
    # (2, 28) < (2, 29), so nobody is ever a day older than the calendar says.
    not_yet = (today.month, today.day) < (birth.month, birth.day)
    return today.year - birth.year - int(not_yet)


def is_of_legal_age(birth: date, today: date, legal_age: int) -> bool:
    """True when the person born on ``birth`` is at least ``legal_age`` on ``today``."""
    if legal_age < 0:
        raise ValueError(f"A legal age cannot be negative (got {legal_age}).")
    return age_on(birth, today) >= legal_age


def add_months(d: date, months: int) -> date:
    """``d`` moved by ``months`` (may be negative), clamped to the end of a shorter month."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    if not date.min.year <= year <= date.max.year:
        raise ValueError(f"{d.isoformat()} moved by {months} months is outside the calendar.")
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last_day))


def _twelve_months_less_a_day(start: date) -> date:
    # SPEC: "+ 12 months - 1 day", with the month clamp. For a 29 Feb start that gives
    # 27 Feb of the next year (28 Feb - 1 day): the literal rule, shared by every window.
    return add_months(start, 12) - timedelta(days=1)


def warranty_last_day(purchase: date) -> date:
    """Last day (inclusive) of the warranty: purchase + 12 months - 1 day."""
    return _twelve_months_less_a_day(purchase)


def accident_cover_last_day(registration: date) -> date:
    """Last day (inclusive) of accidental damage cover: registration + 12 months - 1 day."""
    return _twelve_months_less_a_day(registration)


def money_back_last_day(purchase: date) -> date:
    """Last day (inclusive) for a money-back return: purchase + 60 days."""
    return purchase + timedelta(days=MONEY_BACK_DAYS)


def benefit_program_last_day(latest_device_purchase: date) -> date:
    """Last day (inclusive) of the Benefit Program: latest purchase + 12 months - 1 day."""
    return _twelve_months_less_a_day(latest_device_purchase)


def benefit_program_active(latest_device_purchase: date | None, today: date) -> bool:
    """True while the customer's latest device purchase keeps the Benefit Program on."""
    if latest_device_purchase is None:
        return False
    # A purchase dated after "today" can come from a store in a time zone ahead of this one;
    # it is the most recent purchase there is, so the program is on.
    return today <= benefit_program_last_day(latest_device_purchase)


# --- Age check at the counter -------------------------------------------------------------


def parse_birth_date(day: str | int, month: str | int, year: str | int) -> date:
    """Build a date of birth from typed fields; ValueError when it does not exist."""
    d, m, y = (_whole_number(part) for part in (day, month, year))
    # A two-digit year is ambiguous (19xx or 20xx?) on exactly the people an age check is for.
    year_digits = year.strip() if isinstance(year, str) else str(y)
    if len(year_digits) != 4 or y < 1000:
        raise ValueError("That date does not exist: type the year with four digits, e.g. 1990.")
    if not 1 <= m <= 12:
        raise ValueError(f"That date does not exist: there is no month {m}.")
    days_in_month = calendar.monthrange(y, m)[1]
    if not 1 <= d <= days_in_month:
        month_name = calendar.month_name[m]
        raise ValueError(f"That date does not exist: {month_name} {y} has no day {d}.")
    return date(y, m, d)


def _whole_number(part: str | int) -> int:
    # bool is an int subclass; a True from a form library is a bug, not a day.
    if isinstance(part, int) and not isinstance(part, bool):
        return part
    # Only ASCII digits: str.isdigit() would accept "²" or Arabic-Indic digits.
    if isinstance(part, str) and _ASCII_DIGITS.fullmatch(part.strip()):
        return int(part.strip())
    raise ValueError("That date does not exist: type day, month and year in digits.")


def validate_birth_date(birth: date, today: date) -> None:
    """ValueError for a date of birth that must be a typing error (future, or over 120)."""
    if birth > today:
        raise ValueError(
            f"The date of birth {birth.isoformat()} is in the future: check the document "
            "and type it again."
        )
    if age_on(birth, today) > MAX_AGE:
        raise ValueError(
            f"The date of birth {birth.isoformat()} gives an age over {MAX_AGE}: check the "
            "document and type it again."
        )


def required_age(item_min_ages: Iterable[int | None], legal_age: int) -> int:
    """The age a cart needs: the highest minimum age of its age-restricted items.

    ``None`` stands for the store's legal age; an empty cart needs the legal age.
    """
    if legal_age < 0:
        raise ValueError(f"A legal age cannot be negative (got {legal_age}).")
    highest = legal_age
    for min_age in item_min_ages:
        if min_age is None:
            continue
        if min_age < 0:
            raise ValueError(f"A minimum age cannot be negative (got {min_age}).")
        # The store's legal age is the law: a product can raise it, never lower it.
        highest = max(highest, min_age)
    return highest


@dataclass(frozen=True)
class AgeCheckDecision:
    """Outcome of an age check: ``refusal_reason`` is set only when not passed."""

    passed: bool
    refusal_reason: str | None
    message: str


def check_challenge_age(challenge_age: int | None, legal_age: int) -> None:
    """A store's challenge age (None: off) must be above its legal age: "clearly over 18" in
    a store whose legal age is 18 would let a look stand in for every document check."""
    if challenge_age is not None and challenge_age <= legal_age:
        raise ValueError(
            f"The challenge age ({challenge_age}) must be above the legal age ({legal_age})."
        )


def visual_check_overruled(earlier_refusals: Iterable[str | None]) -> bool:
    """A look ("clearly over the challenge age") never overrules a document that showed the
    customer under age for this cart: after that, only a document check may follow."""
    return "under_age" in earlier_refusals


def decide_age_check(
    birth: date | None,
    today: date,
    required_age: int,
    *,
    method: str,
    challenge_age: int | None,
) -> AgeCheckDecision:
    """Decide an age check; ValueError for input that is a mistake rather than a refusal."""
    if method not in AGE_CHECK_METHODS:
        raise ValueError(
            f"Unknown age check method {method!r}; expected one of {', '.join(AGE_CHECK_METHODS)}."
        )
    if birth is not None:
        validate_birth_date(birth, today)

    if method == "no_id":
        return AgeCheckDecision(
            passed=False,
            refusal_reason="no_id",
            message="No ID was shown, so the sale cannot be completed.",
        )

    if method == "visual":
        if challenge_age is None:
            raise ValueError(
                "A document check is needed: this store does not allow visual age checks."
            )
        if challenge_age < required_age:
            # "Clearly over 25" says nothing about a cart that needs 30.
            raise ValueError(
                f"A document check is needed: this cart needs age {required_age}, "
                f"above the challenge age of {challenge_age}."
            )
        return AgeCheckDecision(
            passed=True,
            refusal_reason=None,
            message=f"Age check passed: the customer is clearly over {challenge_age}.",
        )

    if birth is None:
        raise ValueError("Type the date of birth from the ID document.")
    age = age_on(birth, today)
    if age < required_age:
        return AgeCheckDecision(
            passed=False,
            refusal_reason="under_age",
            message=f"Under {required_age}: the customer is {age}, so the sale cannot complete.",
        )
    return AgeCheckDecision(
        passed=True,
        refusal_reason=None,
        message=f"Age check passed: the customer is {required_age} or over.",
    )


# --- Money --------------------------------------------------------------------------------


def _divide_half_up(numerator: int, denominator: int) -> int:
    # Integer arithmetic only: float rounding would lose öre on large amounts.
    return (2 * numerator + denominator) // (2 * denominator)


def accessory_discount(amount_minor: int, rate_percent: int) -> int:
    """Benefit Program discount on an accessory amount, in minor units, rounded half up."""
    if amount_minor < 0:
        raise ValueError(f"An amount to discount cannot be negative (got {amount_minor}).")
    if not 0 <= rate_percent <= 100:
        raise ValueError(f"A discount rate must be 0-100 percent (got {rate_percent}).")
    # rate <= 100 keeps the discount within the amount, so a line never goes below zero.
    return _divide_half_up(amount_minor * rate_percent, 100)


def vat_of(gross_minor: int, vat_rate_bp: int) -> int:
    """VAT contained in a VAT-inclusive amount; rate in basis points (2500 = 25%)."""
    if vat_rate_bp < 0:
        raise ValueError(f"A VAT rate cannot be negative (got {vat_rate_bp}).")
    # A refund's VAT mirrors the sale's: round half away from zero.
    sign = -1 if gross_minor < 0 else 1
    return sign * _divide_half_up(abs(gross_minor) * vat_rate_bp, 10000 + vat_rate_bp)


# --- Serials and masks --------------------------------------------------------------------


def normalise_serial(raw: str) -> str:
    """The serial as stored: upper case, no spaces, dashes, underscores or dots."""
    cleaned = _SERIAL_SEPARATORS.sub("", raw)
    if not cleaned:
        raise ValueError("Type or scan a serial number.")
    # Check before upper(): "ß".upper() is "SS", which would slip past an A-Z check.
    if not (cleaned.isascii() and cleaned.isalnum()):
        raise ValueError(
            "A serial number has only letters A-Z and digits (spaces and dashes are ignored)."
        )
    if len(cleaned) > SERIAL_MAX_LENGTH:
        raise ValueError(f"A serial number has at most {SERIAL_MAX_LENGTH} characters.")
    return cleaned.upper()


def mask_serial(serial: str) -> str:
    """``"•••"`` and the last 4 characters, e.g. ``"•••1234"``.

    A serial of fewer than 8 characters shows only its last half, so a mask never
    shows most of what it hides.
    """
    visible = min(4, len(serial) // 2)
    return SERIAL_MASK + serial[len(serial) - visible :]


def mask_email(email: str) -> str:
    """First letter, ``***`` and the domain, e.g. ``"a***@example.com"``."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"Not an email address: {email!r}.")
    # A fixed "***" hides the length of the name as well as its letters.
    return f"{local[0]}***@{domain}"


# --- The swap desk ------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What the swap desk may do: ``outcome`` is one of OUTCOMES, or None when refused."""

    allowed: bool
    outcome: str | None
    reason: str
    # A stable name for the reason and its values, so screens can say it in the store's
    # language (kiosk/formatting.py); ``reason`` is the English sentence.
    code: str = ""
    last_day: date | None = None


def _refuse(reason: str, code: str, last_day: date | None = None) -> Decision:
    return Decision(allowed=False, outcome=None, reason=reason, code=code, last_day=last_day)


def _check_swap_input(
    case: str,
    today: date,
    registered: bool,
    purchase_date: date,
    registration_date: date | None,
    money_back_returns_by_customer: int,
    money_back_limit: int,
) -> None:
    if case not in SWAP_CASES:
        raise ValueError(f"Unknown swap case {case!r}; expected one of {', '.join(SWAP_CASES)}.")
    if purchase_date > today:
        raise ValueError(f"The purchase date {purchase_date.isoformat()} is after today.")
    if registered and registration_date is None:
        raise ValueError("A registered device needs a registration date.")
    if registration_date is not None:
        if registration_date < purchase_date:
            raise ValueError(
                f"The registration date {registration_date.isoformat()} is before the "
                f"purchase date {purchase_date.isoformat()}."
            )
        if registration_date > today:
            raise ValueError(
                f"The registration date {registration_date.isoformat()} is after today."
            )
    if money_back_returns_by_customer < 0 or money_back_limit < 0:
        raise ValueError("Money-back counts and limits cannot be negative.")


def decide_swap(
    case: str,
    today: date,
    *,
    registered: bool,
    purchase_date: date,
    registration_date: date | None,
    accident_claim_used: bool,
    money_back_used: bool = False,
    money_back_returns_by_customer: int = 0,
    money_back_limit: int = 3,
) -> Decision:
    """Decide what the swap desk may do for a device; ValueError for impossible input."""
    _check_swap_input(
        case,
        today,
        registered,
        purchase_date,
        registration_date,
        money_back_returns_by_customer,
        money_back_limit,
    )

    # These two are refused whoever owns the device, so they keep their own reason.
    if case == "lost_or_stolen":
        return _refuse(
            "A lost or stolen device cannot be swapped: there is no device to replace.",
            "lost_or_stolen",
        )
    if case == "cosmetic":
        return _refuse(
            "Purely cosmetic damage is not covered; only damage that affects how the "
            "device works is.",
            "cosmetic",
        )
    if not registered:
        return _refuse(
            "This device is not registered to an account: register the device first, "
            "at the counter or with the claim QR code.",
            "unregistered",
        )

    if case in ("defect", "cosmetic_affects_function"):
        last = warranty_last_day(purchase_date)
        if today > last:
            return _refuse(f"The warranty ran until {last.isoformat()}.", "warranty_expired", last)
        return Decision(
            allowed=True,
            outcome="warranty",
            reason=f"Covered by the warranty: the last covered day is {last.isoformat()}.",
            code="warranty",
            last_day=last,
        )

    assert registration_date is not None  # _check_swap_input: registered needs a date
    if case == "accident":
        last = accident_cover_last_day(registration_date)
        if accident_claim_used:
            return _refuse(
                "The one accidental damage replacement for this device has already been used.",
                "accident_used",
            )
        if today > last:
            return _refuse(
                f"The accidental damage cover ran until {last.isoformat()}.",
                "accident_expired",
                last,
            )
        return Decision(
            allowed=True,
            outcome="accident",
            reason=(
                "Covered by the accidental damage cover (once per device): the last covered "
                f"day is {last.isoformat()}."
            ),
            code="accident",
            last_day=last,
        )

    last = money_back_last_day(purchase_date)
    if money_back_used:
        return _refuse("This device has already been returned for money back.", "money_back_used")
    if accident_claim_used:
        return _refuse(
            "Money back is void once the device has had an accidental damage replacement.",
            "money_back_void",
        )
    if today > last:
        return _refuse(
            f"The money-back period ran until {last.isoformat()}.", "money_back_expired", last
        )
    if money_back_returns_by_customer >= money_back_limit:
        return _refuse(
            f"This customer has already returned {money_back_returns_by_customer} devices "
            f"for money back; the limit is {money_back_limit}.",
            "money_back_limit",
        )
    return Decision(
        allowed=True,
        outcome="money_back",
        reason=f"Money back is possible: the last day for a return is {last.isoformat()}.",
        code="money_back",
        last_day=last,
    )


# --- After the counter: back to the maker, transfers, stock counts --------------------------

# Swapped out, or returned under money back and judged opened or faulty.
WAITING_FOR_MAKER: tuple[str, ...] = ("replaced_out", "returned")
MAKER_OVERDUE_DAYS = 14
RETURNED_UNIT_STATES: tuple[str, ...] = ("sealed", "opened", "faulty")
# A unit expected on the shelf and not found: what the manager says became of it.
COUNT_REASONS: tuple[str, ...] = ("lost", "damaged", "found_elsewhere")


def returned_unit_status(state: str) -> str:
    """Where a money-back unit goes: a sealed box back on the shelf, anything else to the maker."""
    if state not in RETURNED_UNIT_STATES:
        raise ValueError(f"Unknown state of a returned unit: {state!r}.")
    return "in_stock" if state == "sealed" else "returned"


def days_waiting(since: date, today: date) -> int:
    """Whole days a unit has waited to go back to the maker (0 on the day it came in)."""
    return max(0, (today - since).days)


def overdue_for_maker(since: date, today: date) -> bool:
    """More than 14 days waiting: the manager should have it packed."""
    return days_waiting(since, today) > MAKER_OVERDUE_DAYS


def count_write_off_status(reason: str) -> str:
    """The status a missing unit is left in: lost and damaged are written off, the rest stays."""
    if reason not in COUNT_REASONS:
        raise ValueError(f"Unknown reason for a missing unit: {reason!r}.")
    return {"lost": "lost", "damaged": "damaged"}.get(reason, "in_stock")


def compare_units(expected: Iterable[int], seen: Iterable[int]) -> tuple[list[int], list[int]]:
    """(expected but not seen, seen but not expected), each sorted: a count's or a transfer's.

    ``expected`` must be what is expected now, at the close, not at the start: a unit sold
    while a count is open is no longer expected, so it is not missing.
    """
    expected_set, seen_set = set(expected), set(seen)
    return sorted(expected_set - seen_set), sorted(seen_set - expected_set)


# --- The catalog: SKUs, prices, VAT rates and serial formats as people type them ----------

SKU_MAX_LENGTH = 32
SERIAL_PATTERN_MAX_LENGTH = 200
MAX_PRICE_MINOR = 99_999_999  # 999,999.99: a typing slip, not a heated-tobacco device
_SKU = re.compile(r"[A-Z0-9][A-Z0-9._/-]*")
_AMOUNT = re.compile(r"([0-9]{1,9})(?:[.,]([0-9]{1,2}))?")
_ESCAPE = re.compile(r"\\.")


def normalise_sku(raw: str) -> str:
    """A SKU as stored: upper case, as the counter's scanner looks it up."""
    sku = raw.strip().upper()
    if not sku:
        raise ValueError("A SKU cannot be empty.")
    if len(sku) > SKU_MAX_LENGTH or not (sku.isascii() and _SKU.fullmatch(sku)):
        raise ValueError(
            f"A SKU is 1 to {SKU_MAX_LENGTH} letters A-Z, digits, dots, dashes or slashes."
        )
    return sku


def parse_money(text: str) -> int:
    """A typed amount in major units ("499", "499.90", "1 299,5") to integer minor units.

    A comma or a point may separate the decimals (Swedish and English spreadsheets each
    write their own); spaces group thousands. Never a float: 0.1 + 0.2 is not 0.3.
    """
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"Not an amount: {text!r}.")
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    minor = int(whole) * 100 + int(cents)
    if minor > MAX_PRICE_MINOR:
        raise ValueError(f"An amount of at most {MAX_PRICE_MINOR // 100} is expected.")
    return minor


def money_text(minor: int) -> str:
    """Minor units as a plain amount a spreadsheet and ``parse_money`` read: ``"499.90"``."""
    if minor < 0:
        raise ValueError(f"A price cannot be negative (got {minor}).")
    return f"{minor // 100}.{minor % 100:02d}"


def parse_vat_percent(text: str) -> int:
    """A VAT rate typed in per cent ("25", "25.5", "12,5 %") to basis points."""
    cleaned = text.strip().removesuffix("%").strip()
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"Not a VAT rate: {text!r}.")
    basis_points = int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))
    if basis_points > 10000:
        raise ValueError("A VAT rate is at most 100 %.")
    return basis_points


def vat_percent_text(basis_points: int) -> str:
    """Basis points as the shortest per cent: 2500 -> "25", 2550 -> "25.5", 1225 -> "12.25"."""
    whole, fraction = divmod(basis_points, 100)
    return str(whole) if not fraction else f"{whole}.{fraction:02d}".rstrip("0")


def parse_vat_rates(text: str) -> list[int]:
    """A market's VAT rates typed as per cent, the standard rate first: "25, 12, 6, 0".

    Commas separate the rates here, so a rate's decimals take a point: "25.5, 14, 10, 0".
    """
    parts = [part for part in re.split(r"[,;\s]+", text.strip()) if part]
    if not parts:
        raise ValueError("A market needs at least its standard VAT rate.")
    rates = [parse_vat_percent(part) for part in parts]
    if len(set(rates)) != len(rates):
        raise ValueError("Each VAT rate once.")
    if len(rates) > 8:
        raise ValueError("At most 8 VAT rates.")
    return rates


def check_serial_pattern(pattern: str) -> None:
    """A device model's serial format: a regular expression over the normalised serial.

    It must compile, be short enough to read, not accept an empty serial, and spell its
    letters in upper case (serials are stored upper case, so a lower-case letter could
    never match).
    """
    if len(pattern) > SERIAL_PATTERN_MAX_LENGTH:
        raise ValueError(f"A serial format has at most {SERIAL_PATTERN_MAX_LENGTH} characters.")
    try:
        compiled = re.compile(pattern)
    except re.error as err:
        raise ValueError(f"Not a regular expression: {err}.") from err
    if compiled.fullmatch(""):
        raise ValueError("A serial format must not accept an empty serial.")
    if re.search(r"[a-z]", _ESCAPE.sub("", re.sub(r"\{[0-9,]*\}", "", pattern))):
        raise ValueError("Serials are stored in upper case: write the pattern's letters so.")


# --- Stock coming in ----------------------------------------------------------------------


@dataclass(frozen=True)
class SerialModel:
    """Which device model a scanned serial is, read from the catalog's serial formats.

    ``product_id`` is the model, or None when the serial is refused. ``code``: ``"format"``
    (exactly one model's format fits), ``"chosen"`` (the model chosen on screen decided),
    ``"ambiguous"`` (several formats fit and none of them is the chosen model) or
    ``"no_format"`` (no model has a format that fits). ``candidates``: the models that fit.
    """

    product_id: int | None
    code: str
    candidates: tuple[int, ...] = ()


@lru_cache(maxsize=256)
def _serial_format(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def serial_fits_format(serial: str, pattern: str | None) -> bool:
    """Whether a normalised serial is, as a whole, in a model's format (a regular expression).

    A model without a format, or with one that is not a valid expression, fits nothing.
    """
    compiled = _serial_format(pattern) if pattern else None
    return compiled is not None and compiled.fullmatch(serial) is not None


def model_for_serial(
    serial: str, formats: dict[int, str | None], chosen: int | None = None
) -> SerialModel:
    """The device model of a serial at intake, from each model's format (``formats``: model
    id -> its serial format, for the device models a delivery may hold).

    One format fits: that model, whatever is chosen (a delivery mixes models). Several fit:
    the model chosen on screen, if it is one of them; otherwise the serial is refused until
    one is chosen. None fits: refused as a format no model has, unless the chosen model has
    no format yet, which only the person scanning can vouch for.
    """
    fits = tuple(
        sorted(pid for pid, pattern in formats.items() if serial_fits_format(serial, pattern))
    )
    if len(fits) == 1:
        return SerialModel(fits[0], "format", fits)
    if fits:
        if chosen in fits:
            return SerialModel(chosen, "chosen", fits)
        return SerialModel(None, "ambiguous", fits)
    if chosen is not None and chosen in formats and not formats[chosen]:
        return SerialModel(chosen, "chosen")
    return SerialModel(None, "no_format")


def below_low_stock(on_hand: int, level: int | None) -> bool:
    """A product runs low when fewer are on the shelf than the level its store set (0: never)."""
    return level is not None and level > 0 and on_hand < level
