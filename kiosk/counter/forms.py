from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..fields import Form, email_field

DOCUMENT_CHOICES = [
    SelectChoice("id_card", _l("ID card")),
    SelectChoice("passport", _l("Passport")),
    SelectChoice("driving_licence", _l("Driving licence")),
    SelectChoice("other_official", _l("Other official ID")),
]


class ScanForm(Form):
    code = StringField(
        _l("Scan or type a serial or SKU"),
        validators=[
            DataRequired(_l("Scan or type a serial or SKU.")),
            # Room for a customer's account QR; serials and SKUs are checked for 64 later.
            Length(max=400, message=_l("That code is too long to be a serial or SKU.")),
        ],
    )


class AddProductForm(Form):
    product_id = IntegerField(
        validators=[
            InputRequired(_l("Choose a product.")),
            # An id the database can hold: a bigger number is no product, not an overflow.
            NumberRange(min=1, max=2**31 - 1, message=_l("Choose a product.")),
        ]
    )


class QuantityForm(Form):
    quantity = IntegerField(
        _l("Quantity"),
        validators=[
            InputRequired(_l("Type a quantity.")),
            NumberRange(min=1, max=99, message=_l("A quantity is from 1 to 99.")),
        ],
    )


class AgeCheckForm(Form):
    method = RadioField(
        _l("How was the age checked?"),
        choices=[
            SelectChoice("document", _l("ID document")),
            SelectChoice("visual", _l("Clearly over the challenge age")),
            SelectChoice("no_id", _l("No ID shown")),
        ],
        default="document",
        validators=[InputRequired(_l("Choose how the age was checked."))],
    )
    document_type = SelectField(
        _l("Document"), choices=DOCUMENT_CHOICES, validators=[Optional()], default="id_card"
    )
    day = StringField(_l("Day (DD)"), validators=[Optional(), Length(max=2)])
    month = StringField(_l("Month (MM)"), validators=[Optional(), Length(max=2)])
    year = StringField(_l("Year (YYYY)"), validators=[Optional(), Length(max=4)])


class CompleteForm(Form):
    tender = RadioField(
        _l("Payment"),
        choices=[SelectChoice("card", _l("Card")), SelectChoice("cash", _l("Cash"))],
        default="card",
        validators=[InputRequired(_l("Choose card or cash."))],
    )
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=64)])


class CounterSignUpForm(Form):
    """The customer registers at the counter; they choose a password from the activation mail."""

    email = email_field(_l("Customer's email"), _l("Type the customer's email."))
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Type the customer's name.")), Length(max=120)]
    )
    # InputRequired, not DataRequired: a date that does not exist (30 February) is then
    # answered "Not a valid date value." instead of being asked for again.
    birth_date = DateField(
        _l("Date of birth"), validators=[InputRequired(_l("Type the date of birth (YYYY-MM-DD)."))]
    )
    terms = BooleanField(
        _l("The customer accepts the terms"),
        validators=[DataRequired(_l("The customer must accept the terms."))],
    )
    marketing = BooleanField(_l("The customer wants offers by email (optional)"))
