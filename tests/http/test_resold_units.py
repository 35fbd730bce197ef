"""A sealed money-back unit goes back on the shelf and is sold again: from then on its new
buyer's receipt adds it, and the first buyer's receipt (number, code or QR) no longer can."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from kiosk.extensions import db
from kiosk.models import Device, Registration, Sale
from kiosk.services import swaps as swap_desk
from kiosk.services.integrity import run_checks
from tests import factories as make
from tests.conftest import MIGRATIONS, AuthActions, csrf_from
from tests.http.test_account_details import post, signed_in
from tests.http.test_counter import Counter, adult_birth_date
from tests.http.test_customers import sold  # noqa: F401 - a fixture


def test_the_first_buyers_receipt_no_longer_adds_a_unit_sold_again(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    shop,
    sold,  # noqa: F811
) -> None:
    ann = make.customer(email="ann@example.com")
    ann_phone = signed_in(app, ann)
    first_sale = sold.sale
    added = post(
        ann_phone, "/account/devices/add", serial="HDX200000", reference=str(first_sale.id)
    )
    assert added.status_code == 302
    unit = Device.get(Device.serial == "HDX200000")
    with app.test_request_context():
        swap_desk.money_back(shop.store, shop.erik, unit.id, unit_state="sealed")
    assert Device.get_by_id(unit.id).status == "in_stock"

    # Back on the shelf, sold again to someone who has not registered it yet.
    auth.sign_in("sara")
    tablet = Counter(client)
    tablet.scan("HDX200000")
    tablet.age_check(adult_birth_date(shop.store))
    assert tablet.complete().status_code == 204
    second_sale = Sale.select().order_by(Sale.id.desc()).first()
    assert second_sale.id != first_sale.id

    # Ann's old receipt number and her old receipt's code leave the unit alone.
    by_number = post(
        ann_phone, "/account/devices/add", serial="HDX200000", reference=str(first_sale.id)
    )
    assert by_number.status_code == 404 and 'id="reference-error"' in by_number.text
    page = ann_phone.get(f"/c/{sold.code}")
    claimed = ann_phone.post(f"/c/{sold.code}/claim", data={"csrf_token": csrf_from(page.text)})
    assert claimed.status_code == 200
    assert (
        Device.get_by_id(unit.id).registration_id
        == Registration.get(Registration.customer == ann).id
    )  # still the chain her money back ended, not a new one
    assert (
        Registration.select()
        .where((Registration.customer == ann) & Registration.ended_at.is_null())
        .count()
        == 1
    )  # the receipt's other device, which she still has

    # The new buyer's receipt number adds it, dated by the second sale.
    bob = make.customer(email="bob@example.com")
    bob_phone = signed_in(app, bob, "10.9.0.2")
    mine = post(
        bob_phone, "/account/devices/add", serial="HDX200000", reference=str(second_sale.id)
    )
    assert mine.status_code == 302
    chain = Registration.get_by_id(Device.get_by_id(unit.id).registration_id)
    assert (chain.customer_id, chain.purchase_date) == (bob.id, second_sale.local_date)
    assert_check_holds()


def assert_check_holds() -> None:
    """`flask --app kiosk check` finds every invariant holding (a unit's life among them)."""
    report = run_checks(db.obj, MIGRATIONS)
    assert report.ok, [(f.name, f.rows) for f in report.broken]
