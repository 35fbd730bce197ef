from flask import Blueprint

bp = Blueprint("transfers", __name__, url_prefix="/transfers")

from . import views  # noqa: E402, F401
