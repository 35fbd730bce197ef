"""Generated bad input at every form: never a 500, never a partial write.

`make soak` runs these with many more examples (HYPOTHESIS_PROFILE=soak).
"""

from __future__ import annotations

import os

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.models import Sale, SaleLine, Swap
from tests import factories as make
from tests.conftest import AuthActions, csrf_from
from tests.http.test_counter import Counter, adult_birth_date

settings.register_profile(
    "ci",
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "soak",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Values people and scanners really send, and the ones nobody should.
weird_text = st.one_of(
    st.text(max_size=40),
    st.text(min_size=300, max_size=3000),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "99999999999999999999",
            "1e9",
            "NaN",
            "null",
            "2026-02-30",
            "2999-01-01",
            "1800-01-01",
            "0001-01-01",
            "9999-12-31",
            "31/12/1999",
            "<script>x</script>",
            "' OR 1=1 --",
            "\x00",
            "💥",
            "HD10000",
            "W" * 10,
        ]
    ),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)


def form(fields: list[str]) -> st.SearchStrategy[dict[str, str]]:
    """Each field present with a weird value, or missing altogether."""
    return st.fixed_dictionaries({}, optional={name: weird_text for name in fields})


FORMS = {
    "/counter/scan": ["code"],
    "/counter/lines": ["product_id"],
    "/counter/age-check": ["method", "document_type", "day", "month", "year", "refuse"],
    "/counter/complete": ["tender", "idempotency_key"],
    "/counter/lines/1/quantity": ["quantity"],
    "/swaps/devices/1/assess": ["case"],
    "/swaps/devices/1/replace": ["case", "replacement", "fault_code", "note"],
    "/swaps/register": [
        "serial",
        "email",
        "name",
        "birth_date",
        "purchase_date",
        "product_id",
        "terms",
        "marketing",
    ],
    "/manager/settings": [
        "name",
        "timezone",
        "language",
        "legal_age",
        "challenge_age",
        "idle_lock_seconds",
        "claim_token_days",
        "refusal_retention_days",
        "contact_phone",
        "contact_email",
        "opening_hours",
    ],
    "/manager/staff": ["display_name", "username", "role", "password", "pin"],
    "/counter/sales/{sale}/register": ["email", "name", "birth_date", "terms", "marketing"],
    "/c/": ["code"],
    "/account/signup": ["email", "password", "name", "birth_date", "terms", "marketing"],
    "/account/signin/mobile": ["mobile"],
    "/account/signup/mobile": ["mobile", "name", "birth_date", "terms", "marketing"],
}


# The manager's pages read their day, range and store from the query string.
REPORTS = ["/manager/", "/manager/replacements.csv", "/manager/sales", "/manager/signals"]


@pytest.fixture
def signed_in(client: FlaskClient, auth: AuthActions, shop) -> FlaskClient:
    model = make.product("device")
    make.device(shop.store, model, serial="HD10000")
    make.device(shop.store, model, serial="HD10001")
    make.stock(shop.store, make.product("consumable"), 5)
    auth.sign_in("maja")
    # A finished sale, for the form that registers its customer at the counter.
    tablet = Counter(client)
    tablet.scan("HD10001")
    tablet.age_check(adult_birth_date(shop.store))
    assert tablet.complete().status_code == 204
    return client


def no_partial_writes() -> None:
    lines_per_sale = {line.sale_id for line in SaleLine.select(SaleLine.sale)}
    assert {s.id for s in Sale.select(Sale.id)} == lines_per_sale
    for swap in Swap.select():
        assert swap.old_device.status in ("replaced_out", "returned")


@pytest.mark.parametrize("url", sorted(FORMS))
def test_generated_input_never_breaks_a_form(signed_in: FlaskClient, url: str) -> None:
    token = csrf_from(signed_in.get("/").text)

    fields = FORMS[url]
    url = url.format(sale=Sale.get().id)

    @given(data=form(fields))
    def post(data: dict[str, str]) -> None:
        response = signed_in.post(
            url, data=data, headers={"X-CSRFToken": token, "HX-Request": "true"}
        )
        assert response.status_code < 500, (url, data, response.status_code)
        no_partial_writes()

    post()


@pytest.mark.parametrize("url", REPORTS)
def test_generated_query_strings_never_break_a_report(signed_in: FlaskClient, url: str) -> None:
    @given(args=form(["day", "from", "to", "store"]))
    def get(args: dict[str, str]) -> None:
        response = signed_in.get(url, query_string=args)
        assert response.status_code < 500, (url, args, response.status_code)

    get()
