from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from . import details, mobile, signup, views  # noqa: E402, F401
