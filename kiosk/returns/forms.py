from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..fields import Form, serial_field


class ShipmentForm(Form):
    rma_reference = StringField(
        _l("The maker's return reference (RMA)"),
        validators=[
            DataRequired(_l("Type the maker's reference.")),
            Length(max=64, message=_l("A reference is at most 64 characters.")),
        ],
    )


class PackForm(Form):
    serial = serial_field(_l("Scan a unit into the box"))


class CreditForm(Form):
    credit_reference = StringField(
        _l("The maker's credit reference"),
        validators=[
            DataRequired(_l("Type the maker's reference.")),
            Length(max=64, message=_l("A reference is at most 64 characters.")),
        ],
    )
