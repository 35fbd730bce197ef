"""The customer's account as the maker's FAQ describes it, on a 390x844 phone.

Sign-in with a mobile number and a one-time code (read from the development outbox, and once
from a real HTTP server playing the SMS provider), a password chosen later, My details with
addresses, "Add device" under My devices, and every link and control a thumb's size.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk import clock, policy
from kiosk.models import Address, Customer, OneTimeCode, Registration, SaleLine, Voucher
from kiosk.services import claims
from tests import factories as make
from tests.conftest import Mailbox
from tests.sms import Gateway, SmsOutbox

from .conftest import Console
from .test_phone_rough_edges import THUMB, sign_in, tap_targets_under
from .test_swaps import sold

pytestmark = pytest.mark.browser

MONA = "+46701740605"  # Sweden keeps 070-174 06 05 to 070-174 06 99 for fiction
MONA_TYPED = "070-174 06 05"
EMAIL = "mona.mobil@example.com"
PASSWORD = "mona's own password"


def _fact(card, term: str):  # noqa: ANN001, ANN202
    return card.locator(f"dt:text-is('{term}') + dd")


def sign_up_with_mobile(phone: Page) -> None:
    phone.goto("/account/signup")
    phone.get_by_role("link", name="Create it with my mobile number instead").tap()
    expect(
        phone.get_by_role("heading", name="Create account with your mobile number")
    ).to_be_visible()
    phone.get_by_label("Mobile number").fill(MONA_TYPED)
    phone.get_by_label("Name", exact=True).fill("Mona Mobil")
    phone.get_by_label("Date of birth").fill("1991-05-06")
    phone.get_by_role("checkbox", name="I accept the terms").tap()
    phone.get_by_role("button", name="Send me a code").tap()
    expect(phone.get_by_role("heading", name="Type the code")).to_be_visible()
    expect(phone.get_by_test_id("code-sent-to")).to_contain_text("+46 70 174 06 05")


def type_code(phone: Page, code: str, button: str) -> None:
    phone.get_by_label("Code from the SMS").fill(code)
    phone.get_by_role("button", name=button).tap()


def sign_out(phone: Page) -> None:
    phone.goto("/account/")
    phone.get_by_role("button", name="Sign out").tap()
    expect(phone.get_by_role("heading", name="Sign in to your account")).to_be_visible()


def test_sign_up_with_a_mobile_number_then_sign_in_by_code_then_by_email_and_password(
    phone: Page,
    shop: SimpleNamespace,
    sms_outbox: SmsOutbox,
    mailbox: Mailbox,
    public_base_url: str,
    phone_screenshot: Callable[[Page, str], Path],
) -> None:
    sign_up_with_mobile(phone)
    assert not Customer.select().exists()  # nothing before the number is proved
    phone_screenshot(phone, "phone-code")
    type_code(phone, sms_outbox.code_for(MONA), "Create account")

    expect(phone.get_by_role("heading", name="Hello, Mona Mobil")).to_be_visible()
    expect(phone.get_by_test_id("no-password")).to_contain_text("You have never set a password.")
    mona = Customer.get()
    assert (mona.email, mona.mobile, mona.password_hash) == (None, MONA, None)
    assert mona.birth_date == date(1991, 5, 6) and mona.activated_at is not None
    phone_screenshot(phone, "phone-account-mobile-only")

    # Signed out, back in with the number and a new code.
    sign_out(phone)
    phone.get_by_role("link", name="Sign in with my mobile number").tap()
    phone.get_by_label("Mobile number").fill("0046 70 174 06 05")  # another way to write it
    phone.get_by_role("button", name="Send me a code").tap()
    expect(phone.get_by_role("heading", name="Type the code")).to_be_visible()
    type_code(phone, sms_outbox.code_for(MONA), "Sign in")
    expect(phone.get_by_role("heading", name="Hello, Mona Mobil")).to_be_visible()
    assert OneTimeCode.select().where(OneTimeCode.used_at.is_null(False)).count() == 2

    # "If you have never set a password, you will be asked to set a new one."
    phone.get_by_role("link", name="Choose a password").tap()
    expect(phone.get_by_role("heading", name="Choose a password")).to_be_visible()
    expect(phone.get_by_label("Current password")).to_have_count(0)
    phone.get_by_label("New password (at least 10 characters)").fill(PASSWORD)
    phone.get_by_role("button", name="Save the password").tap()
    expect(phone.get_by_role("status")).to_have_text("Your password is set.")
    expect(phone.get_by_test_id("no-password")).to_have_count(0)

    # An email to sign in with, confirmed from the mail.
    phone.get_by_role("link", name="Add email").tap()
    expect(phone.get_by_role("heading", name="Add email")).to_be_visible()
    phone.get_by_label("New email").fill(EMAIL)
    phone.get_by_role("button", name="Send the link").tap()
    expect(phone.get_by_role("status")).to_have_text(
        "Open the link we sent to the new email to confirm it."
    )
    phone.goto(mailbox.link_in(mailbox.last_to(EMAIL), "/account/email/confirm/"))
    expect(phone.get_by_role("heading", name="Your email is changed")).to_be_visible()

    sign_out(phone)
    phone.get_by_label("Email", exact=True).fill(EMAIL)
    phone.get_by_label("Password", exact=True).fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").tap()
    expect(phone.get_by_role("heading", name="Hello, Mona Mobil")).to_be_visible()
    mona = Customer.get()
    assert (mona.email, mona.mobile) == (EMAIL, MONA) and mona.password_hash


def test_the_sign_up_code_comes_through_the_sms_gateway(
    phone: Page, shop: SimpleNamespace, sms_gateway: Gateway
) -> None:
    sign_up_with_mobile(phone)
    got = sms_gateway.last_to(MONA)
    assert got.form["from"] == "KioskTest" and got.headers["Authorization"].startswith("Basic ")
    type_code(phone, sms_gateway.code_for(MONA), "Create account")
    expect(phone.get_by_role("heading", name="Hello, Mona Mobil")).to_be_visible()
    assert Customer.get().mobile == MONA


def test_five_wrong_codes_void_the_code(
    phone: Page, shop: SimpleNamespace, sms_outbox: SmsOutbox, phone_console: Console
) -> None:
    phone_console.allow(410, 422)
    make.customer(email="mona@example.com", name="Mona Mobil", mobile=MONA)
    phone.goto("/account/signin/mobile")
    phone.get_by_label("Mobile number").fill(MONA_TYPED)
    phone.get_by_role("button", name="Send me a code").tap()
    expect(phone.get_by_role("heading", name="Type the code")).to_be_visible()
    right = sms_outbox.code_for(MONA)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    error = phone.locator("#code-error")
    for left in (4, 3, 2, 1):
        type_code(phone, wrong, "Sign in")
        expect(error).to_have_text(re.compile(rf"not right\. {left} tr(y|ies) left"))
    type_code(phone, wrong, "Sign in")
    expect(error).to_contain_text("that was the last try")

    type_code(phone, right, "Sign in")  # the right code, too late

    expect(error).to_have_text("This code can no longer be used. Ask for a new one.")
    expect(phone.get_by_label("Code from the SMS")).to_be_focused()  # the message is at the field
    assert OneTimeCode.get().attempts == 5 and OneTimeCode.get().used_at is None
    # A new code works.
    phone.get_by_role("button", name="Send a new code").tap()
    expect(phone.get_by_role("status")).to_have_text("A new code is on its way.")
    type_code(phone, sms_outbox.code_for(MONA), "Sign in")
    expect(phone.get_by_role("heading", name="Hello, Mona Mobil")).to_be_visible()


def test_add_a_device_by_serial_and_receipt_code_and_see_its_dates(
    phone: Page,
    shop: SimpleNamespace,
    phone_screenshot: Callable[[Page, str], Path],
    within_app: Flask,
) -> None:
    bought = clock.today_in(shop.store.timezone)
    model = make.product("device", name="Heat Device One")
    unit = sold(shop.store, shop.erik, model, serial="HD50001", bought=bought)
    sale = SaleLine.get(SaleLine.device == unit).sale
    code = claims.format_code(claims.issue(sale, lifetime_days=30).code)
    alva = make.customer(email="alva@example.com", name="Alva Berg")
    sign_in(phone, "alva@example.com")
    expect(phone.get_by_test_id("device")).to_have_count(0)

    phone.get_by_role("link", name="Add device").tap()
    expect(phone.get_by_role("heading", name="Add device")).to_be_visible()
    phone.get_by_label("Serial number (under the box and on the receipt)").fill("hd-50001")
    phone.get_by_label("The 8-character code on the receipt, or its receipt number").fill(
        code.lower()
    )
    phone_screenshot(phone, "phone-add-device")
    phone.get_by_role("button", name="Add device").tap()

    expect(phone.locator(".flash")).to_have_text("The device is added to your devices.")
    card = phone.get_by_test_id("device")
    expect(card.get_by_role("heading", level=3)).to_have_text(
        f"Heat Device One {policy.mask_serial('HD50001')}"
    )
    expect(_fact(card, "Purchase date")).to_have_text(bought.isoformat())
    expect(_fact(card, "Registration date")).to_have_text(bought.isoformat())
    expect(_fact(card, "Warranty until")).to_have_text(policy.warranty_last_day(bought).isoformat())
    expect(_fact(card, "Money back until")).to_have_text(
        policy.money_back_last_day(bought).isoformat()
    )
    expect(phone.get_by_test_id("voucher")).to_have_count(1)  # the first-ever registration
    chain = Registration.get()
    assert (chain.customer_id, chain.source, chain.purchase_date) == (alva.id, "account", bought)
    assert Voucher.get().customer_id == alva.id
    phone_screenshot(phone, "phone-account-device-added")


def test_edit_an_address(
    phone: Page,
    shop: SimpleNamespace,
    phone_console: Console,
    phone_screenshot: Callable[[Page, str], Path],
) -> None:
    phone_console.allow(422)  # the empty street, answered at the field
    alva = make.customer(email="alva@example.com", name="Alva Berg")
    home = make.address(alva, street="Drottninggatan 1", is_default=True)
    sign_in(phone, "alva@example.com")
    phone.get_by_role("link", name="My details").tap()
    expect(phone.get_by_role("heading", name="My details")).to_be_visible()
    expect(phone.get_by_test_id("address")).to_contain_text("Drottninggatan 1")
    phone.get_by_role("link", name="Edit the address Drottninggatan 1").tap()
    expect(phone.get_by_role("heading", name="Edit address")).to_be_visible()
    expect(phone.get_by_label("Country")).to_have_value("SE")

    phone.get_by_label("Street and number").fill("")
    phone.get_by_role("button", name="Save the address").tap()
    expect(phone.locator("#street-error")).to_have_text("Type the street and number.")
    assert Address.get_by_id(home.id).street == "Drottninggatan 1"

    phone.get_by_label("Street and number").fill("Götgatan 22")
    phone.get_by_label("c/o, floor, door code (optional)").fill("3 tr, port 1234")
    phone.get_by_label("City").fill("Stockholm")
    phone.get_by_role("button", name="Save the address").tap()

    expect(phone.get_by_role("status")).to_have_text("The address is saved.")
    expect(phone.get_by_test_id("address")).to_contain_text("Götgatan 22")
    expect(phone.get_by_test_id("address")).to_contain_text("3 tr, port 1234")
    expect(phone.get_by_test_id("address")).to_contain_text("Default")
    saved = Address.get_by_id(home.id)
    assert (saved.street, saved.extra, saved.is_default) == ("Götgatan 22", "3 tr, port 1234", True)
    phone_screenshot(phone, "phone-details")


def _phone_pages(phone: Page, shop: SimpleNamespace, outbox: SmsOutbox) -> list[str]:
    """Every phone page, visited as a customer reaches it; measured on the way."""
    model = make.product("device", name="Heat Device One")
    unit = sold(shop.store, shop.erik, model, serial="HD60001", bought=clock.today_in("UTC"))
    code = claims.format_code(
        claims.issue(SaleLine.get(SaleLine.device == unit).sale, lifetime_days=30).code
    )
    alva = make.customer(email="alva@example.com", name="Alva Berg")
    address = make.address(alva, is_default=True)
    visitor = [
        "/c/",
        f"/c/{code}",
        "/c/ZZZZ-ZZZZ",
        "/account/signup",
        "/account/signup/mobile",
        "/account/signin",
        "/account/signin/mobile",
        "/account/forgot",
        "/account/activation",
        "/account/reset/made-up.token",
        "/account/help",
    ]
    member = [
        "/account/",
        "/account/qr",
        f"/c/{code}",
        "/account/details",
        "/account/details/addresses/new",
        f"/account/details/addresses/{address.id}",
        "/account/devices/add",
        "/account/password",
        "/account/email",
        "/account/mobile",
        "/account/delete",
        "/account/help",
    ]
    too_small: dict[str, list] = {}
    seen = []

    def measure(path: str) -> None:
        phone.wait_for_load_state("load")  # the stylesheet applied, as the person sees it
        seen.append(path)
        small = tap_targets_under(phone)
        if small:
            too_small[path] = small

    for path in visitor:
        phone.goto(path)
        measure(path)
    phone.goto("/account/signin/mobile")  # the code page, as a number reaches it
    phone.get_by_label("Mobile number").fill(MONA_TYPED)
    phone.get_by_role("button", name="Send me a code").tap()
    expect(phone.get_by_role("heading", name="Type the code")).to_be_visible()
    measure("/account/code")
    sign_in(phone, "alva@example.com")
    for path in member:
        phone.goto(path)
        measure(path)
    phone.goto(f"/c/{code}")
    phone.get_by_role("button", name="Register to my account").tap()
    expect(phone.get_by_role("heading", name="Registered")).to_be_visible()
    measure("claimed")
    for n in range(31):  # the rate-limit page, last
        phone.goto(f"/c/AAAA-{n:04d}")
    measure("too many attempts")
    assert too_small == {}, too_small
    return seen


def test_every_link_and_control_on_the_phone_pages_is_at_least_44px_tall(
    phone: Page,
    shop: SimpleNamespace,
    sms_outbox: SmsOutbox,
    phone_console: Console,
    within_app: Flask,
) -> None:
    phone_console.allow(400, 404, 429)
    seen = _phone_pages(phone, shop, sms_outbox)
    assert len(seen) == 26
    assert phone.viewport_size == {"width": 390, "height": 844} and THUMB == 44
