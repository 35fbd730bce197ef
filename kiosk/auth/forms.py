from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from ..fields import Form


class SignInForm(Form):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(_l("Enter your username.")),
            Length(max=64, message=_l("A username is at most 64 characters.")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Enter your password.")),
            Length(max=128, message=_l("A password is at most 128 characters.")),
        ],
    )


class PinForm(Form):
    pin = PasswordField(
        _l("PIN"),
        validators=[
            DataRequired(_l("Enter your PIN.")),
            Regexp(r"^[0-9]*$", message=_l("A PIN has digits only.")),
            Length(min=4, max=8, message=_l("A PIN is 4 to 8 digits.")),
        ],
    )
