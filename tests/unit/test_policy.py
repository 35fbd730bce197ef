"""The store's rules (kiosk.policy): table cases for every boundary, then properties."""

import calendar
import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.policy import (
    OUTCOMES,
    SWAP_CASES,
    AgeCheckDecision,
    Decision,
    accessory_discount,
    accident_cover_last_day,
    add_months,
    age_on,
    benefit_program_active,
    benefit_program_last_day,
    check_challenge_age,
    decide_age_check,
    decide_swap,
    is_of_legal_age,
    mask_email,
    mask_serial,
    money_back_last_day,
    normalise_serial,
    parse_birth_date,
    required_age,
    validate_birth_date,
    vat_of,
    visual_check_overruled,
    warranty_last_day,
)

DAY = timedelta(days=1)

# One device's life, used by the swap desk tables below.
PURCHASE = date(2025, 3, 15)
REGISTRATION = date(2025, 4, 1)
WARRANTY_LAST = date(2026, 3, 14)
ACCIDENT_LAST = date(2026, 3, 31)
MONEY_BACK_LAST = date(2025, 5, 14)


# --- Month arithmetic and the windows ----------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="31-jan-plus-1-leap-year"),
        pytest.param(date(2025, 1, 31), 1, date(2025, 2, 28), id="31-jan-plus-1-common-year"),
        pytest.param(date(2024, 3, 31), -1, date(2024, 2, 29), id="31-mar-minus-1-leap-year"),
        pytest.param(date(2025, 3, 31), -1, date(2025, 2, 28), id="31-mar-minus-1-common-year"),
        pytest.param(date(2025, 8, 31), 1, date(2025, 9, 30), id="31-aug-plus-1-to-30-sep"),
        pytest.param(date(2024, 2, 29), 12, date(2025, 2, 28), id="29-feb-plus-12-clamps"),
        pytest.param(date(2024, 2, 29), 48, date(2028, 2, 29), id="29-feb-plus-48-keeps-day"),
        pytest.param(date(2025, 12, 15), 1, date(2026, 1, 15), id="december-into-next-year"),
        pytest.param(date(2026, 1, 15), -1, date(2025, 12, 15), id="january-back-a-year"),
        pytest.param(date(2025, 5, 31), -13, date(2024, 4, 30), id="minus-13-clamps"),
        pytest.param(date(2025, 5, 31), 0, date(2025, 5, 31), id="zero-months"),
    ],
)
def test_add_months_clamps_to_the_end_of_a_shorter_month(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "months"),
    [
        pytest.param(date(9999, 12, 1), 1, id="after-year-9999"),
        pytest.param(date(1, 1, 1), -1, id="before-year-1"),
    ],
)
def test_add_months_outside_the_calendar_is_an_error(start, months):
    with pytest.raises(ValueError, match="outside the calendar"):
        add_months(start, months)


@pytest.mark.parametrize(
    ("purchase", "expected"),
    [
        pytest.param(date(2025, 3, 15), date(2026, 3, 14), id="mid-month"),
        pytest.param(date(2024, 1, 1), date(2024, 12, 31), id="new-year-day"),
        pytest.param(date(2025, 1, 31), date(2026, 1, 30), id="31-jan"),
        pytest.param(date(2023, 3, 1), date(2024, 2, 29), id="ends-on-leap-day"),
        pytest.param(date(2024, 3, 1), date(2025, 2, 28), id="ends-on-28-feb-common-year"),
        # The literal "+ 12 months (clamped) - 1 day": 28 Feb 2025 - 1 day.
        pytest.param(date(2024, 2, 29), date(2025, 2, 27), id="bought-on-leap-day"),
    ],
)
def test_twelve_month_windows_end_the_day_before_the_anniversary(purchase, expected):
    assert warranty_last_day(purchase) == expected
    assert accident_cover_last_day(purchase) == expected
    assert benefit_program_last_day(purchase) == expected


@pytest.mark.parametrize(
    ("purchase", "expected"),
    [
        pytest.param(date(2025, 3, 15), date(2025, 5, 14), id="spring"),
        pytest.param(date(2024, 1, 1), date(2024, 3, 1), id="across-29-feb"),
        pytest.param(date(2025, 1, 1), date(2025, 3, 2), id="across-28-feb"),
        pytest.param(date(2025, 12, 15), date(2026, 2, 13), id="across-new-year"),
    ],
)
def test_money_back_last_day_is_sixty_days_after_purchase(purchase, expected):
    assert money_back_last_day(purchase) == expected


@pytest.mark.parametrize(
    ("latest_purchase", "today", "active"),
    [
        pytest.param(None, date(2025, 6, 1), False, id="never-bought-a-device"),
        pytest.param(PURCHASE, PURCHASE, True, id="on-purchase-day"),
        pytest.param(PURCHASE, WARRANTY_LAST - DAY, True, id="day-before-last-day"),
        pytest.param(PURCHASE, WARRANTY_LAST, True, id="on-last-day"),
        pytest.param(PURCHASE, WARRANTY_LAST + DAY, False, id="day-after-last-day"),
        pytest.param(date(2025, 6, 2), date(2025, 6, 1), True, id="bought-in-a-store-ahead"),
    ],
)
def test_benefit_program_is_active_through_its_last_day(latest_purchase, today, active):
    assert benefit_program_active(latest_purchase, today) is active


