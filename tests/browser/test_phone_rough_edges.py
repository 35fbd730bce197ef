"""The rough edges a new customer met on a 390x844 phone, each tried as they met it.

Each test here failed on the code before these pages were fixed (they use only what that code
had: the phone, the shop, the mailbox), so each is the edge itself, not a description of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk import clock
from kiosk.models import Customer, SaleLine
from kiosk.services import claims
from tests import factories as make
from tests.conftest import Mailbox

from .conftest import Console
from .test_swaps import sold

pytestmark = pytest.mark.browser

# Every link and control a thumb may need, as the phone lays it out: [what, text, height].
TAP_TARGETS = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary')]
  .map(e => { const r = e.getBoundingClientRect();
              return [e.tagName.toLowerCase() + (e.type ? '[' + e.type + ']' : ''),
                      (e.innerText || e.value || e.name || e.id || '').trim().slice(0, 50),
                      r.height]; })
  .filter(([, , h]) => h > 0)"""
THUMB = 44  # CSS pixels: the smallest target a thumb hits without a second try


def tap_targets_under(page: Page, minimum: float = THUMB) -> list[tuple[str, str, float]]:
    """The links and controls on the page shorter than ``minimum`` CSS pixels."""
    return [tuple(target) for target in page.evaluate(TAP_TARGETS) if target[2] < minimum]


def claim_code(shop: SimpleNamespace, serial: str = "HD40000") -> str:
    """A sale of one device, as the counter leaves it, and the code its receipt prints."""
    model = make.product("device", name="Heat Device One")
    unit = sold(shop.store, shop.erik, model, serial=serial, bought=clock.today_in("UTC"))
    sale = SaleLine.get(SaleLine.device == unit).sale
    return claims.format_code(claims.issue(sale, lifetime_days=30).code)


def sign_in(phone: Page, email: str, password: str = "customer password") -> None:
    phone.goto("/account/signin")
    phone.get_by_label("Email", exact=True).fill(email)
    phone.get_by_label("Password", exact=True).fill(password)
    phone.get_by_role("button", name="Sign in").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hello, "))


def test_too_many_codes_get_one_page_with_the_real_status_and_a_way_back(
    phone: Page, shop: SimpleNamespace, phone_console: Console
) -> None:
    phone_console.allow(404, 429)
    for n in range(30):
        assert phone.goto(f"/c/AAAA-{n:04d}").status == 404
    response = phone.goto("/c/AAAA-9999")

    assert response is not None and response.status == 429
    main = phone.get_by_role("main")
    expect(main.get_by_role("heading", level=1)).to_have_text("Too many attempts")
    expect(main).to_contain_text("429")
    expect(main).not_to_contain_text("503")  # the page says the status it has
    expect(main).not_to_contain_text("Try again in a moment")
    # The way back is the customer's, not the staff's sign-in screen.
    expect(main.get_by_role("link", name="Back to the start")).to_have_count(0)
    phone.get_by_role("link", name="Type a code from a receipt").tap()
    expect(phone).to_have_url(re.compile(r"/c/$"))
    expect(phone.get_by_role("heading", name="Register your device")).to_be_visible()
    phone.go_back()
    phone.get_by_role("link", name="Sign in").tap()
    expect(phone).to_have_url(re.compile(r"/account/signin"))
    expect(phone.get_by_role("heading", name="Sign in to your account")).to_be_visible()


def test_a_used_or_made_up_reset_link_says_so_when_opened(
    phone: Page,
    shop: SimpleNamespace,
    mailbox: Mailbox,
    public_base_url: str,
    phone_console: Console,
) -> None:
    phone_console.allow(400, 410)
    make.customer(email="forgetful@example.com")
    phone.goto("/account/forgot")
    phone.get_by_label("Email").fill("forgetful@example.com")
    phone.get_by_role("button", name="Send the link").tap()
    expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()
    link = mailbox.link_in(mailbox.last_to("forgetful@example.com"), "/account/reset/")
    phone.goto(link)
    phone.get_by_label("New password").fill("a brand new password")
    phone.get_by_role("button", name="Save the new password").tap()
    expect(phone.get_by_role("heading", name="Sign in to your account")).to_be_visible()

    for opened, says in ((link, "used already"), ("/account/reset/made-up.token", "not valid")):
        response = phone.goto(opened)
        assert response is not None and response.status in (400, 410)
        # Said at once: nothing to type a new password into first.
        expect(phone.get_by_role("main")).to_contain_text(says)
        expect(phone.get_by_label("New password")).to_have_count(0)
        phone.get_by_role("link", name="Ask for a new link").tap()
        expect(phone.get_by_role("heading", name="Forgot your password?")).to_be_visible()


