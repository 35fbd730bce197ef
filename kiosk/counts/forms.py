from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import Optional

from ..fields import Form, serial_field


class StartForm(Form):
    product_id = SelectField(_l("What to count"), coerce=int, choices=[], validators=[Optional()])


class ScanForm(Form):
    serial = serial_field(_l("Scan a unit on the shelf"))