# --- Ages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        pytest.param(date(2008, 6, 10), date(2026, 6, 9), 17, id="day-before-18th-birthday"),
        pytest.param(date(2008, 6, 10), date(2026, 6, 10), 18, id="on-18th-birthday"),
        pytest.param(date(2008, 6, 10), date(2026, 6, 11), 18, id="day-after-18th-birthday"),
        pytest.param(date(2008, 2, 29), date(2026, 2, 28), 17, id="leap-born-28-feb-common"),
        pytest.param(date(2008, 2, 29), date(2026, 3, 1), 18, id="leap-born-1-mar-common"),
        pytest.param(date(2004, 2, 29), date(2024, 2, 28), 19, id="leap-born-28-feb-leap"),
        pytest.param(date(2004, 2, 29), date(2024, 2, 29), 20, id="leap-born-29-feb-leap"),
        pytest.param(date(2008, 3, 1), date(2026, 2, 28), 17, id="born-1-mar-on-28-feb"),
        pytest.param(date(2026, 1, 10), date(2026, 1, 10), 0, id="born-today"),
        pytest.param(date(2007, 12, 31), date(2025, 12, 31), 18, id="new-year-eve-birthday"),
    ],
)
def test_age_counts_completed_years(birth, today, age):
    assert age_on(birth, today) == age


def test_age_of_someone_born_tomorrow_is_an_error():
    with pytest.raises(ValueError, match="after today"):
        age_on(date(2026, 1, 11), date(2026, 1, 10))


@pytest.mark.parametrize(
    ("today", "legal"),
    [
        pytest.param(date(2026, 6, 9), False, id="day-before-18th-birthday"),
        pytest.param(date(2026, 6, 10), True, id="on-18th-birthday"),
    ],
)
def test_is_of_legal_age_from_the_18th_birthday(today, legal):
    assert is_of_legal_age(date(2008, 6, 10), today, 18) is legal


def test_a_negative_legal_age_is_an_error():
    with pytest.raises(ValueError, match="cannot be negative"):
        is_of_legal_age(date(2000, 1, 1), date(2026, 1, 1), -1)


@pytest.mark.parametrize(
    ("birth", "today"),
    [
        pytest.param(date(1906, 1, 10), date(2026, 1, 10), id="120th-birthday-today"),
        pytest.param(date(1905, 1, 11), date(2026, 1, 10), id="121st-birthday-tomorrow"),
        pytest.param(date(2026, 1, 10), date(2026, 1, 10), id="born-today"),
    ],
)
def test_accepts_a_plausible_date_of_birth(birth, today):
    assert validate_birth_date(birth, today) is None


@pytest.mark.parametrize(
    ("birth", "today", "message"),
    [
        pytest.param(date(1905, 1, 10), date(2026, 1, 10), "over 120", id="121st-birthday"),
        pytest.param(date(1850, 1, 1), date(2026, 1, 10), "over 120", id="far-past"),
        pytest.param(date(2026, 1, 11), date(2026, 1, 10), "in the future", id="tomorrow"),
        pytest.param(date(2090, 5, 1), date(2026, 1, 10), "in the future", id="far-future"),
    ],
)
def test_rejects_a_date_of_birth_that_must_be_a_typing_error(birth, today, message):
    with pytest.raises(ValueError, match=message):
        validate_birth_date(birth, today)


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        pytest.param("29", "2", "2024", date(2024, 2, 29), id="29-feb-leap-year"),
        pytest.param(" 07 ", "03", "1990", date(1990, 3, 7), id="padded-and-leading-zeros"),
        pytest.param(31, 12, 1999, date(1999, 12, 31), id="integers"),
        pytest.param("1", "1", " 2000 ", date(2000, 1, 1), id="spaces-around-year"),
    ],
)
def test_parses_a_typed_date_of_birth(day, month, year, expected):
    assert parse_birth_date(day, month, year) == expected


@pytest.mark.parametrize(
    ("day", "month", "year", "detail"),
    [
        pytest.param("30", "2", "2001", "February 2001 has no day 30", id="30-feb"),
        pytest.param("29", "2", "2023", "February 2023 has no day 29", id="29-feb-common-year"),
        pytest.param("31", "4", "1990", "April 1990 has no day 31", id="31-apr"),
        pytest.param("0", "5", "1990", "has no day 0", id="day-0"),
        pytest.param("1", "13", "1990", "no month 13", id="month-13"),
        pytest.param("1", "0", "1990", "no month 0", id="month-0"),
        pytest.param("1", "1", "90", "four digits", id="two-digit-year"),
        pytest.param("1", "1", "990", "four digits", id="three-digit-year"),
        pytest.param("1", "1", "0990", "four digits", id="year-before-1000"),
        pytest.param("1", "1", "19900", "four digits", id="five-digit-year"),
        pytest.param(1, 1, 90, "four digits", id="two-digit-year-as-integer"),
        pytest.param("ab", "1", "1990", "in digits", id="letters"),
        pytest.param("", "1", "1990", "in digits", id="empty-day"),
        pytest.param("1.5", "1", "1990", "in digits", id="decimal"),
        pytest.param("-1", "1", "1990", "in digits", id="minus-sign"),
        pytest.param("\u00b2", "1", "1990", "in digits", id="superscript-two"),
        pytest.param("\u0663", "1", "1990", "in digits", id="arabic-indic-three"),
        pytest.param(True, 1, 1990, "in digits", id="boolean"),
    ],
)
def test_rejects_a_date_of_birth_that_does_not_exist(day, month, year, detail):
    with pytest.raises(ValueError, match="^That date does not exist") as error:
        parse_birth_date(day, month, year)
    assert detail in str(error.value)


