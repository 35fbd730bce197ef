"""The intake rules of kiosk.policy: which model a serial is, and when stock runs low."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.policy import below_low_stock, model_for_serial, normalise_serial, serial_fits_format

ONE, DUO, PRIME, PRIME2, MINI = 1, 2, 3, 4, 5
FORMATS = {
    ONE: r"HS\d{1,4}ON\d{7}",
    DUO: r"HS\d{1,4}DU\d{7}",
    PRIME: r"PR\d{6}",
    PRIME2: r"PR\d{6}",  # a successor printed in its predecessor's format
    MINI: None,  # a model whose format nobody has entered yet
}


@pytest.mark.parametrize(
    ("serial", "chosen", "expected"),
    [
        ("HS12ON0000001", None, (ONE, "format")),
        ("HS12ON0000001", PRIME2, (ONE, "format")),  # one format fits: the choice is moot
        ("HS12DU0000001", None, (DUO, "format")),
        ("PR123456", None, (None, "ambiguous")),
        ("PR123456", PRIME2, (PRIME2, "chosen")),
        ("PR123456", ONE, (None, "ambiguous")),  # the chosen model is not one that fits
        ("HS12XX0000001", None, (None, "no_format")),
        ("HS12XX0000001", ONE, (None, "no_format")),  # ONE has a format, and it does not fit
        ("HS12XX0000001", MINI, (MINI, "chosen")),  # MINI has none: the person vouches
        ("HS12XX0000001", 99, (None, "no_format")),  # not a model a delivery may hold
        ("HS12ON00000012", None, (None, "no_format")),  # the whole serial must fit
        ("XHS12ON0000001", None, (None, "no_format")),
    ],
)
def test_the_model_of_a_serial_at_intake(serial, chosen, expected) -> None:
    found = model_for_serial(serial, FORMATS, chosen)
    assert (found.product_id, found.code) == expected


def test_ambiguous_names_every_model_that_fits() -> None:
    assert model_for_serial("PR123456", FORMATS).candidates == (PRIME, PRIME2)


@pytest.mark.parametrize("pattern", ["HS(", "[", "", None, "*"])
def test_a_format_that_is_no_expression_fits_nothing(pattern) -> None:
    assert serial_fits_format("HS1", pattern) is False
    assert model_for_serial("HS1", {ONE: pattern}).code == "no_format"


@pytest.mark.parametrize(
    ("on_hand", "level", "low"),
    [(2, 3, True), (3, 3, False), (4, 3, False), (0, 1, True), (0, 0, False), (0, None, False)],
)
def test_stock_runs_low_only_under_a_level_set(on_hand, level, low) -> None:
    assert below_low_stock(on_hand, level) is low


@given(st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789 -", min_size=1, max_size=40))
def test_a_serial_fits_the_same_model_however_it_was_typed(raw: str) -> None:
    try:
        serial = normalise_serial(raw)
    except ValueError:
        return
    again = normalise_serial(" - ".join([serial[:3], serial[3:].lower()]))
    assert model_for_serial(serial, FORMATS) == model_for_serial(again, FORMATS)
