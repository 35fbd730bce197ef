"""Opening the tablet, switching staff by PIN, locking and signing out."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import access
from ..models import Staff
from ..services import DomainError
from ..services import signin as staff_signin
from . import bp
from .forms import PinForm, SignInForm


def _client() -> str:
    return request.remote_addr or "unknown"


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> str | Response | tuple[str, int]:
    form = SignInForm()
    if form.validate_on_submit():
        try:
            member = staff_signin.sign_in_with_password(
                form.username.data or "", form.password.data or "", client=_client()
            )
        except DomainError as err:
            form.password.errors = [err.message]
            return render_template("auth/signin.html", form=form), err.status
        access.open_tablet(member)
        return redirect(access.safe_next(request.args.get("next"), url_for("auth.home")))
    status = 400 if form.errors else 200
    return render_template("auth/signin.html", form=form), status


@bp.get("/pin")
def pin() -> str | Response:
    store = access.tablet_store()
    if store is None:
        return redirect(url_for("auth.signin"))
    staff = (
        Staff.select()
        .where((Staff.store == store) & (Staff.is_active == True))  # noqa: E712
        .order_by(Staff.display_name)
    )
    return render_template("auth/pin.html", staff=staff, store=store, idle=request.args.get("idle"))


@bp.route("/pin/<int:staff_id>", methods=["GET", "POST"])
def pin_entry(staff_id: int) -> str | Response | tuple[str, int]:
    store = access.tablet_store()
    if store is None:
        return redirect(url_for("auth.signin"))
    member = Staff.get_or_none(
        (Staff.id == staff_id) & (Staff.store == store) & (Staff.is_active == True)  # noqa: E712
    )
    if member is None:
        abort(404)
    form = PinForm()
    status = 200
    if form.validate_on_submit():
        try:
            member = staff_signin.switch_with_pin(
                store, staff_id, form.pin.data or "", client=_client()
            )
        except DomainError as err:
            form.pin.errors = [err.message]
            status = err.status
        else:
            resume = access.switch_person(member)
            return redirect(access.safe_next(resume, url_for("auth.home")))
    elif form.errors:
        status = 400
    locked = staff_signin.pin_lock_remaining(member)
    return render_template("auth/pin_entry.html", form=form, member=member, locked=locked), status


@bp.post("/lock")
def lock() -> Response:
    member = access.current_staff()
    reason = "idle" if request.form.get("reason") == "idle" else "lock"
    if member is not None:
        staff_signin.record_sign_out(member, reason=reason)
        access.lock_tablet(resume_at=access.safe_next(request.form.get("resume"), ""))
    return access.hx_aware_redirect(url_for("auth.pin", idle=1 if reason == "idle" else None))


@bp.post("/signout")
def signout() -> Response:
    member = access.current_staff()
    if member is not None:
        staff_signin.record_sign_out(member, reason="sign_out")
    access.close_tablet()
    flash(_("The tablet is closed. Sign in to open it again."))
    return redirect(url_for("auth.signin"))


@bp.get("/")
@access.staff_required()
def home() -> str:
    return render_template("auth/home.html", member=access.current_staff(), store=g.store)
