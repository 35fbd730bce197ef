"""The back office's forms. They only read the fields; the services check the values, so the
product form and the catalog file answer the same rule with the same words."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from .. import policy
from ..fields import Form, strip
from ..models import Market

LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("sv", "Svenska")]
LANGUAGE_NAMES = {"sv": _l("Swedish"), "en": _l("English")}
KIND_CHOICES = [
    SelectChoice("device", _l("Device")),
    SelectChoice("consumable", _l("Consumable")),
    SelectChoice("accessory", _l("Accessory")),
]
WHOLE = _l("Type a whole number.")


class MarketForm(Form):
    code = StringField(_l("Country code (ISO 3166, e.g. SE)"), filters=[strip])
    name = StringField(_l("Name"), filters=[strip])
    currency = StringField(_l("Currency (ISO 4217, e.g. SEK)"), filters=[strip])
    vat_rates = StringField(_l("VAT rates in per cent, the standard rate first"), filters=[strip])


def _number(label: object, *, optional: bool = False) -> IntegerField:
    return IntegerField(label, validators=[Optional()] if optional else [InputRequired(WHOLE)])


class StoreForm(Form):
    code = StringField(_l("Store code"), filters=[strip])
    name = StringField(_l("Store name"), filters=[strip])
    brand_name = StringField(_l("Brand name on receipts (optional)"), filters=[strip])
    market = SelectField(_l("Market"), coerce=int, choices=[], validate_choice=False)
    timezone = StringField(_l("Time zone"), filters=[strip])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    legal_age = _number(_l("Legal age"))
    challenge_age = _number(_l("Challenge age (empty: always check ID)"), optional=True)
    idle_lock_seconds = _number(_l("Idle lock after (seconds)"))
    claim_token_days = _number(_l("Claim codes valid for (days)"))
    refusal_retention_days = _number(_l("Keep age-check refusals for (days)"))
    money_back_limit = _number(_l("Money-back returns per customer (at most)"))
    benefit_discount_percent = _number(_l("Benefit Program discount on accessories (%)"))
    address = TextAreaField(_l("Address on receipts"), filters=[strip])
    org_number = StringField(_l("Organisation number"), filters=[strip])
    vat_number = StringField(_l("VAT number"), filters=[strip])

    def set_markets(self, markets: list[Market]) -> None:
        self.market.choices = [
            SelectChoice(m.id, f"{m.name} ({m.code}, {m.currency})") for m in markets
        ]


class ProductForm(Form):
    sku = StringField(_l("SKU"), filters=[strip])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    name = StringField(_l("Name"), filters=[strip])
    age_restricted = BooleanField(_l("Age-restricted"))
    min_age = StringField(_l("Minimum age (empty: the store's legal age)"), filters=[strip])
    serial_pattern = StringField(_l("Serial format (device models)"), filters=[strip])
    try_serial = StringField(_l("Try a serial against the format (optional)"), filters=[strip])
    active = BooleanField(_l("Active: sold at the counter"))
    successor_sku = SelectMultipleField(
        _l("Successor models a replacement may be"), choices=[], validate_choice=False
    )


def product_form(markets: list[Market], data: dict | None = None) -> ProductForm:
    """The product form with a name per translated language and a price per market."""

    class Form(ProductForm):
        pass

    Form.name_sv = StringField(_l("Name in Swedish"), filters=[strip])
    for market in markets:
        setattr(
            Form,
            f"price_{market.code}",
            StringField(
                _l(
                    "Price in %(market)s (%(currency)s)",
                    market=market.name,
                    currency=market.currency,
                ),
                filters=[strip],
            ),
        )
        setattr(
            Form,
            f"vat_{market.code}",
            SelectField(
                _l("VAT in %(market)s", market=market.name),
                choices=[
                    SelectChoice(policy.vat_percent_text(r), f"{policy.vat_percent_text(r)} %")
                    for r in market.rates
                ],
                validate_choice=False,
            ),
        )
    # Filled from the request on a POST, from ``data`` (the product's columns) otherwise.
    return Form() if data is None else Form(formdata=None, data=data)


class ImportForm(Form):
    file = FileField(_l("Catalog file (CSV)"))


class ImportConfirmForm(Form):
    sha256 = HiddenField()
    plan = HiddenField()
