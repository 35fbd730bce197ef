from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from ..fields import Form, email_field

NEW_PASSWORD = [
    DataRequired(_l("Choose a password.")),
    Length(min=10, max=128, message=_l("A password is 10 to 128 characters.")),
]


class SignUpForm(Form):
    email = email_field(_l("Email"), _l("Type your email."))
    password = PasswordField(_l("Password (at least 10 characters)"), validators=NEW_PASSWORD)
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Type your name.")), Length(max=120)]
    )
    # InputRequired, not DataRequired: a date that does not exist (30 February) is then
    # answered "Not a valid date value." instead of being asked for again.
    birth_date = DateField(
        _l("Date of birth"), validators=[InputRequired(_l("Type your date of birth."))]
    )
    terms = BooleanField(
        _l("I accept the terms"), validators=[DataRequired(_l("Accept the terms to continue."))]
    )
    marketing = BooleanField(_l("Send me offers by email (optional)"))


class SignInForm(Form):
    email = email_field(_l("Email"), _l("Type your email."))
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Type your password.")), Length(max=128)]
    )


class ForgotForm(Form):
    email = email_field(_l("Email"), _l("Type your email."))


class ResetForm(Form):
    password = PasswordField(_l("New password"), validators=NEW_PASSWORD)


class PasswordForm(Form):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Type your current password."))]
    )
    password = PasswordField(_l("New password"), validators=NEW_PASSWORD)


class EmailForm(Form):
    email = email_field(_l("New email"), _l("Type your email."))


class ConsentForm(Form):
    marketing = BooleanField(_l("Send me offers by email"))


class DeleteForm(Form):
    confirm = StringField(
        _l("Type DELETE to confirm"), validators=[DataRequired(_l("Type DELETE to confirm."))]
    )
