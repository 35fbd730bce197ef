from flask import Blueprint

bp = Blueprint("swaps", __name__, url_prefix="/swaps")

from . import views  # noqa: E402, F401
