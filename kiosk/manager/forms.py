from flask_babel import lazy_gettext as _l
from wtforms import EmailField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from ..fields import Form, strip

ROLE_CHOICES = [
    SelectChoice("staff", _l("Staff")),
    SelectChoice("manager", _l("Manager")),
    SelectChoice("admin", _l("Admin")),
]
PIN_VALIDATORS = [
    DataRequired(_l("Type a PIN.")),
    Regexp(r"^[0-9]*$", message=_l("A PIN has digits only.")),
    Length(min=4, max=8, message=_l("A PIN is 4 to 8 digits.")),
]


class StaffForm(Form):
    username = StringField(
        _l("Username"), validators=[DataRequired(_l("Type a username.")), Length(max=64)]
    )
    display_name = StringField(
        _l("Name"), validators=[DataRequired(_l("Type the person's name.")), Length(max=120)]
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="staff")
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Type a password.")),
            Length(min=8, max=128, message=_l("A password is 8 to 128 characters.")),
        ],
    )
    pin = PasswordField(_l("PIN"), validators=PIN_VALIDATORS)


class PinResetForm(Form):
    pin = PasswordField(_l("New PIN"), validators=PIN_VALIDATORS)


class PasswordSetForm(Form):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Type a password.")),
            Length(min=8, max=128, message=_l("A password is 8 to 128 characters.")),
        ],
    )


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class SettingsForm(Form):
    name = StringField(
        _l("Store name"), validators=[DataRequired(_l("Type the store's name.")), Length(max=120)]
    )
    timezone = StringField(
        _l("Time zone"),
        validators=[DataRequired(_l("Type a time zone such as Europe/Stockholm.")), Length(max=64)],
    )
    language = SelectField(
        _l("Language"), choices=[SelectChoice("en", "English"), SelectChoice("sv", "Svenska")]
    )
    legal_age = IntegerField(
        _l("Legal age"),
        validators=[
            InputRequired(_l("Type the legal age.")),
            NumberRange(16, 25, message=_l("The legal age is from 16 to 25.")),
        ],
    )
    challenge_age = IntegerField(
        _l("Challenge age (empty: always check ID)"),
        validators=[
            Optional(),
            NumberRange(18, 30, message=_l("The challenge age is from 18 to 30.")),
        ],
    )
    idle_lock_seconds = IntegerField(
        _l("Idle lock after (seconds)"),
        validators=[
            InputRequired(_l("Type the idle time.")),
            NumberRange(30, 3600, message=_l("The idle lock is from 30 to 3600 seconds.")),
        ],
    )
    claim_token_days = IntegerField(
        _l("Claim codes valid for (days)"),
        validators=[
            InputRequired(_l("Type how long claim codes stay valid.")),
            NumberRange(1, 365, message=_l("From 1 to 365 days.")),
        ],
    )
    refusal_retention_days = IntegerField(
        _l("Keep age-check refusals for (days)"),
        validators=[
            InputRequired(_l("Type how long refusals are kept.")),
            NumberRange(1, 3650, message=_l("From 1 to 3650 days (ten years).")),
        ],
    )
    # The customer's help page shows these three.
    contact_phone = StringField(
        _l("Phone for customers (optional)"),
        filters=[strip, lambda v: v or ""],
        validators=[
            Length(max=32, message=_l("A phone number is at most 32 characters.")),
            Regexp(
                r"^[0-9+()\- ]*$",
                message=_l("A phone number has digits, spaces, +, - and brackets only."),
            ),
        ],
    )
    contact_email = EmailField(
        _l("Email for customers (optional)"),
        filters=[strip, lambda v: v or ""],
        validators=[
            Optional(),
            Email(_l("That is not an email address."), check_deliverability=False),
            Length(max=254, message=_l("An email is at most 254 characters.")),
        ],
    )
    opening_hours = TextAreaField(
        _l("Opening hours (optional, one line a day or days)"),
        filters=[lambda v: "\n".join(line.strip() for line in (v or "").strip().splitlines())],
        validators=[Length(max=500, message=_l("At most 500 characters."))],
        render_kw={"rows": 4},
    )
