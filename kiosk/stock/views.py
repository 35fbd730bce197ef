"""Stock: a delivery scanned into the store, where any unit is, and the stock per product."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import access, formatting
from ..manager.views import _all_stores, _stores
from ..models import Delivery, DeliveryLine, Store
from ..services import DomainError, intake, receiving
from ..services import stock as stock_service
from . import bp
from .forms import LowLevelForm, QuantityForm, ReferenceForm, ScanForm, UnitForm


@bp.context_processor
def labels() -> dict:
    return {
        "status_label": formatting.status_label,
        "event_label": formatting.event_label,
        "local_time_zoned": formatting.local_time_zoned,
    }


def _is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def _language() -> str:
    return g.store.language


@bp.get("/")
@access.staff_required()
def home():
    return _home(ReferenceForm(formdata=None))


def _home(start_form: ReferenceForm, status: int = 200):
    member = access.current_staff()
    manager = member.has_role("manager")
    return (
        render_template(
            "stock/home.html",
            delivery=intake.open_delivery(g.store),
            start_form=start_form,
            unit_form=UnitForm(formdata=None),
            recent=stock_service.recent_deliveries(g.store),
            low=stock_service.low_stock([g.store], _language()) if manager else [],
            manager=manager,
        ),
        status,
    )


@bp.post("/deliveries")
@access.staff_required()
def start_delivery():
    form = ReferenceForm()
    if not form.validate():
        return _home(form, 422)
    reference = form.reference.data
    try:
        delivery = intake.start(g.store, access.current_staff(), reference)
    except DomainError as err:
        form.reference.errors = [err.message]
        return _home(form, err.status)
    if delivery.reference != " ".join(reference.split()):
        flash(
            _(
                "Delivery %(reference)s is already being received here: carry on with it, "
                "then start the next.",
                reference=delivery.reference,
            )
        )
    return redirect(url_for("stock.delivery", delivery_id=delivery.id))


def _delivery_or_404(delivery_id: int) -> Delivery:
    delivery = intake.delivery_of(g.store, delivery_id)
    if delivery is None:
        abort(404)
    return delivery


def _draft_page(
    delivery: Delivery,
    *,
    quantity_form: QuantityForm | None = None,
    reference_form: ReferenceForm | None = None,
    receive_error: str | None = None,
    status: int = 200,
):
    language = _language()
    return (
        render_template(
            "stock/delivery.html",
            delivery=delivery,
            lines=stock_service.lines(delivery, language),
            tally=stock_service.tally(delivery, language),
            models=stock_service.device_models(language),
            counted=stock_service.counted_products(language),
            scan_form=ScanForm(formdata=None),
            quantity_form=quantity_form or QuantityForm(formdata=None),
            reference_form=reference_form or ReferenceForm(formdata=None, obj=delivery),
            receive_error=receive_error,
        ),
        status,
    )


@bp.get("/deliveries/<int:delivery_id>")
@access.staff_required()
def delivery(delivery_id: int):
    found = _delivery_or_404(delivery_id)
    if found.status == "received":
        return redirect(url_for("stock.note", delivery_id=found.id))
    if found.status == "discarded":
        flash(_("Delivery %(reference)s was discarded.", reference=found.reference))
        return redirect(url_for("stock.home"))
    return _draft_page(found)


def _open_or_404(delivery_id: int) -> Delivery:
    found = _delivery_or_404(delivery_id)
    if found.status != "open" and not _is_htmx():
        abort(409, description=_("This delivery is no longer open: it was received or discarded."))
    return found


def _scan_answer(
    delivery: Delivery,
    *,
    message: str,
    refused: bool,
    status: int,
    line: DeliveryLine | None = None,
    created: bool = True,
):
    """The new line for the top of the list, and the counts and the field's message beside it."""
    if not _is_htmx():
        flash(message)
        return redirect(url_for("stock.delivery", delivery_id=delivery.id))
    tally = stock_service.tally(delivery, _language())
    if line is not None:
        line.name = tally.name_of(line.product_id)
    return (
        render_template(
            "stock/_scanned.html",
            delivery=delivery,
            line=line,
            tally=tally,
            message=message,
            refused=refused,
            created=created,
        ),
        status,
    )


@bp.post("/deliveries/<int:delivery_id>/scan")
@access.staff_required()
def scan(delivery_id: int):
    # Not read here: the scan's first statement checks it is this store's and open.
    found = Delivery(id=delivery_id, store=g.store.id)
    form = ScanForm()
    if not form.validate():
        field, errors = next(iter(form.errors.items()))
        return _scan_answer(
            _delivery_or_404(delivery_id), message=str(errors[0]), refused=True, status=422
        )
    try:
        done = intake.scan(
            found,
            access.current_staff(),
            form.code.data,
            chosen=form.model.data,
            language=_language(),
        )
    except DomainError as err:
        if err.status == 404:
            abort(404)
        return _scan_answer(found, message=err.message, refused=True, status=err.status)
    return _scan_answer(
        found,
        message=done.message,
        refused=done.refused,
        status=done.status,
        line=done.line,
        created=done.created,
    )


@bp.post("/deliveries/<int:delivery_id>/quantity")
@access.staff_required()
def add_quantity(delivery_id: int):
    found = _open_or_404(delivery_id)
    form = QuantityForm()
    if form.validate():
        try:
            line = intake.add_quantity(
                found, access.current_staff(), form.product.data, form.quantity.data
            )
        except DomainError as err:
            getattr(form, err.field or "quantity").errors = [err.message]
            return _draft_page(found, quantity_form=form, status=err.status)
        flash(_("%(quantity)d now on the line.", quantity=line.quantity))
        return redirect(url_for("stock.delivery", delivery_id=found.id))
    return _draft_page(found, quantity_form=form, status=422)


