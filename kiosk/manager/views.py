"""The manager's screens: replacements first, then sales and refusals, signals, staff, settings."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import access, clock
from ..models import Staff, Store
from ..services import DomainError, reports, stock
from ..services import staff as staff_service
from . import bp
from .forms import ROLE_CHOICES, PinResetForm, RoleForm, SettingsForm, StaffForm


def _stores() -> tuple[list[Store], str]:
    """The stores this request may read: a manager's own, or what an admin picked."""
    member = access.current_staff()
    wanted = request.args.get("store", "")
    if member.role != "admin":
        if wanted and wanted != str(member.store_id):
            abort(403, description=_("You can see the reports of your own store only."))
        return [member.store], str(member.store_id)
    if wanted == "all":
        return list(Store.select().order_by(Store.name)), "all"
    if wanted:
        store = Store.get_or_none(Store.id == int(wanted)) if wanted.isdigit() else None
        if store is None:
            abort(404)
        return [store], wanted
    return [member.store], str(member.store_id)


# Reports step a day or a month around the chosen day: the calendar's own ends would overflow.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _day(raw: str | None, default: date) -> date:
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(400, description=_("A day is written like 2026-11-25."))
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        abort(400, description=_("Choose a day from 2000 to 2099."))
    return day


def _period(stores: list[Store]) -> reports.Period:
    today = clock.today_in(stores[0].timezone)
    if request.args.get("from") or request.args.get("to"):
        start = _day(request.args.get("from"), today)
        end = _day(request.args.get("to"), start)
        if end < start:
            abort(400, description=_("The range ends before it starts."))
        if (end - start).days >= reports.MAX_RANGE_DAYS:
            abort(400, description=_("A range is at most a year."))
        return reports.Period(start, end)
    day = _day(request.args.get("day"), today)
    return reports.Period(day, day)


def _nav_args(period: reports.Period, scope: str, **change: object) -> dict:
    args = {"store": scope}
    if period.single_day:
        args["day"] = period.start.isoformat()
    else:
        args |= {"from": period.start.isoformat(), "to": period.end.isoformat()}
    return args | change


@bp.get("/")
@access.staff_required("manager")
def replacements():
    stores, scope = _stores()
    period = _period(stores)
    report = reports.replacements(stores, period)
    return render_template(
        "manager/replacements.html",
        report=report,
        period=period,
        scope=scope,
        stores=stores,
        all_stores=_all_stores(),
        history=reports.outcome_history(stores, period.end),
        low=stock.low_stock(stores, g.store.language),
        low_in_stores=scope == "all",
        previous_day=period.start - timedelta(days=1),
        next_day=period.end + timedelta(days=1),
        nav_args=lambda **change: _nav_args(period, scope, **change),
    )


def _all_stores() -> list[Store]:
    if access.current_staff().role != "admin":
        return []
    return list(Store.select().order_by(Store.name))


CSV_HEADER = (
    "store",
    "date",
    "time",
    "outcome",
    "case",
    "fault_code",
    "model",
    "old_serial",
    "new_serial",
    "staff",
    "customer",
    "refund_minor_units",
)


@bp.get("/replacements.csv")
@access.staff_required("manager")
def replacements_csv() -> Response:
    """Exactly the rows the page shows: UTF-8, a header row, ISO dates."""
    stores, _scope = _stores()
    period = _period(stores)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in reports.replacements(stores, period).rows:
        writer.writerow(
            (
                row.store,
                row.local_date.isoformat(),
                row.local_time,
                row.outcome,
                row.swap_case,
                row.fault_code,
                row.model,
                row.old_serial,
                row.new_serial,
                row.staff,
                row.customer,
                "" if row.refund is None else row.refund,
            )
        )
    name = f"replacements-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),  # the BOM makes spreadsheet programs read UTF-8
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/sales")
@access.staff_required("manager")
def sales():
    stores, scope = _stores()
    period = _period(stores)
    return render_template(
        "manager/sales.html",
        summary=reports.sales_summary(stores, period),
        period=period,
        scope=scope,
        stores=stores,
        all_stores=_all_stores(),
        currency=stores[0].currency,
        previous_day=period.start - timedelta(days=1),
        next_day=period.end + timedelta(days=1),
        nav_args=lambda **change: _nav_args(period, scope, **change),
    )


