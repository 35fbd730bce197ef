"""The manager's screens: replacements first, then sales and refusals, signals, staff, settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import access, clock
from ..csv_export import csv_response
from ..models import Market, Staff, Store
from ..services import DomainError, reports, returns, sales_reports, stock
from ..services import staff as staff_service
from . import bp
from .forms import (
    ROLE_CHOICES,
    PasswordSetForm,
    PinResetForm,
    RoleForm,
    SettingsForm,
    StaffForm,
)


def _stores() -> tuple[list[Store], str]:
    """The stores this request may read: a manager's own, or what an admin picked."""
    member = access.current_staff()
    wanted = request.args.get("store", "")
    if member.role != "admin":
        if wanted and wanted != str(member.store_id):
            abort(403, description=_("You can see the reports of your own store only."))
        return [member.store], str(member.store_id)
    if wanted == "all":
        # With their markets: an all-stores report groups its money by currency.
        return list(Store.select(Store, Market).join(Market).order_by(Store.name)), "all"
    if wanted:
        number = wanted.isascii() and wanted.isdigit() and len(wanted) < 10  # not "²" or 10**30
        store = Store.get_or_none(Store.id == int(wanted)) if number else None
        if store is None:
            abort(404)
        return [store], wanted
    return [member.store], str(member.store_id)


# Reports step a day or a month around the chosen day: the calendar's own ends would overflow.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)


class RangeError(Exception):
    """A day or range the manager typed that cannot be shown: the message goes at its field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _day(raw: str | None, default: date, field: str) -> date:
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise RangeError(field, _("A day is written like 2026-11-25.")) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise RangeError(field, _("Choose a day from 2000 to 2099."))
    return day


def _period(stores: list[Store]) -> reports.Period:
    today = clock.today_in(stores[0].timezone)
    if request.args.get("from") or request.args.get("to"):
        start = _day(request.args.get("from"), today, "from")
        end = _day(request.args.get("to"), start, "to")
        if end < start:
            raise RangeError("to", _("The range ends before it starts."))
        if (end - start).days >= reports.MAX_RANGE_DAYS:
            raise RangeError("to", _("A range is at most a year."))
        return reports.Period(start, end)
    day = _day(request.args.get("day"), today, "from")
    return reports.Period(day, day)


def _period_or_400(stores: list[Store]) -> reports.Period:
    """For a download: there is no form to show a message beside."""
    try:
        return _period(stores)
    except RangeError as err:
        abort(400, description=err.message)


def _report(template: str, stores: list[Store], scope: str, build: Callable) -> tuple[str, int]:
    """A report page; a range that cannot be shown gives the form again, the message at it."""
    try:
        period = _period(stores)
    except RangeError as err:
        today = clock.today_in(stores[0].timezone)
        period, data, status = reports.Period(today, today), None, 422
        range_error = {err.field: err.message}
    else:
        data, status, range_error = build(period), 200, {}
    return (
        render_template(
            template,
            period=period,
            scope=scope,
            stores=stores,
            all_stores=_all_stores(),
            range_error=range_error,
            typed={
                key: request.args.get(key) or request.args.get("day", "") for key in ("from", "to")
            },
            previous_day=period.start - timedelta(days=1),
            next_day=period.end + timedelta(days=1),
            nav_args=lambda **change: _nav_args(period, scope, **change),
            **(data or {}),
        ),
        status,
    )


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
    return _report(
        "manager/replacements.html",
        stores,
        scope,
        lambda period: {
            "report": reports.replacements(stores, period),
            "history": reports.outcome_history(stores, period.end),
            # The manager's home: units that should have gone back to the maker by now,
            # and products whose stock fell under their level.
            "overdue": returns.overdue_count(stores),
            "low": stock.low_stock(stores, g.store.language),
            "low_in_stores": scope == "all",
        },
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
    "returned_unit_state",
    "currency",
)


@bp.get("/replacements.csv")
@access.staff_required("manager")
def replacements_csv() -> Response:
    """Exactly the rows the page shows: UTF-8, a header row, ISO dates."""
    stores, _scope = _stores()
    period = _period_or_400(stores)
    rows = (
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
            row.unit_state,
            row.currency,
        )
        for row in reports.replacements(stores, period).rows
    )
    name = f"replacements-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return csv_response(CSV_HEADER, rows, name)


@bp.get("/sales")
@access.staff_required("manager")
def sales():
    stores, scope = _stores()
    return _report(
        "manager/sales.html",
        stores,
        scope,
        lambda period: {
            # Amounts in different currencies are never added up: one section per currency.
            "by_currency": sales_reports.sales_by_currency(stores, period),
            "refused_swaps": sales_reports.swap_refusals(stores, period),
        },
    )


SALES_CSV_HEADER = (
    "date",
    "sales",
    "revenue_minor_units",
    "refunds_minor_units",
    "net_minor_units",
    "refusals_under_age",
    "refusals_no_id",
    "currency",
)


@bp.get("/sales.csv")
@access.staff_required("manager")
def sales_csv() -> Response:
    """The per-day table of the sales page, one row per store-local day."""
    stores, _scope = _stores()
    period = _period_or_400(stores)
    rows = (
        (
            day.day.isoformat(),
            day.sales,
            day.revenue,
            day.refunds,
            day.net,
            day.under_age,
            day.no_id,
            currency,
        )
        for currency, days in sales_reports.daily_sales(stores, period).items()
        for day in days
    )
    name = f"sales-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return csv_response(SALES_CSV_HEADER, rows, name)


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


def _staff_change(
    action: Callable[[Staff], None], staff_id: int, done: str | None = None
) -> Response:
    """Apply one audited change to a colleague; a change outside one's scope is a 403."""
    try:
        action(_colleague(staff_id))
    except DomainError as err:
        if err.status == 403:
            abort(403)
        flash(err.message)
    else:
        if done:
            flash(done)
    return redirect(url_for("manager.staff"))


