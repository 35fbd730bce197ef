"""The customer's own pages, made for a phone held in one hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user

from .. import access, clock, phones
from ..models import Customer, Store
from ..services import DomainError, accounts, contact, qr
from . import bp
from .forms import (
    ConsentForm,
    DeleteForm,
    EmailForm,
    FirstPasswordForm,
    ForgotForm,
    PasswordForm,
    ResetForm,
    SignInForm,
)

DEFAULT_LEGAL_AGE = 18


def customer_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if access.current_customer() is None:
            return redirect(url_for("account.signin", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def _client() -> str:
    return request.remote_addr or "unknown"


def _start_session(customer: Customer) -> None:
    # The new session keeps only where the help page's contact comes from.
    access.renew_session({contact.CLAIM_STORE: session.get(contact.CLAIM_STORE)}, customer=customer)
    login_user(customer)


def visitor_store() -> Store | None:
    """The store this phone deals with (see services.contact): contact, brand, region."""
    return contact.store_for(access.current_customer(), session.get(contact.CLAIM_STORE))


def phone_region(store: Store | None) -> str:
    """Where a number typed without its country code is read: the store's country."""
    return phones.region_of_timezone(store.timezone) if store else phones.DEFAULT_REGION


def _next(default: str) -> str:
    return access.safe_next(request.args.get("next"), default)


def _legal_age() -> int:
    # The strictest store of the chain: an account may be used in any of them.
    return Store.select(Store.legal_age).order_by(Store.legal_age.desc()).scalar() or (
        DEFAULT_LEGAL_AGE
    )


def _earliest_store_today() -> date:
    """Today in the store furthest behind: an age is never counted a day early anywhere."""
    zones = [tz for (tz,) in Store.select(Store.timezone).distinct().tuples()]
    return min((clock.today_in(tz) for tz in zones), default=clock.now_utc().date())


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        try:
            customer = accounts.authenticate(form.email.data, form.password.data, client=_client())
        except DomainError as err:
            form.password.errors = [err.message]
            status = err.status
        else:
            _start_session(customer)
            return redirect(_next(url_for("account.home")))
    elif form.errors:
        status = 422
    return render_template("account/signin.html", form=form), status


@bp.post("/signout")
def signout() -> Response:
    if access.current_customer() is not None:
        access.end_session()  # a copy of this cookie opens nothing any more
    # "Not you?" on a claim page signs out and comes back to the same page.
    return redirect(access.safe_next(request.form.get("next"), url_for("account.signin")))


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        try:
            accounts.request_password_reset(form.email.data, client=_client())
        except DomainError as err:
            form.email.errors = [err.message]
            return render_template("account/forgot.html", form=form), err.status
        return render_template(
            "account/message.html",
            title=_("Check your email"),
            text=_(
                "If that email has an account, a link to choose a new password is on its way. "
                "Nothing within a few minutes? Ask again later."
            ),
        )
    return render_template("account/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    # A used, expired or made-up link says so when it is opened, before anyone types.
    try:
        accounts.check_password_token(token)
    except DomainError as err:
        return render_template(
            "account/message.html",
            title=_("This link cannot be used"),
            text=err.message,
            link=url_for("account.forgot"),
            link_text=_("Ask for a new link"),
        ), err.status
    form = ResetForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except DomainError as err:
            form.password.errors = [err.message]
            status = err.status
        else:
            flash(_("Your password is changed. Sign in with the new one."))
            return redirect(url_for("account.signin"))
    elif form.errors:
        status = 422
    return render_template("account/reset.html", form=form), status


@bp.get("/")
@customer_required
def home():
    customer = access.current_customer()
    return render_template(
        "account/home.html",
        customer=customer,
        devices=accounts.devices_of(customer),
        vouchers=accounts.vouchers_of(customer),
        consent_form=ConsentForm(marketing=customer.marketing_consent),
    )


@bp.get("/qr")
@customer_required
def account_qr():
    customer = access.current_customer()
    return render_template(
        "account/qr.html", qr_svg=qr.svg(accounts.account_qr_payload(customer), box_size=8)
    )


@bp.post("/consent")
@customer_required
def consent() -> Response:
    form = ConsentForm()
    accounts.set_consent(access.current_customer(), bool(form.marketing.data))
    flash(_("Your choice is saved."))
    return redirect(url_for("account.home"))


@bp.route("/password", methods=["GET", "POST"])
@customer_required
def change_password():
    if access.current_customer().password_hash is None:
        return _first_password()
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            customer = accounts.change_password(
                access.current_customer(), form.current.data, form.password.data
            )
        except DomainError as err:
            getattr(form, err.field or "current").errors = [err.message]
            status = err.status
        else:
            _start_session(customer)  # the old sessions end with the old password
            flash(_("Your password is changed."))
            return redirect(url_for("account.home"))
    elif form.errors:
        status = 422
    return render_template("account/password.html", form=form), status


def _first_password():
    """Never set a password (made with a mobile number, or at the counter): choose one."""
    form = FirstPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            customer = accounts.set_first_password(access.current_customer(), form.password.data)
        except DomainError as err:
            form.password.errors = [err.message]
            status = err.status
        else:
            _start_session(customer)
            flash(_("Your password is set."))
            return redirect(url_for("account.home"))
    elif form.errors:
        status = 422
    return render_template("account/first_password.html", form=form), status


@bp.route("/email", methods=["GET", "POST"])
@customer_required
def change_email():
    form = EmailForm()
    status = 200
    if form.validate_on_submit():
        try:
            mailed = accounts.request_email_change(access.current_customer(), form.email.data)
        except DomainError as err:
            form.email.errors = [err.message]
            status = err.status
        else:
            if mailed:
                flash(_("Open the link we sent to the new email to confirm it."))
                return redirect(url_for("account.home"))
            form.email.errors = [
                _("We could not send the link to this email right now. Try again later.")
            ]
            status = 503
    elif form.errors:
        status = 422
    return render_template("account/email.html", form=form), status


@bp.get("/email/confirm/<token>")
def confirm_email(token: str):
    try:
        accounts.confirm_email(token)
    except DomainError as err:
        return render_template("account/message.html", title=_("Email"), text=err.message), (
            err.status
        )
    return render_template(
        "account/message.html",
        title=_("Your email is changed"),
        text=_("Sign in with the new email from now on."),
        link=url_for("account.home"),
    )


@bp.get("/data.json")
@customer_required
def export() -> Response:
    return Response(
        accounts.export_data(access.current_customer()),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-data.json"'},
    )


@bp.route("/delete", methods=["GET", "POST"])
@customer_required
def delete():
    form = DeleteForm()
    if form.validate_on_submit():
        if form.confirm.data.strip().upper() != "DELETE":
            form.confirm.errors = [_("Type DELETE to confirm.")]
            return render_template("account/delete.html", form=form), 422
        customer = access.current_customer()
        access.end_session()
        accounts.delete_account(customer)
        return render_template(
            "account/message.html",
            title=_("Your account is deleted"),
            text=_(
                "Your personal data is gone. Receipts stay in the store's books without your name."
            ),
            link=url_for("account.signup"),
            link_text=_("Create a new account"),
        )
    return render_template("account/delete.html", form=form), 422 if form.errors else 200