def _sign_up(phone: Page, email: str) -> str:
    phone.goto("/account/signup")
    phone.get_by_label("Email", exact=True).fill(email)
    phone.get_by_label("Password (at least 10 characters)").fill("a long password")
    phone.get_by_label("Name", exact=True).fill("Alva Berg")
    phone.get_by_label("Date of birth").fill("1990-04-02")
    phone.get_by_role("checkbox", name="I accept the terms").tap()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Create account").tap()
    return phone.get_by_role("main").inner_text().replace(email, "EMAIL")


def test_sign_up_answers_a_known_email_as_a_new_one_and_mails_its_owner(
    phone: Page, shop: SimpleNamespace, mailbox: Mailbox
) -> None:
    make.customer(email="taken@example.com", name="Tove Taken")

    for_new = _sign_up(phone, "new@example.com")
    phone.context.clear_cookies()
    for_taken = _sign_up(phone, "taken@example.com")

    assert for_taken == for_new
    assert "exists already" not in for_taken
    mail = mailbox.last_to("taken@example.com")
    assert "tried to create an account" in mail.get_content()
    assert Customer.get(Customer.email == "taken@example.com").name == "Tove Taken"


def test_dead_ends_offer_the_way_on(
    phone: Page, shop: SimpleNamespace, phone_console: Console
) -> None:
    phone_console.allow(404)
    phone.goto("/c/ZZZZ-ZZZZ")
    expect(phone.get_by_role("heading", name="This code cannot be used")).to_be_visible()
    phone.get_by_role("link", name="Type a code from a receipt").tap()
    expect(phone).to_have_url(re.compile(r"/c/$"))

    make.customer(email="leaving@example.com")
    sign_in(phone, "leaving@example.com")
    phone.get_by_role("link", name="Delete my account").tap()
    phone.get_by_label("Type DELETE to confirm").fill("DELETE")
    phone.get_by_role("button", name="Delete my account now").tap()
    expect(phone.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    for name in ("Type a code from a receipt", "Sign in", "Create a new account"):
        expect(phone.get_by_role("link", name=name)).to_be_visible()
    phone.get_by_role("link", name="Sign in").tap()
    expect(phone.get_by_role("heading", name="Sign in to your account")).to_be_visible()


def test_the_claim_page_says_not_you_sign_out_before_registering(
    phone: Page, shop: SimpleNamespace, within_app: Flask
) -> None:
    code = claim_code(shop)
    make.customer(email="first.user@example.com")
    sign_in(phone, "first.user@example.com")
    phone.goto(f"/c/{code}")
    expect(phone.get_by_text("Signed in as first.user@example.com.")).to_be_visible()
    sign_out = phone.get_by_role("button", name="Not you? Sign out")
    register = phone.get_by_role("button", name="Register to my account")
    assert sign_out.bounding_box()["y"] < register.bounding_box()["y"]  # read before the tap

    sign_out.tap()

    expect(phone).to_have_url(re.compile(rf"/c/{code}$"))  # the same purchase, signed out
    expect(phone.get_by_text("Signed in as")).to_have_count(0)
    expect(phone.get_by_role("link", name="Create account")).to_be_visible()


def test_the_text_links_on_sign_up_and_sign_in_are_thumb_sized(
    phone: Page, shop: SimpleNamespace, phone_screenshot: Callable[[Page, str], Path]
) -> None:
    for path, links in (
        ("/account/signup", ["I have an account: sign in"]),
        ("/account/signin", ["Forgot your password?", "No account yet? Create one"]),
    ):
        phone.goto(path)
        for name in links:
            box = phone.get_by_role("link", name=name).bounding_box()
            assert box is not None and box["height"] >= THUMB, (path, name, box)
        assert tap_targets_under(phone) == [], path
    phone_screenshot(phone, "phone-signin")
