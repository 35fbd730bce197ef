"""My details (name, date of birth, mobile, addresses), adding a device, and the help page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import access, phones
from ..services import DomainError, claiming, details
from . import bp
from .forms import AddDeviceForm, AddressForm, NameForm
from .views import _client, customer_required, visitor_store

# Codes that are regions, not countries (the EU, the UN, "unknown"...).
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}


def country_choices() -> list[tuple[str, str]]:
    """Every country by its name in the person's language, from the CLDR data in Babel."""
    names = get_locale().territories
    return sorted(
        (
            (code, name)
            for code, name in names.items()
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
        ),
        key=lambda pair: pair[1],
    )


def _address_form(**values: object) -> AddressForm:
    form = AddressForm(**values)
    form.country.choices = country_choices()
    return form


@bp.route("/details", methods=["GET", "POST"], endpoint="details")
@customer_required
def details_page():
    customer = access.current_customer()
    form = NameForm(name=customer.name)
    status = 200
    if form.validate_on_submit():
        try:
            details.change_name(customer, form.name.data)
        except DomainError as err:
            form.name.errors = [err.message]
            status = err.status
        else:
            flash(_("Your name is saved."))
            return redirect(url_for("account.details"))
    elif form.errors:
        status = 422
    return render_template(
        "account/details.html",
        customer=customer,
        form=form,
        mobile=phones.display_mobile(customer.mobile) if customer.mobile else None,
        addresses=details.addresses_of(customer),
        countries=dict(country_choices()),
    ), status


@bp.route("/details/addresses/new", methods=["GET", "POST"])
@customer_required
def new_address():
    customer = access.current_customer()
    store = visitor_store()
    region = phones.region_of_timezone(store.timezone) if store else phones.DEFAULT_REGION
    form = _address_form(recipient=customer.name, country=region)
    status = 200
    if form.validate_on_submit():
        try:
            details.add_address(customer, form.data, default=form.default.data)
        except DomainError as err:
            getattr(form, err.field or "street").errors = [err.message]
            status = err.status
        else:
            flash(_("The address is saved."))
            return redirect(url_for("account.details"))
    elif form.errors:
        status = 422
    return render_template("account/address.html", form=form, address=None), status


@bp.route("/details/addresses/<int:address_id>", methods=["GET", "POST"])
@customer_required
def edit_address(address_id: int):
    customer = access.current_customer()
    try:
        address = details.address_of(customer, address_id)
    except DomainError:
        abort(404)
    form = _address_form(obj=address, default=address.is_default)
    status = 200
    if form.validate_on_submit():
        details.change_address(customer, address.id, form.data, default=form.default.data)
        flash(_("The address is saved."))
        return redirect(url_for("account.details"))
    if form.errors:
        status = 422
    return render_template("account/address.html", form=form, address=address), status


@bp.post("/details/addresses/<int:address_id>/delete")
@customer_required
def delete_address(address_id: int):
    try:
        details.delete_address(access.current_customer(), address_id)
    except DomainError:
        abort(404)
    flash(_("The address is deleted."))
    return redirect(url_for("account.details"))


@bp.route("/devices/add", methods=["GET", "POST"])
@customer_required
def add_device():
    """ "Add device" under My devices: the serial and the receipt's code or number."""
    form = AddDeviceForm()
    status = 200
    if form.validate_on_submit():
        try:
            claiming.add_device(
                access.current_customer(),
                serial=form.serial.data,
                reference=form.reference.data,
                client=_client(),
            )
        except DomainError as err:
            getattr(form, err.field or "serial").errors = [err.message]
            status = err.status
        else:
            flash(_("The device is added to your devices."))
            return redirect(url_for("account.home"))
    elif form.errors:
        status = 422
    return render_template("account/add_device.html", form=form), status


@bp.get("/help", endpoint="help")
def help_page():
    """How to reach the store, for anyone: a customer stuck signing in needs it most."""
    return render_template("account/help.html", store=visitor_store())