# --- The age check at the counter ------------------------------------------------------------

BIRTH_18 = date(2008, 6, 10)  # turns 18 on 2026-06-10


@pytest.mark.parametrize(
    ("item_min_ages", "legal_age", "expected"),
    [
        pytest.param([], 18, 18, id="empty-cart-needs-legal-age"),
        pytest.param([None], 18, 18, id="product-without-own-age"),
        pytest.param([None, 20], 18, 20, id="one-product-needs-20"),
        pytest.param([21, 20, None], 18, 21, id="highest-wins"),
        pytest.param([16], 18, 18, id="product-cannot-lower-legal-age"),
        pytest.param((age for age in [None, 19]), 18, 19, id="any-iterable"),
        pytest.param([None], 20, 20, id="store-legal-age-20"),
    ],
)
def test_cart_needs_the_highest_minimum_age_of_its_items(item_min_ages, legal_age, expected):
    assert required_age(item_min_ages, legal_age) == expected


@pytest.mark.parametrize(
    ("item_min_ages", "legal_age"),
    [
        pytest.param([-1], 18, id="negative-product-age"),
        pytest.param([], -1, id="negative-legal-age"),
    ],
)
def test_a_negative_minimum_age_is_an_error(item_min_ages, legal_age):
    with pytest.raises(ValueError, match="cannot be negative"):
        required_age(item_min_ages, legal_age)


def test_refuses_sale_one_day_before_18th_birthday():
    check = decide_age_check(BIRTH_18, date(2026, 6, 9), 18, method="document", challenge_age=None)
    assert check == AgeCheckDecision(
        passed=False,
        refusal_reason="under_age",
        message="Under 18: the customer is 17, so the sale cannot complete.",
    )


def test_sells_on_the_18th_birthday():
    check = decide_age_check(BIRTH_18, date(2026, 6, 10), 18, method="document", challenge_age=None)
    assert check.passed is True
    assert check.refusal_reason is None


@pytest.mark.parametrize(
    ("today", "passed"),
    [
        pytest.param(date(2026, 2, 28), False, id="refused-on-28-feb"),
        pytest.param(date(2026, 3, 1), True, id="sold-on-1-mar"),
    ],
)
def test_leap_day_baby_turns_18_on_1_march_in_a_common_year(today, passed):
    check = decide_age_check(date(2008, 2, 29), today, 18, method="document", challenge_age=None)
    assert check.passed is passed


def test_refuses_a_19_year_old_for_a_cart_that_needs_20():
    check = decide_age_check(
        date(2006, 6, 10), date(2026, 6, 9), 20, method="document", challenge_age=None
    )
    assert (check.passed, check.refusal_reason) == (False, "under_age")


@pytest.mark.parametrize(
    "birth",
    [pytest.param(None, id="no-date-typed"), pytest.param(date(1990, 1, 1), id="date-typed")],
)
def test_refuses_sale_when_no_id_is_shown(birth):
    check = decide_age_check(birth, date(2026, 6, 10), 18, method="no_id", challenge_age=25)
    assert (check.passed, check.refusal_reason) == (False, "no_id")


@pytest.mark.parametrize(
    ("challenge_age", "cart_age"),
    [
        pytest.param(25, 18, id="clearly-over-25-for-18"),
        pytest.param(20, 20, id="challenge-age-equals-cart-age"),
    ],
)
def test_sells_without_a_document_to_someone_clearly_over_the_challenge_age(
    challenge_age, cart_age
):
    check = decide_age_check(
        None, date(2026, 6, 10), cart_age, method="visual", challenge_age=challenge_age
    )
    assert check == AgeCheckDecision(
        passed=True,
        refusal_reason=None,
        message=f"Age check passed: the customer is clearly over {challenge_age}.",
    )


@pytest.mark.parametrize(
    ("birth", "cart_age", "method", "challenge_age", "message"),
    [
        pytest.param(None, 18, "visual", None, "does not allow visual", id="visual-when-off"),
        pytest.param(None, 20, "visual", 18, "needs age 20", id="visual-below-cart-age"),
        pytest.param(None, 18, "document", None, "Type the date of birth", id="document-no-date"),
        pytest.param(date(2026, 6, 11), 18, "document", None, "future", id="born-tomorrow"),
        pytest.param(date(1900, 1, 1), 18, "document", None, "over 120", id="age-over-120"),
        pytest.param(date(2026, 6, 11), 18, "no_id", None, "future", id="no-id-bad-date"),
        pytest.param(date(1990, 1, 1), 18, "guess", None, "Unknown age check", id="bad-method"),
    ],
)
def test_age_check_input_that_is_a_mistake_is_not_recorded_as_a_refusal(
    birth, cart_age, method, challenge_age, message
):
    with pytest.raises(ValueError, match=message):
        decide_age_check(
            birth, date(2026, 6, 10), cart_age, method=method, challenge_age=challenge_age
        )


