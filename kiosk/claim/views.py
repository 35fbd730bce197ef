"""The customer's side of the receipt QR: what was bought, then claim it."""

from __future__ import annotations

from flask import render_template

from ..services import claims
from . import bp


@bp.get("/")
def enter_code() -> str:
    return render_template("claim/enter_code.html")


@bp.get("/<token>")
def open_token(token: str) -> tuple[str, int] | str:
    found = claims.find_open(token)
    if found is None:
        # One page for unknown, used, expired and tampered: it reveals nothing.
        return render_template("claim/invalid.html"), 404
    return render_template("claim/claim.html", purchase=found)
