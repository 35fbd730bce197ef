"""Transfers between stores: prepare and send, receive by scanning, or cancel."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import access
from ..models import Product, Store, Transfer
from ..services import DomainError
from ..services import transfers as service
from . import bp
from .forms import ItemsForm, StartForm, UnitForm


def _start_form(formdata: object = None) -> StartForm:
    form = StartForm(formdata=formdata) if formdata is not None else StartForm(formdata=None)
    others = Store.select().where(Store.id != g.store.id).order_by(Store.name)
    form.to_store.choices = [(0, "—")] + [(s.id, s.name) for s in others]
    return form


def _index(form: StartForm, status: int = 200) -> tuple[str, int]:
    return (
        render_template("transfers/index.html", transfers=service.transfers(g.store), form=form),
        status,
    )


@bp.get("/")
@access.staff_required()
def index():
    return _index(_start_form())


@bp.post("/")
@access.staff_required()
def start():
    form = _start_form(request.form)
    if not form.validate():
        return _index(form, 422)
    try:
        transfer = service.start(g.store, access.current_staff(), form.to_store.data)
    except DomainError as err:
        form.to_store.errors = [err.message]
        return _index(form, err.status)
    return redirect(url_for("transfers.transfer", transfer_id=transfer.id))


def _transfer_or_404(transfer_id: int) -> Transfer:
    transfer = service.transfer_of(g.store, transfer_id)
    if transfer is None:
        abort(404)
    return transfer


def _items_form(formdata: object = None) -> ItemsForm:
    form = ItemsForm(formdata=formdata) if formdata is not None else ItemsForm(formdata=None)
    items = Product.select().where(Product.kind != "device").order_by(Product.name)
    form.product_id.choices = [(0, "—")] + [(p.id, p.name) for p in items]
    return form


def _page(
    transfer: Transfer,
    unit_form: UnitForm | None = None,
    items_form: ItemsForm | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The transfer page, or only its units section for an HTMX scan."""
    partial = access.partial_request() and request.method == "POST"
    missing, extra = service.compare(transfer)
    return (
        render_template(
            "transfers/_units.html" if partial else "transfers/transfer.html",
            transfer=transfer,
            units=service.units_of(transfer),
            lines=service.lines_of(transfer),
            missing=missing,
            extra=extra,
            sending=transfer.from_store_id == g.store.id,
            unit_form=unit_form or UnitForm(formdata=None),
            items_form=items_form or _items_form(),
            errors=errors or {},
        ),
        status,
    )


@bp.get("/<int:transfer_id>")
@access.staff_required()
def transfer(transfer_id: int):
    return _page(_transfer_or_404(transfer_id))


def _scan(transfer_id: int, action) -> tuple[str, int]:  # noqa: ANN001 - a service call
    transfer = _transfer_or_404(transfer_id)
    form = UnitForm()
    if not form.validate():
        return _page(transfer, unit_form=form, status=422)
    try:
        device = action(g.store, access.current_staff(), transfer.id, form.serial.data)
    except DomainError as err:
        form.serial.errors = [err.message]
        return _page(transfer, unit_form=form, status=err.status)
    done = UnitForm(formdata=None)
    done.scanned = getattr(device, "serial", None) or device.device.serial
    return _page(service.transfer_of(g.store, transfer.id), unit_form=done)


@bp.post("/<int:transfer_id>/units")
@access.staff_required()
def add_unit(transfer_id: int):
    return _scan(transfer_id, service.add_unit)


@bp.post("/<int:transfer_id>/receive")
@access.staff_required()
def receive_unit(transfer_id: int):
    return _scan(transfer_id, service.receive_unit)


@bp.post("/<int:transfer_id>/units/<int:device_id>/remove")
@access.staff_required()
def remove_unit(transfer_id: int, device_id: int):
    transfer = _transfer_or_404(transfer_id)
    try:
        service.remove_unit(g.store, transfer.id, device_id)
    except DomainError as err:
        flash(err.message)
    if access.partial_request():
        return _page(transfer)
    return redirect(url_for("transfers.transfer", transfer_id=transfer.id))


@bp.post("/<int:transfer_id>/items")
@access.staff_required()
def add_items(transfer_id: int):
    transfer = _transfer_or_404(transfer_id)
    form = _items_form(request.form)
    if not form.validate():
        return _page(transfer, items_form=form, status=422)
    try:
        service.add_items(g.store, transfer.id, form.product_id.data, form.quantity.data)
    except DomainError as err:
        getattr(form, err.field or "product_id").errors = [err.message]
        return _page(transfer, items_form=form, status=err.status)
    return redirect(url_for("transfers.transfer", transfer_id=transfer.id))


@bp.post("/<int:transfer_id>/send")
@access.staff_required()
def send(transfer_id: int):
    transfer = _transfer_or_404(transfer_id)
    try:
        service.send(g.store, access.current_staff(), transfer.id)
    except DomainError as err:
        return _page(transfer, errors={"send": err.message}, status=err.status)
    flash(_("The transfer to %(store)s is on its way.", store=transfer.to_store.name))
    return redirect(url_for("transfers.transfer", transfer_id=transfer.id))


@bp.post("/<int:transfer_id>/finish")
@access.staff_required()
def finish(transfer_id: int):
    transfer = _transfer_or_404(transfer_id)
    received: dict[int, int] = {}
    for line in service.lines_of(transfer):
        raw = request.form.get(f"line-{line.id}", "").strip()
        if raw.isascii() and raw.isdigit() and len(raw) <= 4:  # not "²": int() refuses it
            received[line.id] = int(raw)
    try:
        missing, _extra = service.finish(g.store, access.current_staff(), transfer.id, received)
    except DomainError as err:
        return _page(transfer, errors={err.field or "finish": err.message}, status=err.status)
    if missing:
        flash(_("Received. Missing units are recorded as lost: %(n)d.", n=len(missing)))
    else:
        flash(_("Received in full."))
    return redirect(url_for("transfers.transfer", transfer_id=transfer.id))


@bp.post("/<int:transfer_id>/cancel")
@access.staff_required()
def cancel(transfer_id: int):
    transfer = _transfer_or_404(transfer_id)
    try:
        service.cancel(g.store, access.current_staff(), transfer.id)
    except DomainError as err:
        return _page(transfer, errors={"cancel": err.message}, status=err.status)
    flash(_("The transfer is cancelled; its stock is back on this store's shelf."))
    return redirect(url_for("transfers.transfer", transfer_id=transfer.id))