# --- Money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rate", "discount"),
    [
        pytest.param(1000, 10, 100, id="even"),
        pytest.param(995, 10, 100, id="half-rounds-up"),
        pytest.param(994, 10, 99, id="below-half-rounds-down"),
        pytest.param(5, 10, 1, id="half-an-ore-rounds-up"),
        pytest.param(4, 10, 0, id="under-half-an-ore"),
        pytest.param(0, 10, 0, id="free-item"),
        pytest.param(1234, 0, 0, id="rate-zero"),
        pytest.param(1234, 100, 1234, id="rate-100-never-more-than-amount"),
    ],
)
def test_accessory_discount_rounds_half_up_to_the_ore(amount, rate, discount):
    assert accessory_discount(amount, rate) == discount


@pytest.mark.parametrize(
    ("amount", "rate"),
    [
        pytest.param(-100, 10, id="negative-amount"),
        pytest.param(100, 101, id="rate-over-100"),
        pytest.param(100, -1, id="negative-rate"),
    ],
)
def test_accessory_discount_rejects_impossible_input(amount, rate):
    with pytest.raises(ValueError):
        accessory_discount(amount, rate)


@pytest.mark.parametrize(
    ("gross", "rate_bp", "vat"),
    [
        pytest.param(12500, 2500, 2500, id="25-percent-exact"),
        pytest.param(100, 2500, 20, id="one-krona-at-25"),
        pytest.param(1, 2500, 0, id="point-two-rounds-down"),
        pytest.param(3, 2500, 1, id="point-six-rounds-up"),
        pytest.param(14, 1200, 2, id="exact-half-rounds-up"),
        pytest.param(-14, 1200, -2, id="refund-mirrors-sale"),
        pytest.param(10600, 600, 600, id="6-percent"),
        pytest.param(0, 2500, 0, id="zero-amount"),
        pytest.param(12500, 0, 0, id="zero-rate"),
    ],
)
def test_vat_contained_in_a_gross_amount_rounds_half_up(gross, rate_bp, vat):
    assert vat_of(gross, rate_bp) == vat


def test_a_negative_vat_rate_is_an_error():
    with pytest.raises(ValueError, match="cannot be negative"):
        vat_of(100, -1)


# --- Serials and masks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "serial"),
    [
        pytest.param("ab-12 34", "AB1234", id="dash-and-space"),
        pytest.param(" AB1234 ", "AB1234", id="padded"),
        pytest.param("ab_12.34", "AB1234", id="underscore-and-dot"),
        pytest.param("ab\t12\n34\r\n", "AB1234", id="scanner-whitespace"),
        pytest.param("AB\u00a01234", "AB1234", id="no-break-space"),
        pytest.param("a--b..c__1", "ABC1", id="runs-of-separators"),
        pytest.param("X" * 64, "X" * 64, id="64-characters"),
    ],
)
def test_normalises_each_variant_of_a_serial_to_one_form(raw, serial):
    assert normalise_serial(raw) == serial


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param("", "Type or scan", id="empty"),
        pytest.param("  - _ .", "Type or scan", id="only-separators"),
        pytest.param("AB/1234", "only letters", id="slash"),
        pytest.param("stra\u00dfe", "only letters", id="sharp-s"),
        pytest.param("\u00c5B12", "only letters", id="a-ring"),
        pytest.param("AB\u200b12", "only letters", id="zero-width-space"),
        pytest.param("X" * 65, "at most 64", id="65-characters"),
    ],
)
def test_rejects_a_serial_that_cannot_be_one(raw, message):
    with pytest.raises(ValueError, match=message):
        normalise_serial(raw)


@pytest.mark.parametrize(
    ("serial", "masked"),
    [
        pytest.param("AB12345678", "\u2022\u2022\u20225678", id="long-serial"),
        pytest.param("ABCD1234", "\u2022\u2022\u20221234", id="eight-characters"),
        pytest.param("ABC123", "\u2022\u2022\u2022123", id="short-shows-half"),
        pytest.param("A", "\u2022\u2022\u2022", id="one-character-shows-nothing"),
        pytest.param("", "\u2022\u2022\u2022", id="empty"),
    ],
)
def test_masks_all_but_the_last_four_of_a_serial(serial, masked):
    assert mask_serial(serial) == masked


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        pytest.param("anna@example.com", "a***@example.com", id="plain"),
        pytest.param("A.B@sub.example.se", "A***@sub.example.se", id="dotted-name"),
        pytest.param("x@y.se", "x***@y.se", id="one-letter-name"),
        pytest.param(" anna@example.com ", "a***@example.com", id="padded"),
    ],
)
def test_masks_an_email_to_first_letter_and_domain(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("anna.example.com", id="no-at"),
        pytest.param("@example.com", id="no-name"),
        pytest.param("anna@", id="no-domain"),
    ],
)
def test_mask_email_rejects_what_is_not_an_email(email):
    with pytest.raises(ValueError, match="Not an email address"):
        mask_email(email)


# --- The swap desk ---------------------------------------------------------------------------


