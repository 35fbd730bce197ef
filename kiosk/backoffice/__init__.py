"""The back office: the chain's markets, stores and catalog, kept by an admin."""

from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/admin")

from . import catalog, views  # noqa: E402, F401
