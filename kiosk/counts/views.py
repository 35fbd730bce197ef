"""Stock counts: start one, scan the shelf, see the differences, close with a reason each."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import access, policy
from ..models import Product, StockCount
from ..services import DomainError
from ..services import counts as service
from . import bp
from .forms import ScanForm, StartForm


def _start_form(formdata: object = None) -> StartForm:
    form = StartForm(formdata=formdata) if formdata is not None else StartForm(formdata=None)
    models = Product.select().where(Product.kind == "device").order_by(Product.name)
    form.product_id.choices = [(0, _("Every device model"))] + [(p.id, p.name) for p in models]
    return form


def _index(form: StartForm, status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "counts/index.html",
            form=form,
            current=service.open_count(g.store),
            counts=service.recent(g.store),
        ),
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
        count = service.start(g.store, access.current_staff(), form.product_id.data or None)
    except DomainError as err:
        form.product_id.errors = [err.message]
        return _index(form, err.status)
    return redirect(url_for("counts.count", count_id=count.id))


def _count_or_404(count_id: int) -> StockCount:
    count = service.count_of(g.store, count_id)
    if count is None:
        abort(404)
    return count


def _page(
    count: StockCount,
    scan_form: ScanForm | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The count page, or only its scanning section for an HTMX scan."""
    partial = access.partial_request() and request.method == "POST"
    closed = count.status == "closed"
    return (
        render_template(
            "counts/_scan.html" if partial else "counts/count.html",
            count=count,
            found=None if closed else service.differences(count),
            results=service.results(count) if closed else [],
            scan_form=scan_form or ScanForm(formdata=None),
            reasons=policy.COUNT_REASONS,
            errors=errors or {},
        ),
        status,
    )


@bp.get("/<int:count_id>")
@access.staff_required()
def count(count_id: int):
    return _page(_count_or_404(count_id))


@bp.post("/<int:count_id>/scan")
@access.staff_required()
def scan(count_id: int):
    count = _count_or_404(count_id)
    form = ScanForm()
    if not form.validate():
        return _page(count, scan_form=form, status=422)
    try:
        device = service.scan(g.store, access.current_staff(), count.id, form.serial.data)
    except DomainError as err:
        form.serial.errors = [err.message]
        return _page(count, scan_form=form, status=err.status)
    done = ScanForm(formdata=None)
    done.scanned = device.serial
    return _page(count, scan_form=done)


@bp.post("/<int:count_id>/close")
@access.staff_required("manager")
def close(count_id: int):
    count = _count_or_404(count_id)
    reasons: dict[int, str] = {}
    for key, value in request.form.items():
        name, _sep, device_id = key.partition("-")
        if name == "reason" and device_id.isascii() and device_id.isdigit() and len(device_id) < 10:
            reasons[int(device_id)] = value
    try:
        found = service.close(g.store, access.current_staff(), count.id, reasons)
    except DomainError as err:
        return _page(count, errors={err.field or "close": err.message}, status=err.status)
    flash(
        _(
            "Count closed: %(seen)d counted, %(missing)d missing, %(unexpected)d not expected.",
            seen=len(found.scanned) - len(found.unexpected),
            missing=len(found.missing),
            unexpected=len(found.unexpected),
        )
    )
    return redirect(url_for("counts.count", count_id=count.id))
