from flask import Blueprint

bp = Blueprint("counter", __name__, url_prefix="/counter")

from . import views  # noqa: E402, F401
