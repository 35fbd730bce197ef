from flask import Blueprint

bp = Blueprint("returns", __name__, url_prefix="/returns")

from . import views  # noqa: E402, F401
