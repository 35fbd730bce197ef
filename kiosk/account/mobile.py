"""Signing in and up with a mobile number and a code by SMS, and adding a number to an account.

Each of the three asks for a code (``services.codes``), keeps the code's row id in the signed
session, and sends the person to one code page. The page answers alike whether or not the
number has an account; only a right code changes anything.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _

from .. import access, phones
from ..services import DomainError, codes, contact
from . import bp
from .forms import CodeForm, MobileForm, MobileSignInForm, MobileSignUpForm
from .views import (
    _client,
    _earliest_store_today,
    _legal_age,
    _next,
    _start_session,
    customer_required,
    phone_region,
    visitor_store,
)

# The session's note of the code being typed: its row id and where to go after it.
PENDING_CODE = "pending_code"


def _remember(sent: codes.Sent, after: str) -> None:
    session[PENDING_CODE] = {"id": sent.code_id, "next": after}


def _to_code_page(sent: codes.Sent):  # noqa: ANN202
    if not sent.delivered:
        flash(
            _(
                "We could not send the SMS right now. Nothing is lost: ask for a new code in "
                "a minute."
            )
        )
    return redirect(url_for("account.enter_code"))


def _ask_for_code(form, template: str, ask, after: str):  # noqa: ANN001, ANN202
    """A number's form: ``ask`` sends the code; then the code page, or the form with its error."""
    status = 200
    if form.validate_on_submit():
        store = visitor_store()
        try:
            sent = ask(region=phone_region(store), client=_client(), brand=contact.brand_of(store))
        except DomainError as err:
            getattr(form, err.field or "mobile").errors = [err.message]
            status = err.status
        else:
            _remember(sent, after)
            return _to_code_page(sent)
    elif form.errors:
        status = 422
    return render_template(template, form=form), status


@bp.route("/signin/mobile", methods=["GET", "POST"])
def signin_mobile():
    form = MobileSignInForm()
    return _ask_for_code(
        form,
        "account/signin_mobile.html",
        lambda **where: codes.request_signin(form.mobile.data, **where),
        _next(url_for("account.home")),
    )


@bp.route("/signup/mobile", methods=["GET", "POST"])
def signup_mobile():
    form = MobileSignUpForm()
    return _ask_for_code(
        form,
        "account/signup_mobile.html",
        lambda **where: codes.request_signup(
            form.mobile.data,
            name=form.name.data,
            birth=form.birth_date.data,
            terms=form.terms.data,
            marketing=form.marketing.data,
            legal_age=_legal_age(),
            today=_earliest_store_today(),
            **where,
        ),
        _next(url_for("account.home")),
    )


@bp.route("/mobile", methods=["GET", "POST"])
@customer_required
def add_mobile():
    form = MobileForm()
    return _ask_for_code(
        form,
        "account/mobile.html",
        lambda **where: codes.request_add_mobile(
            access.current_customer(), form.mobile.data, **where
        ),
        url_for("account.details"),
    )


@bp.route("/code", methods=["GET", "POST"])
def enter_code():
    note = session.get(PENDING_CODE) or {}
    row = codes.pending(note.get("id"))
    if row is None:
        return redirect(url_for("account.signin_mobile"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            done = codes.verify(row.id, form.code.data, client=_client())
        except DomainError as err:
            form.code.errors = [err.message]
            status = err.status
        else:
            session.pop(PENDING_CODE, None)
            after = access.safe_next(note.get("next"), url_for("account.home"))
            if done.purpose == "add_mobile":
                flash(_("Your mobile number is saved. You can sign in with it."))
            else:
                _start_session(done.customer)
                if done.purpose == "signup":
                    flash(_("Welcome! Your account is ready."))
            return redirect(after)
    elif form.errors:
        status = 422
    return render_template(
        "account/code.html", form=form, row=row, number=phones.display_mobile(row.mobile)
    ), status


@bp.post("/code/new")
def new_code():
    """Send a new code for the same request (the SMS was lost, slow, or the code is void)."""
    note = session.get(PENDING_CODE) or {}
    if codes.pending(note.get("id")) is None:
        return redirect(url_for("account.signin_mobile"))
    try:
        sent = codes.resend(note["id"], client=_client(), brand=contact.brand_of(visitor_store()))
    except DomainError as err:
        flash(err.message)
        return redirect(url_for("account.enter_code"))
    _remember(sent, note.get("next") or url_for("account.home"))
    if sent.delivered:
        flash(_("A new code is on its way."))
    return _to_code_page(sent)
