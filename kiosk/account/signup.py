"""Making an account with an email: the sign-up, its activation link, asking for it again."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from .. import access
from ..services import DomainError, accounts
from ..services import signup as sign_ups
from . import bp
from .forms import ForgotForm, SignUpForm
from .views import _client, _earliest_store_today, _legal_age, _next, _start_session

# Kept in the session across a sign-up: where to go once the activation link is opened.
AFTER_ACTIVATION = "after_activation"


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignUpForm()
    status = 200
    if form.validate_on_submit():
        try:
            mailed = sign_ups.sign_up(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                birth=form.birth_date.data,
                terms=form.terms.data,
                marketing=form.marketing.data,
                legal_age=_legal_age(),
                today=_earliest_store_today(),
                client=_client(),
            )
        except DomainError as err:
            getattr(form, err.field or "email").errors = [err.message]
            status = err.status
        else:
            # The same page whether the email was new or had an account (its owner got a
            # mail saying someone tried): sign-up tells nobody which emails exist.
            session[AFTER_ACTIVATION] = _next(url_for("account.home"))
            email = accounts.normalise_email(form.email.data)
            if mailed:
                return render_template(
                    "account/message.html",
                    title=_("Check your email"),
                    text=_(
                        "We sent an email to %(email)s. Open the link in it within 24 hours "
                        "to activate your account and go on.",
                        email=email,
                    ),
                )
            return render_template(
                "account/message.html",
                title=_("The email could not be sent"),
                text=_(
                    "We could not send the email to %(email)s right now. Nothing is lost: "
                    "try again in a few minutes.",
                    email=email,
                ),
                link=url_for("account.signup", next=request.args.get("next")),
                link_text=_("Try again"),
            ), 503
    elif form.errors:
        status = 422
    return render_template("account/signup.html", form=form), status


@bp.get("/activate/<token>")
def activate(token: str):
    try:
        customer, activated_now = sign_ups.activate(token)
    except DomainError as err:
        return render_template("account/message.html", title=_("Activation"), text=err.message), (
            err.status
        )
    if customer.password_hash is None:
        # Registered at the counter: the activation link is where they choose a password.
        return redirect(url_for("account.reset_password", token=accounts.password_token(customer)))
    if not activated_now:
        return render_template(
            "account/message.html",
            title=_("Your account is active"),
            text=_("Your account is active already. Sign in to go on."),
            link=url_for("account.signin"),
            link_text=_("Sign in"),
        )
    # The first opening of the link signs in: the mailbox's holder made this account.
    after = access.safe_next(session.pop(AFTER_ACTIVATION, None), url_for("account.home"))
    _start_session(customer)
    flash(_("Your account is active. Thank you: your benefits are active."))
    return redirect(after)


@bp.route("/activation", methods=["GET", "POST"])
def resend_activation():
    """Ask for the activation mail again (it may have been lost, or never sent)."""
    customer = access.current_customer()
    form = ForgotForm()
    if request.method == "GET" and customer is not None:
        form.email.data = customer.email
    if form.validate_on_submit():
        try:
            sent = sign_ups.resend_activation(form.email.data, client=_client())
        except DomainError as err:
            form.email.errors = [err.message]
            return render_template("account/activate_again.html", form=form), err.status
        own = customer is not None and customer.email == accounts.normalise_email(form.email.data)
        if own and customer.activated_at is not None:
            flash(_("Your account is active already."))
            return redirect(url_for("account.home"))
        if own and sent:
            flash(_("A new activation link is on its way. It is valid for 24 hours."))
            return redirect(url_for("account.home"))
        if own:
            # Only the account's own holder learns that sending failed: to anyone else
            # it would tell that the email has an account.
            form.email.errors = [_("We could not send the email right now. Try again later.")]
            return render_template("account/activate_again.html", form=form), 503
        return render_template(
            "account/message.html",
            title=_("Check your email"),
            text=_(
                "If that email has an account that is not active yet, a new activation link "
                "is on its way. Nothing within a few minutes? Ask again later."
            ),
        )
    return render_template("account/activate_again.html", form=form), 422 if form.errors else 200
