"""Both sides of the counter: the kiosk sells, the customer's phone claims, then comes back.

The kiosk is a tablet-sized browser context; the phone is a second context with its own
cookies, a 390x844 touch screen, and it reaches the app only through what the kiosk
showed it (the claim QR, decoded from the screen) and what the app mailed it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from kiosk import clock, policy
from kiosk.models import (
    ClaimToken,
    Customer,
    Device,
    Market,
    Registration,
    Sale,
    SaleLine,
    Store,
    Voucher,
)
from kiosk.services import claims
from tests import factories as make
from tests.conftest import Mailbox

from .conftest import ServerClock
from .test_counter import Tablet, _decode_qr, _years_before

pytestmark = pytest.mark.browser

# Stockholm is UTC+1 in March: the sale is at 23:58 on 10 March, the claim four minutes
# later, on 11 March. Purchase and registration dates differ, as they do in life.
SOLD_AT = datetime(2026, 3, 10, 22, 58, tzinfo=UTC)
CLAIMED_AT = SOLD_AT + timedelta(minutes=4)
EMAIL = "alva.berg@example.com"
PASSWORD = "a long password"
SERIALS = ("HD20260001", "HD20260002")


@pytest.fixture
def stock(shop: SimpleNamespace) -> SimpleNamespace:
    """An English store selling in euros: one device model with serials, and sticks."""
    Store.update(language="en").where(Store.id == shop.store.id).execute()
    Market.update(currency="EUR").where(Market.id == shop.store.market_id).execute()
    shop.store = Store.get_by_id(shop.store.id)
    model = make.product("device", sku="HD-ONE", name="Heat Device One", price=49900)
    sticks = make.product("consumable", sku="ST-AMB", name="Sticks Amber", price=6500)
    make.stock(shop.store, sticks, 50)
    units = [make.device(shop.store, model, serial=serial) for serial in SERIALS]
    return SimpleNamespace(model=model, sticks=sticks, units=units)


def _local_date(at: datetime, store: Store) -> date:
    return clock.today_in(store.timezone, at)


def _pass_age_check_and_pay_by_card(tablet: Tablet, today: date) -> None:
    page = tablet.page
    tablet.type_birth_date(_years_before(today, 30))
    tablet.check_age()
    expect(page.get_by_test_id("age-check-passed")).to_be_visible()
    tablet.tap(page.get_by_role("button", name="Paid by card"), "Paid by card")
    expect(page).to_have_url(re.compile(r"/counter/sales/\d+/receipt$"))


def _fact(device_card: Locator, term: str) -> Locator:
    """The value beside a term in the device card's facts list."""
    return device_card.locator(f"dt:text-is('{term}') + dd")


def _sign_up_on_phone(phone: Page) -> None:
    phone.get_by_label("Email", exact=True).fill(EMAIL)
    phone.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    phone.get_by_label("Name", exact=True).fill("Alva Berg")
    phone.get_by_label("Date of birth").fill("1990-04-02")
    terms = phone.get_by_role("checkbox", name="I accept the terms")
    offers = phone.get_by_role("checkbox", name="Send me offers by email (optional)")
    expect(terms).not_to_be_checked()
    expect(offers).not_to_be_checked()  # consent is opt-in, never pre-ticked
    terms.tap()
    expect(terms).to_be_checked()
    expect(offers).not_to_be_checked()


