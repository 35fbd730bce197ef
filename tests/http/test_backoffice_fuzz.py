"""Generated bad input at every back-office form and as catalog files: never a 500, and the
catalog never left half-written. `make soak` runs them with many more examples."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from kiosk.models import CatalogImport, Market, Product, ProductPrice, Store
from kiosk.services.stores import STORE_FIELDS
from tests import factories as make
from tests.conftest import AuthActions, csrf_from
from tests.http.test_fuzz import form, weird_text

FORMS = {
    "/admin/markets": ["code", "name", "currency", "vat_rates"],
    "/admin/markets/{market}": ["code", "name", "currency", "vat_rates"],
    "/admin/stores/new": list(STORE_FIELDS),
    "/admin/stores/{store}/staff": ["display_name", "username", "role", "password", "pin"],
    "/admin/catalog/new": [
        "sku",
        "kind",
        "name",
        "name_sv",
        "age_restricted",
        "min_age",
        "serial_pattern",
        "try_serial",
        "active",
        "successor_sku",
        "price_SE",
        "vat_SE",
    ],
    "/admin/catalog/{product}": ["kind", "name", "min_age", "serial_pattern", "price_SE", "vat_SE"],
    "/admin/catalog/import/{upload}": ["sha256", "plan"],
}


@pytest.fixture
def admin(client: FlaskClient, auth: AuthActions, shop) -> FlaskClient:
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    make.product("device", sku="DEV-ONE")
    auth.sign_in("root")
    return client


def whole_catalog() -> None:
    """Every price carries one of its market's VAT rates; every store has its market."""
    rates = {m.id: set(m.rates) for m in Market.select()}
    for price in ProductPrice.select():
        assert price.vat_rate in rates[price.market_id], price.__data__
    assert all(s.market_id in rates for s in Store.select())
    assert Product.select().count() >= 1


@pytest.mark.parametrize("url", sorted(FORMS))
def test_generated_input_never_breaks_a_back_office_form(
    admin: FlaskClient, shop, url: str
) -> None:
    token = csrf_from(admin.get("/admin/markets").text)
    fields = FORMS[url]
    url = url.format(
        market=shop.store.market_id,
        store=shop.store.id,
        product=Product.get().id,
        upload=CatalogImport.select().count() + 1,
    )

    @given(data=form(fields))
    def post(data: dict[str, str]) -> None:
        response = admin.post(url, data=data, headers={"X-CSRFToken": token})
        assert response.status_code < 500, (url, data, response.status_code)
        whole_catalog()

    post()


catalog_file = st.one_of(
    st.binary(max_size=400),
    st.lists(
        st.lists(weird_text, min_size=1, max_size=6).map(",".join), min_size=1, max_size=6
    ).map(lambda rows: ("sku,kind,name,price_SE,vat_SE\n" + "\n".join(rows)).encode()),
)


def test_generated_catalog_files_never_break_the_import(admin: FlaskClient) -> None:
    token = csrf_from(admin.get("/admin/catalog/import").text)

    @given(content=catalog_file)
    def upload(content: bytes) -> None:
        response = admin.post(
            "/admin/catalog/import",
            data={"csrf_token": token, "file": (io.BytesIO(content), "x.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code < 500, (content, response.status_code)
        assert Product.select().count() == 1  # a preview writes nothing
        whole_catalog()

    upload()
