"""The admin's markets and stores: lists, and a form each to create or edit one."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from peewee import fn

from .. import access, policy
from ..manager.forms import StaffForm
from ..models import Market, Sale, Staff, Store
from ..services import DomainError, FieldErrors
from ..services import staff as staff_service
from ..services import stores as store_service
from . import bp
from .forms import MarketForm, StoreForm


def show_errors(form: FlaskForm, err: DomainError) -> int:
    """Each message beside its field; one without a field goes to the top of the page."""
    errors = err.errors if isinstance(err, FieldErrors) else {err.field or "": err.message}
    for name, message in errors.items():
        target = getattr(form, name, None) if name else None
        if target is not None and hasattr(target, "errors"):
            target.errors = [message]
        else:
            flash(message)
    return err.status


@bp.get("/")
@access.staff_required("manager")
def index():
    return redirect(url_for("backoffice.catalog"))


def _market_rows() -> list[Market]:
    counts = dict(Store.select(Store.market, fn.COUNT(Store.id)).group_by(Store.market).tuples())
    rows = list(Market.select().order_by(Market.code))
    for market in rows:
        market.store_count = counts.get(market.id, 0)
        market.rate_texts = [policy.vat_percent_text(r) for r in market.rates]
    return rows


def _market_values(form: MarketForm) -> dict:
    return {name: getattr(form, name).data for name in ("code", "name", "currency", "vat_rates")}


@bp.route("/markets", methods=["GET", "POST"])
@access.staff_required("admin")
def markets():
    form = MarketForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                market = store_service.create_market(
                    _market_values(form), by=access.current_staff()
                )
            except DomainError as err:
                status = show_errors(form, err)
            else:
                flash(_("Market %(code)s created.", code=market.code))
                return redirect(url_for("backoffice.markets"))
        else:
            status = 422
    return render_template("backoffice/markets.html", form=form, markets=_market_rows()), status


def _rates_text(market: Market) -> str:
    return ", ".join(policy.vat_percent_text(r) for r in market.rates)


@bp.route("/markets/<int:market_id>", methods=["GET", "POST"])
@access.staff_required("admin")
def market(market_id: int):
    found = Market.get_or_none(Market.id == market_id) or abort(404)
    if request.method == "POST":
        form = MarketForm()
    else:
        form = MarketForm(
            formdata=None,
            data={
                "code": found.code,
                "name": found.name,
                "currency": found.currency,
                "vat_rates": _rates_text(found),
            },
        )
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                store_service.update_market(found, _market_values(form), by=access.current_staff())
            except DomainError as err:
                status = show_errors(form, err)
            else:
                flash(_("Market %(code)s saved.", code=form.code.data.upper()))
                return redirect(url_for("backoffice.markets"))
        else:
            status = 422
    return render_template("backoffice/market.html", form=form, market=found), status


@bp.get("/stores")
@access.staff_required("admin")
def stores():
    rows = list(Store.select(Store, Market).join(Market).order_by(Store.code))
    sold = set(
        Sale.select(Sale.store).distinct().tuples().where(Sale.store.in_([s.id for s in rows]))
    )
    return render_template("backoffice/stores.html", stores=rows, with_sales={s for (s,) in sold})


def _store_page(
    form: StoreForm, store: Store | None, status: int, staff_form: StaffForm | None = None
):  # noqa: ANN202
    people = []
    if store is not None:
        people = list(
            Staff.select()
            .where(Staff.store == store)
            .order_by(Staff.is_active.desc(), Staff.display_name)
        )
    return (
        render_template(
            "backoffice/store.html",
            form=form,
            store=store,
            people=people,
            staff_form=staff_form or StaffForm(formdata=None),
            timezones=sorted(available_timezones()),
        ),
        status,
    )


def _store_values(form: StoreForm) -> dict:
    return {name: getattr(form, name).data for name in store_service.STORE_FIELDS}


@bp.route("/stores/new", methods=["GET", "POST"])
@access.staff_required("admin")
def new_store():
    form = (
        StoreForm()
        if request.method == "POST"
        else StoreForm(formdata=None, data=store_service.DEFAULTS | {"language": "en"})
    )
    form.set_markets(list(Market.select().order_by(Market.code)))
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                store = store_service.create_store(_store_values(form), by=access.current_staff())
            except DomainError as err:
                status = show_errors(form, err)
            else:
                flash(_("Store %(code)s created. Now add its first manager.", code=store.code))
                return redirect(url_for("backoffice.store", store_id=store.id))
        else:
            status = 422
    return _store_page(form, None, status)


def _store_form_of(store: Store) -> StoreForm:
    data = {n: getattr(store, n) for n in store_service.STORE_FIELDS if n != "market"}
    return StoreForm(formdata=None, data=data | {"market": store.market_id})


@bp.route("/stores/<int:store_id>", methods=["GET", "POST"])
@access.staff_required("admin")
def store(store_id: int):
    found = Store.get_or_none(Store.id == store_id) or abort(404)
    form = StoreForm() if request.method == "POST" else _store_form_of(found)
    form.set_markets(list(Market.select().order_by(Market.code)))
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                store_service.update_store(found, _store_values(form), by=access.current_staff())
            except DomainError as err:
                status = show_errors(form, err)
            else:
                flash(_("Store %(code)s saved.", code=form.code.data.upper()))
                return redirect(url_for("backoffice.stores"))
        else:
            status = 422
    return _store_page(form, found, status)


@bp.post("/stores/<int:store_id>/staff")
@access.staff_required("admin")
def add_staff(store_id: int):
    """A new store's first people: its manager signs in on its tablet and adds the rest."""
    found = Store.get_or_none(Store.id == store_id) or abort(404)
    staff_form = StaffForm()
    status = 422
    if staff_form.validate():
        try:
            member = staff_service.create_staff(
                found,
                username=staff_form.username.data,
                display_name=staff_form.display_name.data,
                role=staff_form.role.data,
                password=staff_form.password.data,
                pin=staff_form.pin.data,
                by=access.current_staff(),
            )
        except DomainError as err:
            status = show_errors(staff_form, err)
        else:
            flash(
                _(
                    "%(name)s can now sign in at %(store)s.",
                    name=member.display_name,
                    store=found.name,
                )
            )
            return redirect(url_for("backoffice.store", store_id=found.id))
    form = _store_form_of(found)
    form.set_markets(list(Market.select().order_by(Market.code)))
    return _store_page(form, found, status, staff_form)
