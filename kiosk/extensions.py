"""Extensions created once, unbound; the app factory binds them."""

from flask_babel import Babel
from flask_compress import Compress
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from peewee import DatabaseProxy

db = DatabaseProxy()
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()
