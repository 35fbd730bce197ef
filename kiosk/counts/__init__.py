from flask import Blueprint

bp = Blueprint("counts", __name__, url_prefix="/counts")

from . import views  # noqa: E402, F401