def swap(case: str, today: date, **overrides: object) -> Decision:
    """decide_swap for the device of this file: registered, no claims yet."""
    device: dict[str, object] = {
        "registered": True,
        "purchase_date": PURCHASE,
        "registration_date": REGISTRATION,
        "accident_claim_used": False,
    }
    device.update(overrides)
    return decide_swap(case, today, **device)


REGISTER_FIRST = "register the device first"
COSMETIC = "Purely cosmetic damage is not covered"
LOST = "lost or stolen device cannot be swapped"
WARRANTY_OVER = "The warranty ran until 2026-03-14."
ACCIDENT_OVER = "The accidental damage cover ran until 2026-03-31."
ACCIDENT_USED = "accidental damage replacement for this device has already been used"
MONEY_BACK_OVER = "The money-back period ran until 2025-05-14."
MONEY_BACK_VOID = "Money back is void"
FUNC = "cosmetic_affects_function"

# (case, today, registered, accident claim used, outcome or None, words in the reason)
SWAP_TABLE = [
    # defect: the warranty counts from the purchase date
    ("defect", WARRANTY_LAST - DAY, True, False, "warranty", "2026-03-14", "reg-day-before-last"),
    ("defect", WARRANTY_LAST, True, False, "warranty", "2026-03-14", "reg-on-last-day"),
    ("defect", WARRANTY_LAST + DAY, True, False, None, WARRANTY_OVER, "reg-day-after-last"),
    ("defect", REGISTRATION, True, True, "warranty", "2026-03-14", "reg-inside-claim-used"),
    ("defect", WARRANTY_LAST + DAY, True, True, None, WARRANTY_OVER, "reg-after-claim-used"),
    ("defect", WARRANTY_LAST, False, False, None, REGISTER_FIRST, "unreg-inside"),
    ("defect", WARRANTY_LAST + DAY, False, False, None, REGISTER_FIRST, "unreg-after"),
    ("defect", WARRANTY_LAST, False, True, None, REGISTER_FIRST, "unreg-claim-used"),
    # cosmetic damage that affects function is a defect
    (FUNC, WARRANTY_LAST, True, False, "warranty", "2026-03-14", "reg-on-last-day"),
    (FUNC, WARRANTY_LAST + DAY, True, False, None, WARRANTY_OVER, "reg-day-after-last"),
    (FUNC, REGISTRATION, True, True, "warranty", "2026-03-14", "reg-inside-claim-used"),
    (FUNC, WARRANTY_LAST + DAY, True, True, None, WARRANTY_OVER, "reg-after-claim-used"),
    (FUNC, PURCHASE, False, False, None, REGISTER_FIRST, "unreg-inside"),
    (FUNC, WARRANTY_LAST + DAY, False, True, None, REGISTER_FIRST, "unreg-after-claim-used"),
    # purely cosmetic damage: never
    ("cosmetic", REGISTRATION, True, False, None, COSMETIC, "reg-inside"),
    ("cosmetic", WARRANTY_LAST + DAY, True, False, None, COSMETIC, "reg-after"),
    ("cosmetic", REGISTRATION, True, True, None, COSMETIC, "reg-claim-used"),
    ("cosmetic", PURCHASE, False, False, None, COSMETIC, "unreg-inside"),
    ("cosmetic", WARRANTY_LAST + DAY, False, True, None, COSMETIC, "unreg-after-claim-used"),
    # accident: counts from the registration date, once per chain
    ("accident", REGISTRATION, True, False, "accident", "2026-03-31", "reg-on-registration-day"),
    ("accident", ACCIDENT_LAST - DAY, True, False, "accident", "2026-03-31", "reg-day-before-last"),
    ("accident", ACCIDENT_LAST, True, False, "accident", "2026-03-31", "reg-last-day-no-warranty"),
    ("accident", ACCIDENT_LAST + DAY, True, False, None, ACCIDENT_OVER, "reg-day-after-last"),
    ("accident", REGISTRATION, True, True, None, ACCIDENT_USED, "reg-inside-claim-used"),
    ("accident", ACCIDENT_LAST + DAY, True, True, None, ACCIDENT_USED, "reg-after-claim-used"),
    ("accident", REGISTRATION, False, False, None, REGISTER_FIRST, "unreg-inside"),
    ("accident", ACCIDENT_LAST + DAY, False, False, None, REGISTER_FIRST, "unreg-after"),
    ("accident", REGISTRATION, False, True, None, REGISTER_FIRST, "unreg-claim-used"),
    # lost or stolen: nothing to swap
    ("lost_or_stolen", REGISTRATION, True, False, None, LOST, "reg-inside"),
    ("lost_or_stolen", WARRANTY_LAST + DAY, True, False, None, LOST, "reg-after"),
    ("lost_or_stolen", REGISTRATION, True, True, None, LOST, "reg-claim-used"),
    ("lost_or_stolen", PURCHASE, False, False, None, LOST, "unreg-inside"),
    ("lost_or_stolen", WARRANTY_LAST + DAY, False, True, None, LOST, "unreg-after-claim-used"),
    # money back: 60 days from purchase, void after an accident replacement
    (
        "money_back",
        REGISTRATION,
        True,
        False,
        "money_back",
        "2025-05-14",
        "reg-on-registration-day",
    ),
    (
        "money_back",
        MONEY_BACK_LAST - DAY,
        True,
        False,
        "money_back",
        "2025-05-14",
        "reg-day-before-last",
    ),
    ("money_back", MONEY_BACK_LAST, True, False, "money_back", "2025-05-14", "reg-on-last-day"),
    ("money_back", MONEY_BACK_LAST + DAY, True, False, None, MONEY_BACK_OVER, "reg-day-after-last"),
    ("money_back", MONEY_BACK_LAST, True, True, None, MONEY_BACK_VOID, "reg-void-after-accident"),
    ("money_back", MONEY_BACK_LAST + DAY, True, True, None, MONEY_BACK_VOID, "reg-after-claim"),
    ("money_back", MONEY_BACK_LAST, False, False, None, REGISTER_FIRST, "unreg-inside"),
    ("money_back", MONEY_BACK_LAST + DAY, False, False, None, REGISTER_FIRST, "unreg-after"),
    ("money_back", MONEY_BACK_LAST, False, True, None, REGISTER_FIRST, "unreg-claim-used"),
]


