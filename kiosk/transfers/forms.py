from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from ..fields import Form, serial_field


class StartForm(Form):
    to_store = SelectField(
        _l("Send to"),
        coerce=int,
        choices=[],
        validators=[DataRequired(_l("Choose the store to send to."))],
    )


class UnitForm(Form):
    serial = serial_field(_l("Scan a unit"))


class ItemsForm(Form):
    product_id = SelectField(
        _l("Item"), coerce=int, choices=[], validators=[DataRequired(_l("Choose an item."))]
    )
    quantity = IntegerField(
        _l("Quantity"),
        default=1,
        validators=[
            InputRequired(_l("How many?")),
            NumberRange(min=1, max=999, message=_l("A quantity from 1 to 999.")),
        ],
    )
