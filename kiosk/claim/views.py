"""The customer's side of the receipt QR: what was bought, then claim it into an account."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from .. import access
from ..services import DomainError, accounts, claiming, claims, contact
from . import bp


def _client() -> str:
    return request.remote_addr or "unknown"


@bp.route("/", methods=["GET", "POST"])
def enter_code():
    """The short code under the QR, typed on a phone: case and dashes ignored."""
    if request.method == "POST":
        code = claims.normalise_code(request.form.get("code", ""))[:16]
        if len(code) != claims.CODE_LENGTH:
            return render_template("claim/enter_code.html", error=True, code=code), 422
        return redirect(url_for("claim.open_token", token=code))
    return render_template("claim/enter_code.html")


def _open(token: str) -> claims.Purchase | Response | tuple[str, int]:
    try:
        claiming.guard(token, client=_client())
    except DomainError as err:
        # The one page for every limit a phone runs into: its real status, and a way on.
        return render_template("errors/error.html", error=None, code=err.status), err.status
    found = claims.find_open(token)
    if found is None:
        # One page for unknown, used, expired and tampered: it reveals nothing.
        return render_template("claim/invalid.html"), 404
    # Until this phone's account has a purchase, the help page shows this store's contact.
    session[contact.CLAIM_STORE] = found.token.sale.store_id
    return found


@bp.get("/<token>")
def open_token(token: str):
    found = _open(token)
    if not isinstance(found, claims.Purchase):
        return found
    return render_template(
        "claim/claim.html",
        purchase=found,
        token=token,
        customer=access.current_customer(),
        next_url=url_for("claim.open_token", token=token),
    )


@bp.post("/<token>/claim")
def confirm(token: str):
    customer = access.current_customer()
    if customer is None:
        return redirect(url_for("account.signin", next=url_for("claim.open_token", token=token)))
    found = _open(token)
    if not isinstance(found, claims.Purchase):
        return found
    try:
        registrations = claiming.claim(token, customer)
    except DomainError as err:
        return render_template(
            "claim/claim.html", purchase=found, token=token, customer=customer, error=err.message
        ), err.status
    return render_template(
        "claim/claimed.html",
        count=len(registrations),
        vouchers=accounts.vouchers_of(customer),
    )