@pytest.mark.parametrize(
    ("case", "today", "registered", "claim_used", "outcome", "words"),
    [pytest.param(*row[:-1], id=f"{row[0]}-{row[-1]}") for row in SWAP_TABLE],
)
def test_swap_desk_decides_by_case_registration_window_and_claims(
    case, today, registered, claim_used, outcome, words
):
    decision = swap(
        case,
        today,
        registered=registered,
        registration_date=REGISTRATION if registered else None,
        accident_claim_used=claim_used,
    )
    assert decision.outcome == outcome
    assert decision.allowed is (outcome is not None)
    assert words in decision.reason


def test_swap_desk_covers_every_case_registered_and_not():
    covered = {(row[0], row[2]) for row in SWAP_TABLE}
    assert covered == {(case, reg) for case in SWAP_CASES for reg in (True, False)}


def test_refuses_money_back_for_a_device_already_returned():
    decision = swap("money_back", REGISTRATION, money_back_used=True)
    assert decision == Decision(
        allowed=False,
        outcome=None,
        reason="This device has already been returned for money back.",
        code="money_back_used",
    )


@pytest.mark.parametrize(
    ("returns_so_far", "limit", "outcome"),
    [
        pytest.param(0, 3, "money_back", id="first-return"),
        pytest.param(2, 3, "money_back", id="third-return-of-3"),
        pytest.param(3, 3, None, id="fourth-return-of-3"),
        pytest.param(7, 3, None, id="far-over-the-limit"),
        pytest.param(3, 5, "money_back", id="store-allows-5"),
        pytest.param(0, 0, None, id="store-allows-none"),
    ],
)
def test_money_back_stops_at_the_customers_limit(returns_so_far, limit, outcome):
    decision = swap(
        "money_back",
        MONEY_BACK_LAST,
        money_back_returns_by_customer=returns_so_far,
        money_back_limit=limit,
    )
    assert decision.outcome == outcome
    if outcome is None:
        assert f"the limit is {limit}" in decision.reason


def test_money_back_limit_defaults_to_three_returns():
    assert swap("money_back", REGISTRATION, money_back_returns_by_customer=2).allowed is True
    assert swap("money_back", REGISTRATION, money_back_returns_by_customer=3).allowed is False


def test_an_unregistered_device_with_a_stale_registration_date_must_register_first():
    decision = swap("defect", REGISTRATION, registered=False, registration_date=REGISTRATION)
    assert REGISTER_FIRST in decision.reason


@pytest.mark.parametrize(
    ("case", "today", "overrides", "message"),
    [
        pytest.param("broken", REGISTRATION, {}, "Unknown swap case 'broken'", id="unknown-case"),
        pytest.param("Defect", REGISTRATION, {}, "Unknown swap case", id="case-is-exact"),
        pytest.param(
            "defect",
            REGISTRATION,
            {"registration_date": PURCHASE - DAY},
            "before the purchase date",
            id="registered-before-purchase",
        ),
        pytest.param(
            "defect",
            PURCHASE - DAY,
            {"registration_date": None, "registered": False},
            "purchase date 2025-03-15 is after today",
            id="purchase-in-the-future",
        ),
        pytest.param(
            "defect",
            REGISTRATION - DAY,
            {},
            "registration date 2025-04-01 is after today",
            id="registration-in-the-future",
        ),
        pytest.param(
            "defect",
            REGISTRATION,
            {"registration_date": None},
            "needs a registration date",
            id="registered-without-date",
        ),
        pytest.param(
            "money_back",
            REGISTRATION,
            {"money_back_returns_by_customer": -1},
            "cannot be negative",
            id="negative-return-count",
        ),
        pytest.param(
            "money_back",
            REGISTRATION,
            {"money_back_limit": -1},
            "cannot be negative",
            id="negative-limit",
        ),
    ],
)
def test_swap_desk_rejects_impossible_input(case, today, overrides, message):
    with pytest.raises(ValueError, match=message):
        swap(case, today, **overrides)


def test_a_decision_cannot_be_changed_after_it_is_made():
    decision = swap("defect", REGISTRATION)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.allowed = False  # type: ignore[misc]


