"""The counter: cart, scan, age check, completing a sale, the receipt and its claim QR."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .. import access, clock
from ..formatting import contact_masked, public_url
from ..models import Device, Product, Sale
from ..services import DomainError, accounts, catalog, claiming, claims, qr, registrations, sales
from ..services import cart as carts
from . import bp
from .forms import (
    AddProductForm,
    AgeCheckForm,
    CompleteForm,
    CounterSignUpForm,
    QuantityForm,
    ScanForm,
)

KINDS = catalog.KINDS


def _is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def _cart():
    """This person's open cart, read once per request (the view and its render share it)."""
    if "cart" not in g:
        g.cart = carts.open_cart(g.store, access.current_staff())
    return g.cart


def _products(query: str = "", kind: str = "") -> list[Product]:
    return catalog.sellable(g.store, query, kind)


def _render(
    *,
    message: str | None = None,
    error: str | None = None,
    error_field: str | None = None,
    status: int = 200,
    age_form: AgeCheckForm | None = None,
    priced: carts.PricedCart | None = None,
):
    """The cart fragment for HTMX, the whole counter page otherwise."""
    priced = priced or carts.price(_cart())
    context = {
        "priced": priced,
        "message": message,
        "error": error,
        "error_field": error_field,
        "age_check_form": (
            _age_check_form(priced, age_form, error, error_field)
            if priced.age_check_needed
            else None
        ),
        "store": g.store,
    }
    if _is_htmx():
        return render_template("counter/_cart.html", **context), status
    context["products"] = _products()
    context["kinds"] = KINDS
    return render_template("counter/cart.html", **context), status


# The age check's fields and the refusal shown in its form.
AGE_CHECK_FIELDS = ("birth_date", "document_type", "method", "age_check")
_CSRF_SLOT = "\x00csrf\x00"
_untouched_age_checks: dict[tuple[str, int | None, int], str] = {}


def _age_check_form(
    priced: carts.PricedCart,
    age_form: AgeCheckForm | None,
    error: str | None,
    error_field: str | None,
) -> Markup:
    """The age check's form for a cart that needs one.

    Untouched (nothing typed, no error at it) the form is the same for every cart needing
    the same age in one store's language, and drawing it was half of a scan's page work: it
    is drawn once per worker and language and only this session's CSRF token is put in.
    """
    context = {"priced": priced, "store": g.store, "error": error, "error_field": error_field}
    if age_form is not None or error_field in AGE_CHECK_FIELDS:
        form = age_form or AgeCheckForm(formdata=None)
        drawn = render_template(
            "counter/_age_check.html", age_form=form, csrf=generate_csrf(), **context
        )
        return Markup(drawn)  # noqa: S704 - a template's output, escaped by Jinja
    key = (str(get_locale()), g.store.challenge_age, priced.required_age)
    drawn = _untouched_age_checks.get(key)
    if drawn is None:
        drawn = render_template(
            "counter/_age_check.html",
            age_form=AgeCheckForm(formdata=None),
            csrf=_CSRF_SLOT,
            **context,
        )
        _untouched_age_checks[key] = drawn
    # Markup's replace escapes the token it puts in.
    return Markup(drawn).replace(_CSRF_SLOT, generate_csrf())  # noqa: S704 - as above


def _after_change(
    message: str | None = None,
    error: DomainError | None = None,
    priced: carts.PricedCart | None = None,
):
    if error is not None:
        if not _is_htmx():
            flash(error.message)
            return redirect(url_for("counter.cart"))
        return _render(
            error=error.message, error_field=error.field, status=error.status, priced=priced
        )
    if not _is_htmx():
        return redirect(url_for("counter.cart"))
    return _render(message=message, priced=priced)


@bp.get("/")
@access.staff_required()
def cart():
    return _render()


@bp.get("/products")
@access.staff_required()
def products():
    items = _products(request.args.get("q", ""), request.args.get("kind", ""))
    return render_template("counter/_products.html", products=items)


