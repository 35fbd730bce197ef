"""The tablet in a real shift, over HTTP: the staff bar, the PIN screen, the device file, and
what a manager does for a colleague (deactivate with a second thought, undo, a new password).
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import lazy_gettext as _l

from kiosk import clock, navigation
from kiosk.models import AuditEvent, Staff, WebSession
from tests import factories as make
from tests.conftest import AuthActions, csrf_from
from tests.http.test_swaps import sold_and_registered

BAR = re.compile(r'<nav class="topbar__areas"[^>]*>(.*?)</nav>', re.S)


def bar_links(html: str) -> list[tuple[str, bool]]:
    """(label, is current) of each link in the staff bar, in order."""
    found = BAR.search(html)
    assert found, "no staff bar on the page"
    return [
        (label.strip(), "aria-current" in attrs)
        for attrs, label in re.findall(r"<a ([^>]*)>([^<]*)</a>", found.group(1))
    ]


def test_every_staff_screen_has_the_bar_with_the_store_and_the_areas_of_the_role(
    client: FlaskClient, auth: AuthActions, shop
) -> None:
    unit = make.device(shop.store, make.product("device"), status="sold")
    auth.sign_in("erik")
    screens = {
        "/": None,
        "/counter/": "Sell",
        "/swaps/": "Swap",
        f"/swaps/devices/{unit.id}": "Swap",
        "/stock/": "Stock",
        "/returns/": "Stock",
    }
    for path, current in screens.items():
        page = client.get(path)
        assert page.status_code == 200, path
        assert bar_links(page.text) == [
            (area, current == area) for area in ("Sell", "Swap", "Stock")
        ], path
        assert 'data-testid="store-name">Kiosk Test City<' in page.text, path
        assert ">Lock</button>" in page.text, path

    auth.lock()
    auth.enter_pin(shop.manager.id, "1111")
    for path in ("/manager/", "/manager/staff", "/manager/settings", "/counter/"):
        links = bar_links(client.get(path).text)
        assert [label for label, _current in links] == [
            "Sell",
            "Swap",
            "Stock",
            "Reports",
            "Catalog",
        ], path
        assert (
            ("Reports", True) in links if path.startswith("/manager/") else ("Sell", True) in links
        )


def test_an_area_added_to_the_one_list_shows_in_the_bar_and_on_the_home_doors(
    client: FlaskClient, auth: AuthActions, shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = navigation.Area("auth.home", _l("Home"), _l("Where every shift starts"))
    monkeypatch.setattr(navigation, "AREAS", (*navigation.AREAS, extra))
    auth.sign_in("erik")
    home = client.get("/").text
    assert [label for label, _current in bar_links(home)] == ["Sell", "Swap", "Stock", "Home"]
    assert "Where every shift starts" in home and 'class="door door--auth"' in home


def test_the_pin_screen_names_its_store_and_keeps_closing_away_from_the_names(
    client: FlaskClient, auth: AuthActions, shop
) -> None:
    auth.sign_in("erik")
    auth.lock()
    page = client.get("/pin").text
    assert 'data-testid="store-name">Kiosk Test City<' in page
    tiles_end = page.index("</ul>")
    close = page.index("Close the kiosk")
    assert close > tiles_end
    assert '<footer class="pin-screen__footer">' in page[tiles_end:close]


def test_the_device_file_offers_another_device_and_waits_for_registration(
    client: FlaskClient, auth: AuthActions, shop
) -> None:
    model = make.product("device")
    unregistered = make.device(shop.store, model, status="sold")
    today = clock.today_in(shop.store.timezone)
    registered = sold_and_registered(shop.store, shop.erik, model, bought=today)
    in_stock = make.device(shop.store, model)
    auth.sign_in("erik")

    page = client.get(f"/swaps/devices/{unregistered.id}").text
    assert re.search(r'<a class="btn btn--ghost" href="/swaps/">Find another device</a>', page)
    cases = re.findall(r'<button type="submit" name="case"[^>]*>', page)
    assert len(cases) == 6 and all(" disabled" in button for button in cases)
    assert "Register this device" in page

    cases = re.findall(
        r'<button type="submit" name="case"[^>]*>',
        client.get(f"/swaps/devices/{registered.id}").text,
    )
    assert len(cases) == 6 and not any(" disabled" in button for button in cases)

    page = client.get(f"/swaps/devices/{in_stock.id}").text
    cases = re.findall(r'<button type="submit" name="case"[^>]*>', page)
    assert all(" disabled" in button for button in cases)
    assert "This unit is not with a customer" in page


def test_deactivate_asks_first_and_a_manager_can_undo_it_with_a_new_pin(
    client: FlaskClient, auth: AuthActions, shop
) -> None:
    auth.sign_in("maja")
    page = client.get("/manager/staff")
    # The button that acts sits inside a closed disclosure: the first tap only asks.
    confirm = re.search(
        r'<details class="confirm">\s*<summary[^>]*>Deactivate…</summary>(.*?)</details>',
        page.text.split("Erik", 1)[1],
        re.S,
    )
    assert confirm and "Deactivate Erik" in confirm.group(1)
    assert "can no longer sign in until reactivated" in confirm.group(1)
    token = csrf_from(page.text)
    done = client.post(f"/manager/staff/{shop.erik.id}/deactivate", data={"csrf_token": token})
    assert done.status_code == 302
    assert not Staff.get_by_id(shop.erik.id).is_active
    listed = client.get("/manager/staff").text
    assert "Reactivate them from this list" in listed
    assert f'action="/manager/staff/{shop.erik.id}/reactivate"' in listed

    # Sara's PIN is not free: the undo needs a PIN nobody active has.
    taken = client.post(
        f"/manager/staff/{shop.erik.id}/reactivate", data={"csrf_token": token, "pin": "3333"}
    )
    assert taken.status_code == 302
    assert "already has that PIN" in client.get("/manager/staff").text
    assert not Staff.get_by_id(shop.erik.id).is_active
    back = client.post(
        f"/manager/staff/{shop.erik.id}/reactivate", data={"csrf_token": token, "pin": "4242"}
    )
    assert back.status_code == 302
    assert Staff.get_by_id(shop.erik.id).is_active
    assert "Reactivated" in client.get("/manager/staff").text
    auth.lock()
    assert auth.enter_pin(shop.erik.id, "4242").status_code == 302
    actions = [
        e.action
        for e in AuditEvent.select()
        .where(AuditEvent.subject_id == shop.erik.id)
        .order_by(AuditEvent.id)
    ]
    assert actions == ["staff.deactivated", "staff.reactivated"]


def test_a_manager_sets_a_new_password_and_the_old_one_and_its_sessions_end(
    app: Flask, client: FlaskClient, auth: AuthActions, shop
) -> None:
    other_tablet = app.test_client()
    AuthActions(other_tablet).sign_in("erik")
    assert other_tablet.get("/counter/").status_code == 200

    auth.sign_in("maja")
    token = csrf_from(client.get("/manager/staff").text)
    short = client.post(
        f"/manager/staff/{shop.erik.id}/password", data={"csrf_token": token, "password": "short"}
    )
    assert short.status_code == 302
    assert "A password is 8 to 128 characters." in client.get("/manager/staff").text
    done = client.post(
        f"/manager/staff/{shop.erik.id}/password",
        data={"csrf_token": token, "password": "a new long one"},
    )
    assert done.status_code == 302
    assert "The new password is set." in client.get("/manager/staff").text

    # Erik's tablet session ended with the old password; the manager's own did not.
    assert "Open the kiosk" in other_tablet.get("/counter/", follow_redirects=True).text
    assert client.get("/manager/staff").status_code == 200
    assert not WebSession.select().where(WebSession.staff == shop.erik.id).exists()
    fresh = AuthActions(app.test_client())
    assert fresh.sign_in("erik", "correct horse").status_code == 401
    assert fresh.sign_in("erik", "a new long one").status_code == 302
    event = AuditEvent.get(AuditEvent.action == "staff.password_set")
    assert (event.staff_id, event.subject_id) == (shop.manager.id, shop.erik.id)
    assert "a new long one" not in event.details


def test_a_manager_cannot_set_the_password_of_someone_above_them(
    client: FlaskClient, auth: AuthActions, shop
) -> None:
    boss = make.staff(shop.store, role="admin", username="ada", display_name="Ada")
    auth.sign_in("maja")
    token = csrf_from(client.get("/manager/staff").text)
    refused = client.post(
        f"/manager/staff/{boss.id}/password", data={"csrf_token": token, "password": "taken over"}
    )
    assert refused.status_code == 403
    assert AuthActions(client.application.test_client()).sign_in("ada").status_code == 302
