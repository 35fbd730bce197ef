"""Mobile numbers as people type them: one E.164 string per number, or a clear refusal."""

from __future__ import annotations

import pytest

from kiosk import phones


@pytest.mark.parametrize(
    "typed",
    ["+46 70 174 06 05", "070-174 06 05", "0046701740605", "0701740605", " (070) 174-06-05 "],
)
def test_every_way_of_writing_a_swedish_mobile_is_one_number(typed: str) -> None:
    assert phones.normalise_mobile(typed, "SE") == "+46701740605"


def test_a_number_without_its_country_code_is_read_in_the_stores_country() -> None:
    assert phones.normalise_mobile("07911 123456", "GB") == "+447911123456"
    assert phones.region_of_timezone("Europe/London") == "GB"
    assert phones.region_of_timezone("Europe/Stockholm") == "SE"
    assert phones.region_of_timezone("Nowhere/Atlantis") == "SE"


@pytest.mark.parametrize(
    "typed",
    ["", "12", "not a number", "+46 70 174 06", "08-123 456 78", "+1 999 999 9999", "0" * 40],
)
def test_what_is_not_a_mobile_number_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        phones.normalise_mobile(typed, "SE")


def test_display_and_mask() -> None:
    assert phones.display_mobile("+46701740605") == "+46 70 174 06 05"
    assert phones.mask_mobile("+46701740605") == "+46 •••• 05"
    assert phones.mask_mobile("+447911123456") == "+44 •••• 56"