@bp.get("/devices/<int:product_id>")
@access.staff_required()
def serials(product_id: int):
    product = Product.get_or_none(Product.id == product_id)
    if product is None or product.kind != "device":
        abort(404)
    units = (
        Device.select(Device.id, Device.serial)
        .where(
            (Device.product == product) & (Device.store == g.store) & (Device.status == "in_stock")
        )
        .order_by(Device.serial)
        .limit(24)
    )
    return render_template("counter/_serials.html", product=product, units=list(units))


@bp.post("/scan")
@access.staff_required()
def scan():
    form = ScanForm()
    if not form.validate():
        return _after_change(error=DomainError(form.code.errors[0], field="code", status=422))
    try:
        name = carts.scan(_cart(), form.code.data)
    except DomainError as err:
        return _after_change(error=err)
    return _after_change(message=name)


@bp.post("/lines")
@access.staff_required()
def add_line():
    form = AddProductForm()
    if not form.validate():
        return _after_change(error=DomainError(_("Choose a product."), status=422))
    try:
        carts.add_product(_cart(), form.product_id.data)
    except DomainError as err:
        return _after_change(error=err)
    return _after_change()


@bp.post("/lines/<int:line_id>/quantity")
@access.staff_required()
def set_quantity(line_id: int):
    form = QuantityForm()
    if not form.validate():
        return _after_change(
            error=DomainError(form.quantity.errors[0], field="quantity", status=422)
        )
    try:
        carts.set_quantity(_cart(), line_id, form.quantity.data)
    except DomainError as err:
        return _after_change(error=err)
    return _after_change()


@bp.post("/lines/<int:line_id>/remove")
@access.staff_required()
def remove_line(line_id: int):
    try:
        carts.remove_line(_cart(), line_id)
    except DomainError as err:
        return _after_change(error=err)
    return _after_change()


@bp.post("/clear")
@access.staff_required()
def clear():
    carts.abandon(_cart())
    g.pop("cart")  # the next render starts a new cart
    return _after_change(message=_("The cart is cleared."))


@bp.post("/age-check")
@access.staff_required()
def age_check():
    form = AgeCheckForm()
    if not form.validate():
        field, errors = next(iter(form.errors.items()))
        return _after_change(error=DomainError(str(errors[0]), field=field, status=422))
    current = _cart()
    member = access.current_staff()
    # "No ID: refuse" is its own button, so a refusal is one tap.
    method = "no_id" if request.form.get("refuse") == "no_id" else form.method.data
    try:
        birth = None
        if method == "document":
            birth = sales.birth_date_from(
                form.day.data or "",
                form.month.data or "",
                form.year.data or "",
                today=_today(),
            )
        result = sales.record_age_check(
            current,
            member,
            method=method,
            document_type=form.document_type.data,
            birth=birth,
        )
    except DomainError as err:
        if not _is_htmx():
            flash(err.message)
            return redirect(url_for("counter.cart"))
        return _render(error=err.message, error_field=err.field, status=err.status, age_form=form)
    if result.passed:
        return _after_change(priced=result.priced)  # the cart itself now shows the pass
    return _after_change(
        error=DomainError(result.message, field="age_check", status=403), priced=result.priced
    )


def _today() -> date:
    return clock.today_in(g.store.timezone)


@bp.post("/complete")
@access.staff_required()
def complete():
    form = CompleteForm()
    if not form.validate():
        return _after_change(
            error=DomainError(_("Choose card or cash."), field="tender", status=422)
        )
    try:
        done = sales.complete_sale(
            _cart(),
            access.current_staff(),
            tender=form.tender.data,
            idempotency_key=form.idempotency_key.data,
        )
    except DomainError as err:
        g.pop("cart")  # the cart may have been finished meanwhile: render what is open now
        return _after_change(error=err)
    # The QR's secret is not kept anywhere: the receipt derives it again (services.claims).
    return access.hx_aware_redirect(url_for("counter.receipt", sale_id=done.sale.id))


