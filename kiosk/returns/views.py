"""Back to the maker: the units waiting to go back, packing a shipment, shipped, credited."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import access
from ..csv_export import csv_response
from ..models import Shipment
from ..services import DomainError
from ..services import returns as service
from . import bp
from .forms import CreditForm, PackForm, ShipmentForm


def _index(form: ShipmentForm, status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "returns/index.html",
            waiting=service.waiting([g.store]),
            shipments=service.shipments(g.store),
            form=form,
        ),
        status,
    )


@bp.get("/")
@access.staff_required()
def index():
    return _index(ShipmentForm(formdata=None))


@bp.post("/shipments")
@access.staff_required()
def open_shipment():
    form = ShipmentForm()
    if not form.validate():
        return _index(form, 422)
    try:
        shipment = service.open_shipment(g.store, access.current_staff(), form.rma_reference.data)
    except DomainError as err:
        form.rma_reference.errors = [err.message]
        return _index(form, err.status)
    return redirect(url_for("returns.shipment", shipment_id=shipment.id))


def _shipment_or_404(shipment_id: int) -> Shipment:
    shipment = service.shipment_of(g.store, shipment_id)
    if shipment is None:
        abort(404)
    return shipment


def _shipment_page(
    shipment: Shipment,
    pack_form: PackForm | None = None,
    credit_form: CreditForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The shipment page, or only its packing section for an HTMX scan."""
    template = "returns/_packing.html" if access.partial_request() else "returns/shipment.html"
    return (
        render_template(
            template,
            shipment=shipment,
            units=service.packed(shipment),
            pack_form=pack_form or PackForm(formdata=None),
            credit_form=credit_form or CreditForm(formdata=None),
        ),
        status,
    )


@bp.get("/shipments/<int:shipment_id>")
@access.staff_required()
def shipment(shipment_id: int):
    return _shipment_page(_shipment_or_404(shipment_id))


@bp.post("/shipments/<int:shipment_id>/pack")
@access.staff_required()
def pack(shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    form = PackForm()
    if not form.validate():
        return _shipment_page(shipment, pack_form=form, status=422)
    try:
        device = service.pack(g.store, access.current_staff(), shipment.id, form.serial.data)
    except DomainError as err:
        form.serial.errors = [err.message]
        return _shipment_page(shipment, pack_form=form, status=err.status)
    form = PackForm(formdata=None)
    form.packed = device.serial
    return _shipment_page(shipment, pack_form=form)


@bp.post("/shipments/<int:shipment_id>/units/<int:device_id>/unpack")
@access.staff_required()
def unpack(shipment_id: int, device_id: int):
    shipment = _shipment_or_404(shipment_id)
    try:
        service.unpack(g.store, access.current_staff(), shipment.id, device_id)
    except DomainError as err:
        flash(err.message)
    if access.partial_request():
        return _shipment_page(shipment)
    return redirect(url_for("returns.shipment", shipment_id=shipment.id))


@bp.post("/shipments/<int:shipment_id>/ship")
@access.staff_required()
def ship(shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    try:
        service.ship(g.store, access.current_staff(), shipment.id)
    except DomainError as err:
        flash(err.message)
    else:
        flash(_("Shipment %(ref)s is on its way to the maker.", ref=shipment.rma_reference))
    return access.hx_aware_redirect(url_for("returns.shipment", shipment_id=shipment.id))


@bp.post("/shipments/<int:shipment_id>/credit")
@access.staff_required("manager")
def credit(shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    form = CreditForm()
    if not form.validate():
        return _shipment_page(shipment, credit_form=form, status=422)
    try:
        service.credit(g.store, access.current_staff(), shipment.id, form.credit_reference.data)
    except DomainError as err:
        form.credit_reference.errors = [err.message]
        return _shipment_page(shipment, credit_form=form, status=err.status)
    flash(_("Shipment %(ref)s is credited.", ref=shipment.rma_reference))
    return redirect(url_for("returns.shipment", shipment_id=shipment.id))


@bp.get("/shipments/<int:shipment_id>/packing-list")
@access.staff_required()
def packing_list(shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    paper = "a4" if request.args.get("paper") == "a4" else "80mm"
    return render_template(
        "returns/packing_list.html",
        shipment=shipment,
        units=service.packed(shipment),
        store=g.store,
        paper=paper,
    )


CSV_HEADER = ("rma_reference", "serial", "model", "fault", "note", "swap_date", "outcome")


@bp.get("/shipments/<int:shipment_id>/packing-list.csv")
@access.staff_required()
def packing_list_csv(shipment_id: int) -> Response:
    shipment = _shipment_or_404(shipment_id)
    rows = (
        (
            shipment.rma_reference,
            unit.device.serial,
            unit.device.product.name,
            unit.fault,
            unit.note,
            unit.since.isoformat(),
            unit.outcome,
        )
        for unit in service.packed(shipment)
    )
    return csv_response(CSV_HEADER, rows, f"shipment-{shipment.id}.csv")