def test_customer_claims_the_sale_on_a_phone_and_staff_redeem_the_welcome_voucher(
    page: Page,
    phone: Page,
    shop: SimpleNamespace,
    stock: SimpleNamespace,
    mailbox: Mailbox,
    public_base_url: str,
    server_clock: ServerClock,
    phone_screenshot: Callable[[Page, str], Path],
) -> None:
    store = shop.store
    sale_day, claim_day = _local_date(SOLD_AT, store), _local_date(CLAIMED_AT, store)
    assert (sale_day, claim_day) == (date(2026, 3, 10), date(2026, 3, 11))
    server_clock.set(SOLD_AT)

    # The kiosk: a device, the age check on the keypad, card, then the QR turned to the customer.
    tablet = Tablet(page)
    tablet.open_counter()
    tablet.scan(SERIALS[0])
    expect(tablet.cart_line(f"Serial {SERIALS[0]}")).to_be_visible()
    _pass_age_check_and_pay_by_card(tablet, sale_day)
    sale = Sale.get()
    assert sale.local_date == sale_day
    tablet.tap(page.get_by_role("link", name="Show QR to customer"), "Show QR to customer")
    expect(
        page.get_by_role("heading", name="Scan with your phone to register your device")
    ).to_be_visible()
    expect(page.get_by_text("Waiting for the customer to scan…")).to_be_visible()
    claim_url = _decode_qr(page.get_by_test_id("claim-qr"))
    assert claim_url.startswith(f"{public_base_url}/c/"), claim_url

    # The phone, four minutes later and just past midnight: what was bought, nothing more.
    server_clock.set(CLAIMED_AT)
    phone.goto(claim_url)
    expect(phone.get_by_role("heading", name="Register your device")).to_be_visible()
    expect(
        phone.get_by_text(f"Bought at Kiosk Test City on {sale_day.isoformat()}:")
    ).to_be_visible()
    items = phone.get_by_test_id("claim-items").get_by_role("listitem")
    expect(items).to_have_text([f"Heat Device One {policy.mask_serial(SERIALS[0])}"])
    assert policy.mask_serial(SERIALS[0]) == "•••0001"
    expect(phone.get_by_text(SERIALS[0])).to_have_count(0)
    phone_screenshot(phone, "phone-claim")

    phone.get_by_role("link", name="Create account").tap()
    expect(phone.get_by_role("heading", name="Create account")).to_be_visible()
    _sign_up_on_phone(phone)
    phone_screenshot(phone, "phone-signup")
    phone.get_by_role("button", name="Create account").tap()
    expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(phone.get_by_text(f"We sent an email to {EMAIL}.")).to_be_visible()

    # The activation mail came over SMTP; its link signs the phone in and goes back to the
    # claim page, where one explicit confirmation registers the device.
    mail = mailbox.last_to(EMAIL)
    assert mail["Subject"] == "Activate your account"
    link = mailbox.link_in(mail, "/account/activate/")
    assert link.startswith(f"{public_base_url}/account/activate/")
    phone.goto(link)
    expect(phone).to_have_url(claim_url)
    expect(phone.get_by_role("status")).to_have_text(
        "Your account is active. Thank you: your benefits are active."
    )
    expect(phone.get_by_text(f"Signed in as {EMAIL}.")).to_be_visible()
    phone.get_by_role("button", name="Register to my account").tap()
    expect(phone.get_by_role("status").last).to_have_text(
        "1 device is now registered to your account."
    )
    voucher = Voucher.get()
    expect(phone.get_by_text(f"show voucher {voucher.code} at the counter")).to_be_visible()
    phone_screenshot(phone, "phone-claimed")

    # The kiosk's QR screen notices by polling, with the email masked.
    expect(page.get_by_test_id("claim-status")).to_have_text(
        "✓ Claimed by a***@example.com", timeout=8_000
    )
    # The same swap takes the QR and the code away: nobody else can scan it off the screen.
    expect(page.get_by_test_id("claim-qr")).to_have_count(0)
    expect(page.get_by_test_id("claim-code")).to_have_count(0)

    phone.get_by_role("link", name="See my devices").tap()

    # My devices: the dates follow the sale and the claim, the windows follow kiosk.policy.
    expect(phone.get_by_role("heading", name="Hello, Alva Berg")).to_be_visible()
    expect(phone.get_by_text("Open the link we emailed you")).to_have_count(0)
    card = phone.get_by_test_id("device")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", level=3)).to_have_text("Heat Device One •••0001")
    expect(_fact(card, "Purchase date")).to_have_text(sale_day.isoformat())
    expect(_fact(card, "Registration date")).to_have_text(claim_day.isoformat())
    warranty_until = policy.warranty_last_day(sale_day)
    assert warranty_until == date(2027, 3, 9)  # purchase + 12 months - 1 day
    expect(_fact(card, "Warranty until")).to_have_text(warranty_until.isoformat())
    expect(_fact(card, "Accident cover until")).to_have_text(
        policy.accident_cover_last_day(claim_day).isoformat()
    )
    expect(_fact(card, "Money back until")).to_have_text(
        policy.money_back_last_day(sale_day).isoformat()
    )
    expect(phone.get_by_test_id("voucher")).to_have_text(
        f"{voucher.code} · Free consumables pack · show it at the counter"
    )
    expect(phone.get_by_role("checkbox", name="Send me offers by email")).not_to_be_checked()
    phone_screenshot(phone, "phone-account")

    # The database agrees.
    alva = Customer.get(Customer.email == EMAIL)
    assert alva.activated_at is not None
    assert alva.marketing_consent is False
    assert alva.terms_accepted_at is not None
    chain = Registration.get()
    assert (
        chain.customer_id,
        chain.store_id,
        chain.purchase_date,
        chain.registration_date,
        chain.source,
        chain.registered_by_id,
        chain.ended_at,
    ) == (alva.id, store.id, sale_day, claim_day, "claim", None, None)
    assert Device.get(Device.serial == SERIALS[0]).registration_id == chain.id
    token = ClaimToken.get(ClaimToken.sale == sale)
    assert token.claimed_by_id == alva.id
    assert token.claimed_at == CLAIMED_AT
    assert token.token_hash == claims.digest(urlsplit(claim_url).path.rsplit("/", 1)[1])
    assert Sale.get_by_id(sale.id).customer_id == alva.id
    assert (voucher.customer_id, voucher.kind, voucher.registration_id, voucher.redeemed_at) == (
        alva.id,
        "welcome",
        chain.id,
        None,
    )

    # The customer comes back: staff scan the voucher code into a new sale.
    tablet.tap(page.get_by_role("link", name="New sale"), "New sale")
    expect(page.get_by_text("The cart is empty. Scan a serial or tap a product.")).to_be_visible()
    tablet.scan(voucher.code)
    expect(page.get_by_role("status")).to_have_text(
        f"Voucher {voucher.code}: one free consumables pack."
    )
    expect(tablet.cart_line(f"Voucher {voucher.code}")).to_contain_text("Sticks Amber")
    expect(page.get_by_test_id("cart-total")).to_have_text("€0.00")
    _pass_age_check_and_pay_by_card(tablet, claim_day)
    receipt_rows = page.get_by_role("table").get_by_role("row")
    expect(receipt_rows.filter(has_text="Sticks Amber")).to_have_text(
        re.compile(r"Sticks Amber\s+€0\.00")
    )
    expect(page.get_by_test_id("receipt-total")).to_have_text("€0.00")
    expect(page.get_by_test_id("claim-qr")).to_have_count(0)  # no device, nothing to claim

    free = SaleLine.get(SaleLine.voucher == voucher)
    assert (free.kind, free.product_id, free.quantity, free.line_total) == (
        "voucher",
        stock.sticks.id,
        1,
        0,
    )
    assert free.sale_id != sale.id and Sale.get_by_id(free.sale_id).total == 0
    assert Voucher.get_by_id(voucher.id).redeemed_at == CLAIMED_AT