def _claim_view(found: sales.Receipt) -> dict:
    # None once claimed (phone, link or counter) or expired: a reprint carries no dead QR.
    claim = claims.live_secret(found.claim)
    if claim is None:
        return {"claim_url": None, "qr_svg": None, "claim_code": None, "short_claim_url": None}
    claim_url = public_url("claim.open_token", token=claim.token)
    return {
        "short_claim_url": public_url("claim.enter_code"),
        "claim_url": claim_url,
        "qr_svg": qr.svg(claim_url),
        "claim_code": claims.format_code(claim.code),
    }


@bp.get("/sales/<int:sale_id>/receipt")
@access.staff_required()
def receipt(sale_id: int):
    found = sales.receipt(sale_id, g.store.id)
    if found is None:
        abort(404)
    return render_template(
        "counter/receipt.html", receipt=found, store=g.store, **_claim_view(found)
    )


def _sale_or_404(sale_id: int):  # noqa: ANN202
    sale = Sale.get_or_none((Sale.id == sale_id) & (Sale.store == g.store))
    if sale is None:
        abort(404)
    return sale


@bp.post("/sales/<int:sale_id>/link")
@access.staff_required()
def link(sale_id: int):
    """Link a finished sale to the account QR the customer shows: devices register at once."""
    sale = _sale_or_404(sale_id)
    try:
        customer = accounts.customer_from_qr(request.form.get("code", ""))
        claiming.link_sale(sale, customer, access.current_staff())
    except DomainError as err:
        flash(err.message)
        return redirect(url_for("counter.receipt", sale_id=sale_id))
    flash(
        _(
            "The devices are registered to %(email)s.",
            email=contact_masked(customer.email, customer.mobile),
        )
    )
    return redirect(url_for("counter.receipt", sale_id=sale_id))


@bp.route("/sales/<int:sale_id>/register", methods=["GET", "POST"])
@access.staff_required()
def register_customer(sale_id: int):
    """Register the customer at the counter: email, name, date of birth and their choices."""
    sale = _sale_or_404(sale_id)
    form = CounterSignUpForm()
    status = 200
    if form.validate_on_submit():
        try:
            done = registrations.register_customer_for_sale(
                sale,
                access.current_staff(),
                email=form.email.data,
                name=form.name.data,
                birth=form.birth_date.data,
                marketing_consent=form.marketing.data,
            )
        except DomainError as err:
            getattr(form, err.field or "email", form.email).errors = [err.message]
            status = err.status
        else:
            email = contact_masked(done.customer.email, done.customer.mobile)
            if done.activation_sent is None:  # their own account, found by email and birth date
                flash(_("Registered to %(email)s.", email=email))
            elif done.activation_sent:
                flash(_("Registered to %(email)s. The activation mail is on its way.", email=email))
            else:
                flash(
                    _(
                        "Registered to %(email)s, but the activation mail could not be sent now. "
                        "The customer can ask for it again at %(url)s.",
                        email=email,
                        url=public_url("account.resend_activation"),
                    )
                )
            return redirect(url_for("counter.receipt", sale_id=sale_id))
    elif form.errors:
        status = 422
    return render_template("counter/register.html", form=form, sale=sale), status


@bp.get("/sales/<int:sale_id>/claim/status")
@access.staff_required()
def claim_status(sale_id: int):
    """Polled by the kiosk's QR screen: has the customer claimed it on their phone yet?"""
    token = claims.claim_state(_sale_or_404(sale_id))
    if token is None or token.claimed_at is None:
        return Response(status=204)  # nothing new: htmx keeps the QR on screen
    claimed_by = (
        contact_masked(token.claimed_by.email, token.claimed_by.mobile)
        if token.claimed_by_id
        else "—"
    )
    return render_template("counter/_claim_status.html", claimed_by=claimed_by)


@bp.get("/sales/<int:sale_id>/claim")
@access.staff_required()
def show_claim(sale_id: int):
    """The claim QR, large, turned to the customer to scan with their phone right away."""
    found = sales.receipt(sale_id, g.store.id)
    if found is None:
        abort(404)
    view = _claim_view(found)
    if view["qr_svg"] is None:
        return redirect(url_for("counter.receipt", sale_id=sale_id))
    return render_template("counter/claim_qr.html", sale_id=sale_id, **view)
