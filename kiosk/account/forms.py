from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..fields import email_field

NEW_PASSWORD = [
    DataRequired(_l("Choose a password.")),
    Length(min=10, max=128, message=_l("A password is 10 to 128 characters.")),
]


class SignUpForm(FlaskForm):
    email = email_field(_l("Email"), _l("Type your email."))
    password = PasswordField(_l("Password (at least 10 characters)"), validators=NEW_PASSWORD)
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Type your name.")), Length(max=120)]
    )
    birth_date = DateField(
        _l("Date of birth"), validators=[DataRequired(_l("Type your date of birth."))]
    )
    terms = BooleanField(
        _l("I accept the terms"), validators=[DataRequired(_l("Accept the terms to continue."))]
    )
    marketing = BooleanField(_l("Send me offers by email (optional)"))


class SignInForm(FlaskForm):
    email = email_field(_l("Email"), _l("Type your email."))
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Type your password.")), Length(max=128)]
    )


class ForgotForm(FlaskForm):
    email = email_field(_l("Email"), _l("Type your email."))


class ResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=NEW_PASSWORD)


class PasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Type your current password."))]
    )
    password = PasswordField(_l("New password"), validators=NEW_PASSWORD)


class EmailForm(FlaskForm):
    email = email_field(_l("New email"), _l("Type your email."))


class ConsentForm(FlaskForm):
    marketing = BooleanField(_l("Send me offers by email"))


class DeleteForm(FlaskForm):
    confirm = StringField(
        _l("Type DELETE to confirm"), validators=[DataRequired(_l("Type DELETE to confirm."))]
    )