@bp.post("/deliveries/<int:delivery_id>/lines/<int:line_id>/remove")
@access.staff_required()
def remove_line(delivery_id: int, line_id: int):
    found = _open_or_404(delivery_id)
    try:
        intake.remove_line(found, line_id)
    except DomainError as err:
        return _scan_answer(found, message=err.message, refused=True, status=err.status)
    return _scan_answer(found, message=_("The line is removed."), refused=False, status=200)


@bp.post("/deliveries/<int:delivery_id>/reference")
@access.staff_required()
def set_reference(delivery_id: int):
    found = _open_or_404(delivery_id)
    form = ReferenceForm()
    if form.validate():
        try:
            intake.set_reference(found, form.reference.data)
        except DomainError as err:
            form.reference.errors = [err.message]
            return _draft_page(found, reference_form=form, status=err.status)
        return redirect(url_for("stock.delivery", delivery_id=found.id))
    return _draft_page(found, reference_form=form, status=422)


@bp.post("/deliveries/<int:delivery_id>/receive")
@access.staff_required()
def receive(delivery_id: int):
    found = _delivery_or_404(delivery_id)
    if found.status == "received":  # a double tap, or the back button: the note, once
        return redirect(url_for("stock.note", delivery_id=found.id))
    if found.status != "open":
        abort(409, description=_("This delivery is no longer open: it was received or discarded."))
    try:
        receiving.receive(found, g.store, access.current_staff())
    except DomainError as err:
        now = intake.delivery_of(g.store, found.id)
        if now is None or now.status != "open":  # received or discarded on another tablet
            flash(err.message)
            return redirect(url_for("stock.delivery", delivery_id=found.id))
        return _draft_page(now, receive_error=err.message, status=err.status)
    flash(_("Delivery %(reference)s is in stock.", reference=found.reference))
    return redirect(url_for("stock.note", delivery_id=found.id))


@bp.post("/deliveries/<int:delivery_id>/discard")
@access.staff_required()
def discard(delivery_id: int):
    found = _open_or_404(delivery_id)
    try:
        intake.discard(found, access.current_staff())
    except DomainError as err:
        abort(409, description=err.message)
    flash(_("Delivery %(reference)s was discarded.", reference=found.reference))
    return redirect(url_for("stock.home"))


@bp.get("/deliveries/<int:delivery_id>/note")
@access.staff_required()
def note(delivery_id: int):
    """The receiving note, printed on the receipt printer (80 mm) or on A4."""
    found = _delivery_or_404(delivery_id)
    if found.status != "received":
        return redirect(url_for("stock.delivery", delivery_id=found.id))
    all_lines = stock_service.lines(found, _language())
    paper = "a4" if request.args.get("paper") == "a4" else "80mm"
    return render_template(
        "stock/note.html",
        delivery=found,
        kept=[line for line in reversed(all_lines) if not line.refusal],
        refused=[line for line in reversed(all_lines) if line.refusal],
        tally=stock_service.tally(found, _language()),
        paper=paper,
    )


@bp.get("/units")
@access.staff_required()
def unit():
    """Where is this unit: any serial of the chain, and every step of its life."""
    if not request.args:
        return render_template("stock/unit.html", form=UnitForm(formdata=None), life=None)
    form = UnitForm(request.args)
    if not form.validate():
        return render_template("stock/unit.html", form=form, life=None), 422
    try:
        life = stock_service.life(form.serial.data, _language())
    except DomainError as err:
        form.serial.errors = [err.message]
        return render_template("stock/unit.html", form=form, life=None), err.status
    return render_template("stock/unit.html", form=form, life=life)


@bp.get("/levels")
@access.staff_required("manager")
def levels():
    stores, scope = _stores()
    return render_template(
        "stock/levels.html",
        rows=stock_service.overview(stores, _language()),
        stores=stores,
        scope=scope,
        all_stores=_all_stores(),
        error=None,
        saved=False,
    )


def _store_to_manage(store_id: int) -> Store:
    member = access.current_staff()
    if member.role != "admin" and store_id != member.store_id:
        abort(403)
    store = Store.get_or_none(Store.id == store_id)
    if store is None:
        abort(404)
    return store


@bp.post("/levels/<int:store_id>/<int:product_id>")
@access.staff_required("manager")
def set_level(store_id: int, product_id: int):
    store = _store_to_manage(store_id)
    form = LowLevelForm()
    error = None
    if form.validate():
        try:
            stock_service.set_low_level(
                store, product_id, form.level.data, by=access.current_staff()
            )
        except DomainError as err:
            error = err
    else:
        error = DomainError(form.level.errors[0], field="level", status=422)
    if not _is_htmx():
        flash(error.message if error else _("Low-stock level saved."))
        return redirect(url_for("stock.levels", store=request.args.get("store", "")))
    row = next(
        (r for r in stock_service.overview([store], _language()) if r.product_id == product_id),
        None,
    )
    if row is None:
        abort(404)
    return (
        render_template(
            "stock/_level_row.html",
            row=row,
            scope=request.args.get("store", ""),
            error=error.message if error else None,
            saved=error is None,
        ),
        error.status if error else 200,
    )
