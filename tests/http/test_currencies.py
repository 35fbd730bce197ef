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


def test_all_stores_sales_add_up_the_stores_of_each_currency_day_by_day(
    app: Flask, shop, chain
) -> None:
    """Totals, refunds, refusals and the day rows, added up over the stores of a currency
    (two in Sweden) and never across currencies; the CSV has the same days."""
    from datetime import timedelta

    from kiosk.models import AgeCheck
    from tests.http.test_manager_actions import SimpleShop, _swap

    gothenburg = make.store(code="GOT1", name="Kiosk Göteborg", timezone="Europe/Stockholm")
    london = make.store(code="LON1", timezone="Europe/Stockholm", market=chain.britain)
    sellers = {s.id: make.staff(s) for s in (gothenburg, london)} | {shop.store.id: shop.erik}
    model = make.product("device", markets=[])
    make.product_price(model, chain.sweden, 49900, 2500)
    make.product_price(model, chain.britain, 3900, 2000)
    today = clock.today_in("Europe/Stockholm")
    yesterday = today - timedelta(days=1)
    for store, day in (
        (shop.store, yesterday),
        (shop.store, today),
        (gothenburg, today),
        (gothenburg, today),
        (london, yesterday),
    ):
        make.sold_unit(store, sellers[store.id], model, bought=day)
    _swap(SimpleShop(gothenburg, sellers[gothenburg.id]), model, outcome="money_back")
    for store, day, reason in (
        (shop.store, yesterday, "under_age"),
        (gothenburg, today, "under_age"),
        (london, today, "no_id"),
    ):
        AgeCheck.create(
            store=store,
            staff=sellers[store.id],
            method="document",
            document_type="passport",
            result="refused",
            refusal_reason=reason,
            required_age=18,
            created_at=clock.now_utc(),
            local_date=day,
        )
    root = office_for(app, "root")
    span = f"store=all&from={yesterday.isoformat()}&to={today.isoformat()}"

    page = root.client.get(f"/manager/sales?{span}").text.replace("\xa0", " ")

    gbp, sek = page.split("Stores selling in ")[1:3]
    assert gbp.startswith("GBP") and sek.startswith("SEK")

    def shown(section: str, testid: str) -> str:
        return re.search(rf'data-testid="{testid}">([^<]+)<', section).group(1)

    assert [shown(sek, t) for t in ("sales-count", "sales-revenue", "sales-net")] == [
        "4",
        "SEK1,996.00",
        "SEK1,497.00",
    ]
    assert shown(sek, "sales-refunds") == "−SEK499.00" and "1 refund<" in sek
    assert [shown(sek, t) for t in ("refusals-under-age", "refusals-no-id")] == ["2", "0"]
    assert [shown(gbp, t) for t in ("sales-count", "sales-revenue", "sales-net")] == [
        "1",
        "£39.00",
        "£39.00",
    ]
    assert [shown(gbp, t) for t in ("refusals-under-age", "refusals-no-id")] == ["0", "1"]
    rows = root.client.get(f"/manager/sales.csv?{span}").text.lstrip("\ufeff").splitlines()
    assert rows[1:] == [
        f"{yesterday.isoformat()},1,3900,0,3900,0,0,GBP",
        f"{today.isoformat()},0,0,0,0,0,1,GBP",
        f"{yesterday.isoformat()},1,49900,0,49900,1,0,SEK",
        f"{today.isoformat()},3,149700,49900,99800,1,0,SEK",
    ]