def test_swap_cases_and_outcomes_are_the_specs_words():
    assert SWAP_CASES == (
        "defect",
        "cosmetic",
        "cosmetic_affects_function",
        "accident",
        "lost_or_stolen",
        "money_back",
    )
    assert OUTCOMES == ("warranty", "accident", "money_back")


# --- Properties ----------------------------------------------------------------------------

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2150, 12, 31))


@given(d=dates, months=st.integers(min_value=-1200, max_value=1200))
def test_add_months_moves_the_month_by_exactly_n_and_never_overflows_the_day(d, months):
    moved = add_months(d, months)
    assert (moved.year * 12 + moved.month) - (d.year * 12 + d.month) == months
    assert moved.day == min(d.day, calendar.monthrange(moved.year, moved.month)[1])


@given(d=dates, months=st.integers(min_value=-1200, max_value=1200))
def test_add_months_returns_for_days_every_month_has(d, months):
    d = d.replace(day=min(d.day, 28))
    assert add_months(add_months(d, months), -months) == d


@given(birth=dates, a=dates, b=dates)
def test_age_never_goes_down_as_days_pass(birth, a, b):
    earlier, later = sorted((a, b))
    if birth <= earlier:
        assert age_on(birth, earlier) <= age_on(birth, later)


def _birthday(birth: date, year: int) -> date:
    # Written out separately from the module: 29 Feb falls on 1 Mar in a common year.
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth.replace(year=year)


@given(birth=dates, years=st.integers(min_value=1, max_value=130))
def test_age_goes_up_by_exactly_one_on_each_birthday(birth, years):
    birthday = _birthday(birth, birth.year + years)
    assert age_on(birth, birthday) == years
    assert age_on(birth, birthday - DAY) == years - 1


@given(birth=dates, days=st.integers(min_value=0, max_value=60000))
def test_age_changes_only_on_a_birthday(birth, days):
    today = birth + timedelta(days=days)
    tomorrow = today + DAY
    step = age_on(birth, tomorrow) - age_on(birth, today)
    assert step == int(tomorrow == _birthday(birth, tomorrow.year))


@given(purchase=dates)
def test_twelve_month_windows_end_after_the_start_and_within_a_year(purchase):
    for last in (
        warranty_last_day(purchase),
        accident_cover_last_day(purchase),
        benefit_program_last_day(purchase),
    ):
        assert purchase < last < purchase + timedelta(days=366)
        assert (last - purchase).days in (364, 365)


@given(
    case=st.sampled_from(SWAP_CASES),
    purchase=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    registered_after=st.integers(min_value=0, max_value=400),
    today_after=st.integers(min_value=0, max_value=800),
    registered=st.booleans(),
    claim_used=st.booleans(),
    money_back_used=st.booleans(),
    returns_so_far=st.integers(min_value=0, max_value=5),
    limit=st.integers(min_value=0, max_value=5),
)
def test_the_window_functions_agree_with_the_swap_desk(
    case,
    purchase,
    registered_after,
    today_after,
    registered,
    claim_used,
    money_back_used,
    returns_so_far,
    limit,
):
    registration = purchase + timedelta(days=registered_after)
    today = registration + timedelta(days=today_after)
    decision = decide_swap(
        case,
        today,
        registered=registered,
        purchase_date=purchase,
        registration_date=registration if registered else None,
        accident_claim_used=claim_used,
        money_back_used=money_back_used,
        money_back_returns_by_customer=returns_so_far,
        money_back_limit=limit,
    )
    expected = {
        "defect": today <= warranty_last_day(purchase),
        "cosmetic_affects_function": today <= warranty_last_day(purchase),
        "cosmetic": False,
        "accident": today <= accident_cover_last_day(registration) and not claim_used,
        "lost_or_stolen": False,
        "money_back": (
            today <= money_back_last_day(purchase)
            and not claim_used
            and not money_back_used
            and returns_so_far < limit
        ),
    }[case] and registered
    assert decision.allowed is expected
    if decision.allowed:
        assert decision.outcome in OUTCOMES
    else:
        assert decision.outcome is None
    assert decision.reason.endswith(".")


@given(amount=st.integers(min_value=0, max_value=10**9), rate=st.integers(0, 100))
def test_accessory_discount_is_within_half_an_ore_and_never_more_than_the_amount(amount, rate):
    discount = accessory_discount(amount, rate)
    assert 0 <= discount <= amount
    assert abs(discount * 100 - amount * rate) * 2 <= 100


@given(gross=st.integers(min_value=-(10**9), max_value=10**9), rate_bp=st.integers(0, 10000))
def test_vat_is_within_half_an_ore_of_the_exact_share(gross, rate_bp):
    vat = vat_of(gross, rate_bp)
    exact_times_denominator = gross * rate_bp
    denominator = 10000 + rate_bp
    assert abs(vat * denominator - exact_times_denominator) * 2 <= denominator
    assert vat_of(-gross, rate_bp) == -vat


serial_bodies = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=32)


@given(serial=serial_bodies, data=st.data())
def test_any_variant_of_a_serial_finds_the_same_unit(serial, data):
    separators = st.text(alphabet=" -_.\t", max_size=2)
    variant = "".join(
        data.draw(separators) + (ch.lower() if data.draw(st.booleans()) else ch) for ch in serial
    ) + data.draw(separators)
    assert normalise_serial(variant) == serial
    assert normalise_serial(serial) == serial