@bp.post("/staff/<int:staff_id>/deactivate")
@access.staff_required("manager")
def deactivate(staff_id: int):
    by = access.current_staff()
    return _staff_change(
        lambda person: staff_service.deactivate(person, by=by),
        staff_id,
        _("Deactivated: they can no longer sign in. Reactivate them from this list."),
    )


def _pin_change(set_pin: Callable[..., None], staff_id: int, done: str) -> Response:
    form = PinResetForm()
    if not form.validate():
        flash(form.pin.errors[0])
        return redirect(url_for("manager.staff"))
    by = access.current_staff()
    return _staff_change(lambda person: set_pin(person, form.pin.data, by=by), staff_id, done)


@bp.post("/staff/<int:staff_id>/reactivate")
@access.staff_required("manager")
def reactivate(staff_id: int):
    """Undo a deactivation; the person gets a new PIN (their old one may be someone's now)."""
    return _pin_change(
        staff_service.reactivate, staff_id, _("Reactivated: they sign in with the new PIN.")
    )


@bp.post("/staff/<int:staff_id>/pin")
@access.staff_required("manager")
def reset_pin(staff_id: int):
    return _pin_change(staff_service.reset_pin, staff_id, _("The new PIN is set."))


@bp.post("/staff/<int:staff_id>/password")
@access.staff_required("manager")
def set_password(staff_id: int):
    """A new password for a colleague; their other sessions end with the old one."""
    form = PasswordSetForm()
    if not form.validate():
        flash(form.password.errors[0])
        return redirect(url_for("manager.staff"))
    by = access.current_staff()
    return _staff_change(
        lambda person: staff_service.set_password(
            person, form.password.data, by=by, keep_session=access.session_key()
        ),
        staff_id,
        _("The new password is set. Their other sessions are signed out."),
    )


@bp.post("/staff/<int:staff_id>/role")
@access.staff_required("manager")
def change_role(staff_id: int):
    form = RoleForm()
    by = access.current_staff()
    return _staff_change(
        lambda person: staff_service.change_role(person, form.role.data or "", by=by),
        staff_id,
        _("The role is changed."),
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
