"""Money in each store's market: receipts name the seller in the store's currency, the
admin's all-stores views keep currencies apart, and money back is paid in the sale's."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import clock
from tests import factories as make
from tests.conftest import AuthActions
from tests.http.test_backoffice import office_for, two_markets
from tests.http.test_counter import Counter, adult_birth_date


@pytest.fixture
def chain(shop) -> SimpleNamespace:  # noqa: ANN001
    return two_markets(shop)


def test_receipts_name_the_seller_and_use_the_stores_currency(
    client: FlaskClient, auth: AuthActions, shop, chain
) -> None:
    london = make.store(
        code="LON1",
        name="Kiosk London Soho",
        timezone="Europe/London",
        market=chain.britain,
        address="1 Old Compton Street\nLondon W1D 5JA",
        org_number="01234567",
        vat_number="GB123456789",
    )
    make.staff(london, username="olivia", pin="2222")
    model = make.product("device", name="Heat Device One", markets=[])
    make.product_price(model, chain.britain, 3900, 2000)
    make.device(london, model, serial="LONDON1")
    auth.sign_in("olivia")
    counter = Counter(client)
    counter.scan("LONDON1")
    counter.age_check(adult_birth_date(london))
    receipt_url = counter.complete().headers["HX-Redirect"]

    receipt = client.get(receipt_url).text

    assert "Kiosk London Soho" in receipt and "1 Old Compton Street" in receipt
    assert "Org. no. 01234567" in receipt
    assert 'data-testid="seller-vat-number">VAT no. GB123456789' in receipt
    assert "£39.00" in receipt and "of which VAT 20%" in receipt and "£6.50" in receipt
    assert "kr" not in receipt

    # Brought back within the 60 days: the swap receipt (a credit note) names the seller too.
    from kiosk.models import Device, Swap
    from tests.http.test_swaps import Desk

    unit = Device.get(Device.serial == "LONDON1")
    make.registration(london, make.customer(), unit)
    assert Desk(client).money_back(unit).status_code == 204
    credit = client.get(f"/swaps/{Swap.get().id}/receipt").text
    assert 'data-testid="seller-vat-number">VAT no. GB123456789' in credit
    assert "Org. no. 01234567" in credit and "1 Old Compton Street" in credit
    assert "£39.00" in credit and "of which VAT 20%" in credit and "£6.50" in credit


def test_the_admins_all_stores_sales_keep_each_currency_apart(
    app: Flask, client: FlaskClient, auth: AuthActions, shop, chain
) -> None:
    london = make.store(code="LON1", timezone="Europe/Stockholm", market=chain.britain)
    model = make.product("device", markets=[])
    make.product_price(model, chain.sweden, 49900, 2500)
    make.product_price(model, chain.britain, 3900, 2000)
    day = clock.today_in("Europe/Stockholm")
    make.sold_unit(shop.store, shop.erik, model, bought=day)
    make.sold_unit(london, make.staff(london), model, bought=day)
    root = office_for(app, "root")

    page = root.client.get(f"/manager/sales?store=all&day={day.isoformat()}").text

    assert "Stores selling in GBP" in page and "Stores selling in SEK" in page
    revenues = re.findall(r'data-testid="sales-revenue">([^<]+)<', page)
    assert [r.replace("\xa0", " ") for r in revenues] == ["£39.00", "SEK499.00"]
    assert "53,800" not in page and "538.00" not in page  # never 499 + 39 in one sum


def test_the_all_stores_replacements_csv_names_each_rows_currency(app: Flask, shop, chain) -> None:
    from tests.http.test_manager import DAY, add_swaps

    london = make.store(code="LON1", market=chain.britain)
    add_swaps(shop.store, shop.erik, [datetime(2026, 3, 10, 12, tzinfo=UTC)], [DAY])
    add_swaps(london, make.staff(london), [datetime(2026, 3, 10, 12, tzinfo=UTC)], [DAY])
    root = office_for(app, "root")

    rows = root.client.get(f"/manager/replacements.csv?store=all&day={DAY}").text.splitlines()

    assert rows[0].endswith(",refund_minor_units,returned_unit_state,currency")
    assert sorted(row.rsplit(",", 1)[1] for row in rows[1:]) == ["GBP", "SEK"]


def test_money_back_is_paid_only_in_a_store_of_the_currency_it_was_sold_in(
    client: FlaskClient, auth: AuthActions, shop, chain
) -> None:
    from kiosk.models import Device, Swap
    from tests.http.test_swaps import Desk

    london = make.store(code="LON1", market=chain.britain)
    make.staff(london, username="olivia", pin="2222")
    model = make.product("device")
    unit = make.sold_unit(shop.store, shop.erik, model, bought=clock.today_in("Europe/Stockholm"))
    make.registration(shop.store, make.customer(), unit)
    auth.sign_in("olivia")

    refused = Desk(client).money_back(Device.get_by_id(unit.id))

    assert refused.status_code == 409
    assert "sold in SEK: money back is paid in a store that takes SEK" in refused.text
    assert not Swap.select().exists()
    assert Device.get_by_id(unit.id).status == "sold"
