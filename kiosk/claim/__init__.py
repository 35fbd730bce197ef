from flask import Blueprint

bp = Blueprint("claim", __name__, url_prefix="/c")

from . import views  # noqa: E402, F401
