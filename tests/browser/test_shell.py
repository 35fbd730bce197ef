"""The kiosk shell in a browser: opening the tablet, PIN switching, lockout, idle lock, roles."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from kiosk import clock
from kiosk.models import AuditEvent, Staff, Store

from .conftest import Console

pytestmark = pytest.mark.browser

DOORS = ("Sell", "Swap")


def _events(action: str, staff: Staff | None = None) -> list[AuditEvent]:
    query = AuditEvent.select().where(AuditEvent.action == action)
    if staff is not None:
        query = query.where(AuditEvent.staff == staff)
    return list(query.order_by(AuditEvent.id))


def _door(page: Page, title: str):  # noqa: ANN202
    return page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile(rf"^{re.escape(title)}\b")
    )


def open_tablet(page: Page, username: str, path: str = "/signin") -> None:
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse")
    page.get_by_role("button", name="Sign in").click()


def lock(page: Page) -> None:
    page.get_by_role("banner").get_by_role("button", name="Lock").click()
    expect(page.get_by_role("heading", name="Who is at the counter?")).to_be_visible()


def type_pin(page: Page, pin: str) -> None:
    # The keypad works once kiosk.js has run (a deferred script): taps before that are lost.
    page.wait_for_load_state("domcontentloaded")
    keypad = page.get_by_role("group", name="Keypad")
    for digit in pin:
        keypad.get_by_role("button", name=digit, exact=True).click()
    expect(page.get_by_label("PIN")).to_have_value(pin)
    page.get_by_role("button", name="Unlock").click()


def unlock(page: Page, name: str, pin: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_label("PIN")).to_be_visible()
    type_pin(page, pin)


def signed_in_as(page: Page, name: str) -> None:
    expect(page.get_by_role("banner").get_by_test_id("signed-in-as")).to_contain_text(name)


def test_staff_opens_the_tablet_and_a_colleague_switches_in_by_pin(
    page: Page, shop: SimpleNamespace, screenshot
) -> None:
    page.goto("/signin")
    expect(page.get_by_role("heading", name="Open the kiosk")).to_be_visible()
    screenshot(page, "signin")
    open_tablet(page, "erik")

    expect(page).to_have_url(re.compile(r"/$"))
    for title in DOORS:
        expect(_door(page, title)).to_be_visible()
    expect(_door(page, "Reports")).to_have_count(0)
    signed_in_as(page, "Erik")
    screenshot(page, "home-staff")

    lock(page)
    people = page.get_by_role("list").get_by_role("link")
    expect(people).to_have_count(3)
    for i, name in enumerate(["Erik", "Maja", "Sara"]):  # by name, as the tiles are read out
        expect(people.nth(i)).to_have_accessible_name(name)
    expect(page.get_by_role("banner")).to_have_count(0)  # nobody is signed in on this screen
    screenshot(page, "pin-list")

    page.get_by_role("link", name="Sara", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/pin/{shop.sara.id}$"))
    expect(page.get_by_label("PIN")).to_be_focused()
    page.wait_for_load_state("domcontentloaded")
    keypad = page.get_by_role("group", name="Keypad")
    for digit in "3339":
        keypad.get_by_role("button", name=digit, exact=True).click()
    keypad.get_by_role("button", name="Delete last digit").click()
    keypad.get_by_role("button", name="3", exact=True).click()
    expect(page.get_by_label("PIN")).to_have_value("3333")
    screenshot(page, "pin-entry")
    page.get_by_role("button", name="Unlock").click()

    expect(page).to_have_url(re.compile(r"/$"))
    signed_in_as(page, "Sara")
    expect(_door(page, "Sell")).to_be_visible()

    assert [e.details for e in _events("staff.signed_in", shop.erik)] == [
        json.dumps({"method": "password"})
    ]
    assert [json.loads(e.details)["reason"] for e in _events("staff.signed_out", shop.erik)] == [
        "lock"
    ]
    assert [e.details for e in _events("staff.signed_in", shop.sara)] == [
        json.dumps({"method": "pin"})
    ]
    assert Staff.get_by_id(shop.sara.id).failed_pin_attempts == 0


def test_five_wrong_pins_lock_that_person_out_but_not_their_colleagues(
    page: Page, shop: SimpleNamespace, console: Console, screenshot
) -> None:
    console.allow(401, 423)  # the answers to a wrong PIN and to a locked person
    open_tablet(page, "maja")
    lock(page)

    page.get_by_role("link", name="Erik", exact=True).click()
    pin_error = page.get_by_role("alert")
    for tries_left in (4, 3, 2, 1):
        type_pin(page, "9999")
        expected = f"Wrong PIN. {tries_left} {'try' if tries_left == 1 else 'tries'} left"
        expect(pin_error).to_contain_text(expected)
        expect(page.get_by_label("PIN")).to_have_value("")
    assert Staff.get_by_id(shop.erik.id).failed_pin_attempts == 4

    type_pin(page, "9999")
    expect(pin_error).to_have_text("Locked after too many wrong PINs. Try again in 5 minutes.")
    screenshot(page, "pin-locked")

    erik = Staff.get_by_id(shop.erik.id)
    assert erik.pin_locked_until is not None
    ahead = erik.pin_locked_until - clock.now_utc()
    assert timedelta(minutes=4, seconds=30) < ahead <= timedelta(minutes=5)
    assert len(_events("staff.pin_locked", shop.erik)) == 1

    type_pin(page, "2222")
    expect(pin_error).to_contain_text("Locked after too many wrong PINs.")
    expect(page.get_by_role("banner")).to_have_count(0)
    assert _events("staff.signed_in", shop.erik) == []
    assert Staff.get_by_id(shop.erik.id).pin_locked_until == erik.pin_locked_until

    page.get_by_role("link", name="Not you? Back to the list").click()
    unlock(page, "Sara", "3333")
    signed_in_as(page, "Sara")
    assert len(_events("staff.signed_in", shop.sara)) == 1
    assert Staff.get_by_id(shop.sara.id).pin_locked_until is None


def test_idle_kiosk_warns_then_locks_and_the_person_resumes_where_they_were(
    page: Page, shop: SimpleNamespace, screenshot
) -> None:
    Store.update(idle_lock_seconds=30).where(Store.id == shop.store.id).execute()
    work = "/manager/?day=2026-01-02"
    open_tablet(page, "maja")
    expect(_door(page, "Reports")).to_be_visible()
    screenshot(page, "home-manager")
    page.goto(work)
    loaded = time.monotonic()
    expect(page.get_by_role("heading", name="Replacements on 2026-01-02")).to_be_visible()
    screenshot(page, "manager-replacements")
    warning = page.get_by_role("dialog", name="Still there?")

    # Half the idle time without a touch: the warning.
    expect(warning).to_be_visible(timeout=20_000)
    assert 13 <= time.monotonic() - loaded <= 18
    screenshot(page, "idle-warning")

    # "I'm still here" keeps the session: past the first lock time, still on the page.
    warning.get_by_role("button", name="I'm still here").click()
    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=20_000)
    assert time.monotonic() - loaded > 30
    assert page.url.endswith(work)
    assert _events("staff.signed_out", shop.manager) == []

    # Still no touch: back to the PIN screen by itself.
    expect(page.get_by_role("heading", name="Who is at the counter?")).to_be_visible(timeout=20_000)
    signed_out = _events("staff.signed_out", shop.manager)
    assert len(signed_out) == 1 and "idle" in signed_out[0].details
    screenshot(page, "pin-after-idle")

    unlock(page, "Maja", "1111")
    expect(page).to_have_url(re.compile(re.escape(work) + "$"))
    expect(page.get_by_role("heading", name="Replacements on 2026-01-02")).to_be_visible()
    signed_in_as(page, "Maja")


def test_plain_staff_is_refused_the_manager_page(
    page: Page, shop: SimpleNamespace, console: Console, screenshot
) -> None:
    console.allow(403)
    open_tablet(page, "erik")
    signed_in_as(page, "Erik")

    response = page.goto("/manager/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="This page is not for your role")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the start")).to_be_visible()
    screenshot(page, "forbidden")

    refused = _events("staff.role_refused", shop.erik)
    assert len(refused) == 1
    assert json.loads(refused[0].details) == {"endpoint": "manager.replacements"}


def test_sign_in_form_works_with_the_keyboard_alone(
    page: Page, shop: SimpleNamespace, console: Console
) -> None:
    console.allow(400)  # the empty form is answered with its errors
    page.goto("/signin")
    username = page.get_by_label("Username")
    password = page.get_by_label("Password")
    expect(username).to_be_focused()

    page.keyboard.press("Enter")
    expect(page.get_by_text("Enter your username.")).to_be_visible()
    expect(username).to_be_focused()

    page.keyboard.type("erik")
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.type("correct horse")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/$"))
    signed_in_as(page, "Erik")
    assert len(_events("staff.signed_in", shop.erik)) == 1


def test_pin_screen_greets_the_person_by_name(page: Page, shop: SimpleNamespace) -> None:
    open_tablet(page, "erik")
    lock(page)
    page.get_by_role("link", name="Sara", exact=True).click()
    expect(page.get_by_role("heading", name="Hello, Sara")).to_be_visible(timeout=1_000)
    expect(page).to_have_title(re.compile(r"^PIN for Sara"))
