from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..counter.forms import ScanForm as CounterScanForm
from ..fields import Form
from ..services.intake import MAX_QUANTITY
from ..services.stock import MAX_LEVEL
from ..swaps.forms import FindForm

# An id the database can hold: a bigger number is no product, not an overflow.
MAX_ID = 2**31 - 1


class ReferenceForm(Form):
    reference = StringField(
        _l("Delivery reference (from the supplier's delivery note)"),
        validators=[
            DataRequired(_l("Type the delivery reference from the supplier's delivery note.")),
            Length(max=64, message=_l("A delivery reference is at most 64 characters.")),
        ],
    )


class ScanForm(CounterScanForm):
    """The counter's scan field (room for a stray QR code, refused on its own line), and the
    model that decides when a serial fits several formats."""

    model = IntegerField(
        _l("Model, when a serial fits several"),
        validators=[Optional(), NumberRange(min=1, max=MAX_ID, message=_l("Choose a model."))],
    )


class QuantityForm(Form):
    product = IntegerField(
        _l("Consumable or accessory"),
        validators=[
            InputRequired(_l("Choose a product.")),
            NumberRange(min=1, max=MAX_ID, message=_l("Choose a product.")),
        ],
    )
    quantity = IntegerField(
        _l("Quantity"),
        validators=[
            InputRequired(_l("Type a quantity.")),
            NumberRange(
                min=1,
                max=MAX_QUANTITY,
                message=_l("A quantity is from 1 to %(max)d.", max=MAX_QUANTITY),
            ),
        ],
    )


class UnitForm(FindForm):
    """The swap desk's serial search, for any unit of the chain."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.serial.label.text = _l("Serial")


class LowLevelForm(Form):
    level = IntegerField(
        _l("Low-stock level"),
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=MAX_LEVEL,
                message=_l("A low-stock level is from 0 to %(max)d.", max=MAX_LEVEL),
            ),
        ],
    )