@bp.get("/signals")
@access.staff_required("manager")
def signals():
    stores, scope = _stores()
    today = clock.today_in(stores[0].timezone)
    return render_template(
        "manager/signals.html",
        signals=reports.signals(stores, today),
        scope=scope,
        stores=stores,
        all_stores=_all_stores(),
    )


def _store_staff() -> list[Staff]:
    member = access.current_staff()
    return list(
        Staff.select()
        .where(Staff.store == member.store_id)
        .order_by(Staff.is_active.desc(), Staff.display_name)
    )


@bp.route("/staff", methods=["GET", "POST"])
@access.staff_required("manager")
def staff():
    form = StaffForm()
    member = access.current_staff()
    # Nobody hands out a role above their own (the service refuses it too).
    form.role.choices = [c for c in ROLE_CHOICES if member.has_role(c.value)]
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                staff_service.create_staff(
                    member.store,
                    username=form.username.data,
                    display_name=form.display_name.data,
                    role=form.role.data,
                    password=form.password.data,
                    pin=form.pin.data,
                    by=member,
                )
            except DomainError as err:
                getattr(form, err.field or "username").errors = [err.message]
                status = err.status
            else:
                flash(_("%(name)s can now sign in.", name=form.display_name.data))
                return redirect(url_for("manager.staff"))
        else:
            status = 422
    return (
        render_template(
            "manager/staff.html",
            form=form,
            people=_store_staff(),
            pin_form=PinResetForm(formdata=None),
            role_form=RoleForm(formdata=None),
        ),
        status,
    )


def _colleague(staff_id: int) -> Staff:
    person = Staff.get_or_none(Staff.id == staff_id)
    if person is None:
        abort(404)
    return person


def _staff_change(action: Callable[[Staff], None], staff_id: int) -> Response:
    """Apply one audited change to a colleague; a change outside one's scope is a 403."""
    try:
        action(_colleague(staff_id))
    except DomainError as err:
        if err.status == 403:
            abort(403)
        flash(err.message)
    return redirect(url_for("manager.staff"))


@bp.post("/staff/<int:staff_id>/deactivate")
@access.staff_required("manager")
def deactivate(staff_id: int):
    by = access.current_staff()
    return _staff_change(lambda person: staff_service.deactivate(person, by=by), staff_id)


@bp.post("/staff/<int:staff_id>/pin")
@access.staff_required("manager")
def reset_pin(staff_id: int):
    form = PinResetForm()
    if not form.validate():
        flash(form.pin.errors[0])
        return redirect(url_for("manager.staff"))
    by = access.current_staff()
    return _staff_change(
        lambda person: staff_service.reset_pin(person, form.pin.data, by=by), staff_id
    )


@bp.post("/staff/<int:staff_id>/role")
@access.staff_required("manager")
def change_role(staff_id: int):
    form = RoleForm()
    by = access.current_staff()
    return _staff_change(
        lambda person: staff_service.change_role(person, form.role.data or "", by=by), staff_id
    )


@bp.route("/settings", methods=["GET", "POST"])
@access.staff_required("manager")
def settings():
    member = access.current_staff()
    store = member.store
    form = SettingsForm(obj=store)
    status = 200
    if request.method == "POST":
        if form.validate():
            values = {name: getattr(form, name).data for name in staff_service.SETTINGS}
            try:
                staff_service.update_settings(store, values, by=member)
            except DomainError as err:
                getattr(form, err.field or "name").errors = [err.message]
                status = err.status
            else:
                flash(_("Settings saved."))
                return redirect(url_for("manager.settings"))
        else:
            status = 422
    return render_template("manager/settings.html", form=form, store=store), status
