"""Form pieces every area shares, so a rule for an email is written once."""

from __future__ import annotations

from functools import lru_cache

from babel import support
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Email, Length


@lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """Every form of the app: WTForms' own messages in the person's language.

    Flask-WTF reads WTForms' catalogue from disk again on every request (~0.16 ms, a few
    per cent of a counter tap); it cannot change while the app runs, so keep one per language.
    """

    class Meta:
        def get_translations(self, form: FlaskForm) -> support.NullTranslations:
            return _wtforms_catalogue(str(get_locale()))


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


def serial_field(label: str) -> StringField:
    """A serial scanned or typed at a desk (the services normalise it)."""
    return StringField(
        label,
        validators=[
            DataRequired(_l("Scan or type the serial number under the box.")),
            Length(max=80, message=_l("That is too long to be a serial.")),
        ],
    )