def test_kiosk_scans_the_account_qr_on_the_phone_and_the_device_is_registered_at_once(
    page: Page,
    phone: Page,
    shop: SimpleNamespace,
    stock: SimpleNamespace,
    phone_screenshot: Callable[[Page, str], Path],
) -> None:
    # As sign-up makes it: a 16-hex-digit session version, so the payload is 84+ characters
    # and the scan field must take all of it, as a USB scanner types it.
    member = make.customer(
        email="member@example.com", name="Mika Member", session_version=secrets.token_hex(8)
    )
    today = clock.today_in(shop.store.timezone)

    # The phone: signed in, "Show my account QR".
    phone.goto("/account/signin")
    phone.get_by_label("Email", exact=True).fill("member@example.com")
    phone.get_by_label("Password", exact=True).fill("customer password")
    phone.get_by_role("button", name="Sign in").tap()
    expect(phone.get_by_role("heading", name="Hello, Mika Member")).to_be_visible()
    phone.get_by_role("link", name="Show my account QR").tap()
    expect(phone.get_by_role("heading", name="Show this at the counter")).to_be_visible()
    account_qr = phone.get_by_role("img", name="Your account QR code")
    expect(account_qr).to_be_in_viewport(ratio=1)
    phone_screenshot(phone, "phone-account-qr")
    payload = _decode_qr(account_qr)
    assert payload.startswith("KIOSK-ACCOUNT:")
    assert "member" not in payload.lower()  # nothing personal in the code

    # The kiosk: the scanner types the payload and Enter, then a device, age check, card.
    tablet = Tablet(page)
    tablet.open_counter()
    tablet.scan(payload)
    linked = page.get_by_test_id("linked-customer")
    alert = page.get_by_role("alert")
    expect(linked.or_(alert)).to_be_visible()  # the scan's answer, whichever it is
    assert not alert.count(), alert.all_inner_texts()
    expect(linked).to_have_text("For m***@example.com")
    tablet.scan(SERIALS[1])
    expect(tablet.cart_line(f"Serial {SERIALS[1]}")).to_be_visible()
    expect(page.get_by_test_id("linked-customer")).to_have_text("For m***@example.com")
    _pass_age_check_and_pay_by_card(tablet, today)
    expect(page.get_by_role("table").get_by_text(f"Serial {SERIALS[1]}")).to_be_visible()
    expect(page.get_by_test_id("claim-qr")).to_have_count(0)  # registered already
    expect(page.get_by_role("link", name="Show QR to customer")).to_have_count(0)

    sale = Sale.get()
    assert sale.customer_id == member.id
    chain = Registration.get(Registration.customer == member)
    assert (
        chain.source,
        chain.registered_by_id,
        chain.purchase_date,
        chain.registration_date,
    ) == ("counter", shop.erik.id, sale.local_date, today)
    assert Device.get(Device.serial == SERIALS[1]).registration_id == chain.id
    assert Voucher.select().where(Voucher.customer == member).count() == 1

    # The phone's account shows the device at once.
    phone.get_by_role("link", name="Back").tap()
    card = phone.get_by_test_id("device")
    expect(card.get_by_role("heading", level=3)).to_have_text("Heat Device One •••0002")
    expect(_fact(card, "Registration date")).to_have_text(today.isoformat())
