"""The swap desk: find the device, choose what happened, replace or refund."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

from .. import access, clock, policy
from ..formatting import SWAP_REASONS
from ..models import Device, Product
from ..services import DomainError, registrations
from ..services import swaps as swap_desk
from . import bp
from .forms import CASE_CHOICES, FindForm, MoneyBackForm, RegisterForm, ReplaceForm


def _is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def _device_models() -> list[tuple[int, str]]:
    models = Product.select().where(Product.kind == "device").order_by(Product.name)
    return [(p.id, p.name) for p in models]


def _device_page(file: swap_desk.DeviceFile) -> str:
    return render_template(
        "swaps/device.html",
        file=file,
        windows=file.windows(),
        cases=CASE_CHOICES,
        today=clock.today_in(g.store.timezone),
        not_with_customer=SWAP_REASONS["not_with_customer"],
    )


@bp.get("/")
@access.staff_required()
def find():
    form = FindForm(request.args)
    if not request.args:
        return render_template("swaps/find.html", form=FindForm(formdata=None))
    if not form.validate():
        return render_template("swaps/find.html", form=form), 422
    try:
        file = swap_desk.find(form.serial.data)
    except DomainError as err:
        form.serial.errors = [err.message]
        return render_template("swaps/find.html", form=form, unknown=err.status == 404), err.status
    return redirect(url_for("swaps.device", device_id=file.device.id))


def _file_or_404(device_id: int) -> swap_desk.DeviceFile:
    if not Device.select().where(Device.id == device_id).exists():
        abort(404)
    return swap_desk.load(device_id)


@bp.get("/devices/<int:device_id>")
@access.staff_required()
def device(device_id: int):
    return _device_page(_file_or_404(device_id))


@bp.post("/devices/<int:device_id>/assess")
@access.staff_required()
def assess(device_id: int):
    """What the policy says for the chosen case, shown at once; refusals are recorded."""
    case = request.form.get("case", "")
    if case not in policy.SWAP_CASES:
        return render_template("swaps/_decision.html", error=True), 422
    file = _file_or_404(device_id)
    decision = swap_desk.decide(file, case, clock.today_in(g.store.timezone))
    if not decision.allowed:
        swap_desk.record_refusal(g.store, access.current_staff(), file, case, decision)
    return render_template(
        "swaps/_decision.html",
        file=file,
        case=case,
        decision=decision,
        replace_form=ReplaceForm(formdata=None),
        money_back_form=MoneyBackForm(formdata=None),
    )


@bp.post("/devices/<int:device_id>/replace")
@access.staff_required()
def replace(device_id: int):
    form = ReplaceForm()
    case = request.form.get("case", "")
    file = _file_or_404(device_id)
    if case not in policy.SWAP_CASES:
        abort(400)
    decision = swap_desk.decide(file, case, clock.today_in(g.store.timezone))
    if form.validate():
        try:
            swap = swap_desk.replace(
                g.store,
                access.current_staff(),
                device_id,
                case=case,
                replacement_serial=form.replacement.data,
                fault_code=form.fault_code.data,
                note=form.note.data or "",
            )
        except DomainError as err:
            target = getattr(form, err.field or "", None)
            if target is not None and err.field != "case":
                target.errors = [err.message]
            else:
                form.form_errors.append(err.message)
            status = err.status
        else:
            return access.hx_aware_redirect(url_for("swaps.receipt", swap_id=swap.id))
    else:
        status = 422
    return (
        render_template(
            "swaps/_decision.html", file=file, case=case, decision=decision, replace_form=form
        ),
        status,
    )


@bp.post("/devices/<int:device_id>/money-back")
@access.staff_required()
def money_back(device_id: int):
    _file_or_404(device_id)
    form = MoneyBackForm()
    error_message = None
    if form.validate():
        try:
            swap = swap_desk.money_back(
                g.store, access.current_staff(), device_id, unit_state=form.unit_state.data
            )
        except DomainError as err:
            if err.field == "unit_state":
                form.unit_state.errors = [err.message]
            else:
                error_message = err.message
            status = err.status
        else:
            return access.hx_aware_redirect(url_for("swaps.receipt", swap_id=swap.id))
    else:
        status = 422
    file = swap_desk.load(device_id)
    decision = swap_desk.decide(file, "money_back", clock.today_in(g.store.timezone))
    return (
        render_template(
            "swaps/_decision.html",
            file=file,
            case="money_back",
            decision=decision,
            error_message=error_message,
            replace_form=ReplaceForm(formdata=None),
            money_back_form=form,
        ),
        status,
    )


@bp.route("/register", methods=["GET", "POST"])
@access.staff_required()
def register():
    """Register a unit first (ours, or bought elsewhere with the receipt's date)."""
    serial = request.values.get("serial", "")
    form = RegisterForm()
    form.product_id.choices = _device_models()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                registrations.register_device(
                    g.store,
                    access.current_staff(),
                    serial=serial,
                    email=form.email.data,
                    name=form.name.data,
                    birth=form.birth_date.data,
                    marketing_consent=form.marketing.data,
                    purchase_date=form.purchase_date.data,
                    product_id=form.product_id.data,
                )
            except DomainError as err:
                field = getattr(form, err.field or "", None)
                (field.errors if field is not None else form.form_errors).append(err.message)
                status = err.status
            else:
                file = swap_desk.find(serial)
                return redirect(url_for("swaps.device", device_id=file.device.id))
        else:
            status = 422
    try:
        file = swap_desk.find(serial) if serial else None
    except DomainError:
        file = None
    return render_template("swaps/register.html", form=form, serial=serial, file=file), status


@bp.get("/<int:swap_id>/receipt")
@access.staff_required()
def receipt(swap_id: int):
    # An admin reprints any store's receipt from the reports; staff only their own store's.
    member = access.current_staff()
    swap = swap_desk.swap_for_receipt(swap_id, None if member.role == "admin" else g.store)
    if swap is None:
        abort(404)
    return render_template(
        "swaps/receipt.html", swap=swap, store=swap.store, refund_vat=swap_desk.refund_vat(swap)
    )
