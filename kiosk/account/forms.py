from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, InputRequired, Length

from ..fields import Form, email_field, strip

NEW_PASSWORD = [
    DataRequired(_l("Choose a password.")),
    Length(min=10, max=128, message=_l("A password is 10 to 128 characters.")),
]


class NewAccountForm(Form):
    """What every new account gives, whether it is made with an email or a mobile number."""

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


class SignUpForm(NewAccountForm):
    email = email_field(_l("Email"), _l("Type your email."))
    password = PasswordField(_l("Password (at least 10 characters)"), validators=NEW_PASSWORD)
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


def mobile_field(label: str) -> TelField:
    return TelField(
        label,
        filters=[strip],
        validators=[
            DataRequired(_l("Type your mobile number.")),
            Length(max=32, message=_l("A mobile number is at most 32 characters.")),
        ],
    )


class MobileSignInForm(Form):
    mobile = mobile_field(_l("Mobile number"))


class MobileSignUpForm(NewAccountForm):
    mobile = mobile_field(_l("Mobile number"))
    marketing = BooleanField(_l("Send me offers by SMS (optional)"))


class CodeForm(Form):
    code = StringField(
        _l("Code from the SMS"),
        filters=[strip],
        validators=[
            DataRequired(_l("Type the code from the SMS.")),
            Length(max=20, message=_l("A code has 6 digits.")),
        ],
    )


class FirstPasswordForm(Form):
    password = PasswordField(_l("New password (at least 10 characters)"), validators=NEW_PASSWORD)


class NameForm(Form):
    name = NewAccountForm.name


class MobileForm(Form):
    mobile = mobile_field(_l("Mobile number"))


class AddressForm(Form):
    recipient = StringField(
        _l("Name on the door"),
        validators=[DataRequired(_l("Type the name on the door.")), Length(max=120)],
    )
    street = StringField(
        _l("Street and number"),
        validators=[DataRequired(_l("Type the street and number.")), Length(max=200)],
    )
    extra = StringField(_l("c/o, floor, door code (optional)"), validators=[Length(max=200)])
    postal_code = StringField(
        _l("Postal code"),
        validators=[
            DataRequired(_l("Type the postal code.")),
            Length(max=16, message=_l("A postal code is at most 16 characters.")),
        ],
    )
    city = StringField(_l("City"), validators=[DataRequired(_l("Type the city.")), Length(max=100)])
    country = SelectField(_l("Country"), validators=[DataRequired(_l("Choose the country."))])
    default = BooleanField(_l("Use this address by default"))


class AddDeviceForm(Form):
    serial = StringField(
        _l("Serial number (under the box and on the receipt)"),
        filters=[strip],
        validators=[DataRequired(_l("Type the serial number.")), Length(max=64)],
    )
    reference = StringField(
        _l("The 8-character code on the receipt, or its receipt number"),
        filters=[strip],
        validators=[
            DataRequired(_l("Type the code or the receipt number.")),
            Length(max=20, message=_l("That is longer than a code or a receipt number.")),
        ],
    )