@given(serial=serial_bodies)
def test_a_masked_serial_shows_at_most_four_characters_of_its_tail(serial):
    masked = mask_serial(serial)
    tail = masked.removeprefix("\u2022\u2022\u2022")
    assert serial.endswith(tail)
    assert len(tail) == min(4, len(serial) // 2)


@pytest.mark.parametrize(
    ("earlier", "overruled"),
    [
        ([], False),
        (["no_id"], False),  # no ID shown says nothing about the age: a look may follow
        (["under_age"], True),
        (["no_id", "under_age"], True),
    ],
)
def test_a_look_never_overrules_a_document_that_showed_under_age(earlier, overruled) -> None:
    assert visual_check_overruled(earlier) is overruled


# --- The catalog: SKUs, prices, VAT rates and serial formats as people type them ----------

from kiosk import policy as catalog_rules  # noqa: E402 - the catalog's rules, appended here


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("499", 49900),
        ("499.9", 49990),
        ("499,90", 49990),
        ("1 299,50", 129950),
        ("1\u00a0299.5", 129950),
        ("0", 0),
        (" 12.05 ", 1205),
    ],
)
def test_parses_a_typed_price_to_minor_units(typed: str, minor: int) -> None:
    assert catalog_rules.parse_money(typed) == minor


@pytest.mark.parametrize(
    "typed", ["", "-5", "4.999", "1,299.50", "12 kr", "1e3", "NaN", "１２", "9999999999"]
)
def test_refuses_what_is_not_a_price(typed: str) -> None:
    with pytest.raises(ValueError):
        catalog_rules.parse_money(typed)


@given(st.integers(min_value=0, max_value=catalog_rules.MAX_PRICE_MINOR))
def test_a_price_written_out_reads_back_the_same(minor: int) -> None:
    assert catalog_rules.parse_money(catalog_rules.money_text(minor)) == minor


@pytest.mark.parametrize(
    ("typed", "basis_points"),
    [("25", 2500), ("25,5", 2550), ("12.5 %", 1250), ("0", 0), ("100", 10000)],
)
def test_parses_a_vat_rate_in_per_cent(typed: str, basis_points: int) -> None:
    assert catalog_rules.parse_vat_percent(typed) == basis_points


@given(st.integers(min_value=0, max_value=10000))
def test_a_vat_rate_written_out_reads_back_the_same(basis_points: int) -> None:
    text = catalog_rules.vat_percent_text(basis_points)
    assert catalog_rules.parse_vat_percent(text) == basis_points


def test_a_markets_vat_rates_keep_their_order_and_refuse_repeats() -> None:
    assert catalog_rules.parse_vat_rates("25, 12, 6, 0") == [2500, 1200, 600, 0]
    assert catalog_rules.parse_vat_rates("25.5;14 10,0") == [2550, 1400, 1000, 0]
    for wrong in ("", "25, 25", "101", "25, x"):
        with pytest.raises(ValueError):
            catalog_rules.parse_vat_rates(wrong)


@pytest.mark.parametrize(
    ("typed", "sku"), [("dev-one", "DEV-ONE"), (" CON.AMBER/20 ", "CON.AMBER/20")]
)
def test_a_sku_is_kept_in_upper_case_as_the_scanner_reads_it(typed: str, sku: str) -> None:
    assert catalog_rules.normalise_sku(typed) == sku


@pytest.mark.parametrize("typed", ["", "two words", "-LEADING", "Å1", "X" * 33])
def test_refuses_a_sku_a_scanner_could_not_type(typed: str) -> None:
    with pytest.raises(ValueError):
        catalog_rules.normalise_sku(typed)


def test_a_serial_format_is_checked_before_it_is_kept() -> None:
    catalog_rules.check_serial_pattern(r"HS\d{1,4}ON\d{7}")
    for wrong, reason in [
        ("HS(", "Not a regular expression"),
        (".*", "empty serial"),
        (r"hs\d+", "upper case"),
        ("[a-z]+", "upper case"),
        ("X" * 201, "at most 200"),
    ]:
        with pytest.raises(ValueError, match=reason):
            catalog_rules.check_serial_pattern(wrong)


def test_a_serial_matches_its_format_whole_not_in_part() -> None:
    pattern = r"HS\d{1,4}ON\d{7}"
    assert catalog_rules.serial_fits_format("HS12ON0000001", pattern)
    assert not catalog_rules.serial_fits_format("XHS12ON0000001", pattern)
    assert not catalog_rules.serial_fits_format("HS12ON00000012", pattern)


@pytest.mark.parametrize(
    ("challenge", "legal", "allowed"),
    [(None, 18, True), (25, 18, True), (19, 18, True), (18, 18, False), (18, 20, False)],
)
def test_a_challenge_age_is_above_the_legal_age(
    challenge: int | None, legal: int, allowed: bool
) -> None:
    if allowed:
        check_challenge_age(challenge, legal)
    else:
        with pytest.raises(ValueError, match="must be above the legal age"):
            check_challenge_age(challenge, legal)
