from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..counter.forms import CounterSignUpForm
from ..fields import Form
from ..services.swaps import FAULT_CODES

CASE_CHOICES = [
    SelectChoice("defect", _l("Defect or malfunction")),
    SelectChoice("cosmetic_affects_function", _l("Damage that affects how it works")),
    SelectChoice("cosmetic", _l("Cosmetic damage only")),
    SelectChoice("accident", _l("Accidental damage")),
    SelectChoice("lost_or_stolen", _l("Lost or stolen")),
    SelectChoice("money_back", _l("Money back")),
]


class FindForm(Form):
    class Meta:
        csrf = False  # a GET search changes nothing

    serial = StringField(
        _l("Serial of the customer's device"),
        validators=[
            DataRequired(_l("Scan or type the serial number under the box.")),
            Length(max=80, message=_l("That is too long to be a serial.")),
        ],
    )


class ReplaceForm(Form):
    replacement = StringField(
        _l("Serial of the new unit from the shelf"),
        validators=[
            DataRequired(_l("Scan the new unit's serial.")),
            Length(max=80, message=_l("That is too long to be a serial.")),
        ],
    )
    fault_code = SelectField(
        _l("Fault code"),
        # A blank first choice: a scanner's Enter must not file a fault nobody chose.
        choices=[SelectChoice("", "—")] + [SelectChoice(code, code) for code in FAULT_CODES],
        validators=[DataRequired(_l("Choose a fault code."))],
    )
    note = TextAreaField(
        _l("Note for the maker"),
        validators=[Optional(), Length(max=500, message=_l("A note is at most 500 characters."))],
    )


class MoneyBackForm(Form):
    unit_state = RadioField(
        _l("The returned unit"),
        choices=[
            SelectChoice("sealed", _l("Sealed: back on the shelf")),
            SelectChoice("opened", _l("Opened: goes back to the maker")),
            SelectChoice("faulty", _l("Faulty: goes back to the maker")),
        ],
        validators=[DataRequired(_l("Say whether the box is sealed, opened or faulty."))],
    )


class RegisterForm(CounterSignUpForm):
    """The counter's sign-up, plus what a unit bought elsewhere needs: its date and model."""

    purchase_date = DateField(
        _l("Purchase date (from the customer's receipt)"), validators=[Optional()]
    )
    product_id = SelectField(
        _l("Model"), coerce=int, validators=[Optional()], choices=[], validate_choice=False
    )
