"""Form pieces every area shares, so a rule for an email is written once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length


def strip(value: str | None) -> str | None:
    """People paste emails with a space around them; the address is what is inside."""
    return value.strip() if isinstance(value, str) else value


def email_field(label: str, required: str) -> EmailField:
    return EmailField(
        label,
        filters=[strip],
        validators=[
            DataRequired(required),
            Email(_l("That is not an email address."), check_deliverability=False),
            Length(max=254, message=_l("An email is at most 254 characters.")),
        ],
    )
