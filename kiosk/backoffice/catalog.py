"""The catalog in the back office: the list (managers read their market's prices), the
product form, deleting what never sold, and the CSV file out and in (preview first)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from .. import access, clock, policy
from ..models import Market, Product
from ..services import DomainError, catalog_admin, catalog_csv
from ..services.catalog import KINDS
from ..services.catalog_rows import columns, text_of
from . import bp
from .forms import ImportConfirmForm, ImportForm, ProductForm, product_form
from .views import show_errors

# The example the product form shows: the demo's own serial format and a serial it accepts.
SERIAL_EXAMPLE = (r"HS\d{1,4}ON\d{7}", "HS1ON0000042")


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 1


@bp.get("/catalog")
@access.staff_required("manager")
def catalog():
    member = access.current_staff()
    is_admin = member.has_role("admin")
    markets = list(Market.select().order_by(Market.code)) if is_admin else [member.store.market]
    kind = request.args.get("kind", "")
    status = request.args.get("status", "")
    page = catalog_admin.catalog_page(
        query=request.args.get("q", ""),
        kind=kind if kind in KINDS else "",
        status=status,
        market=None if is_admin else member.store.market,
        language=member.store.language,
        page=_page_number(),
    )
    return render_template(
        "backoffice/catalog.html",
        page=page,
        markets=markets,
        is_admin=is_admin,
        query=request.args.get("q", ""),
        kind=kind,
        status=status,
        vat_text=policy.vat_percent_text,
    )


def _raw(form: ProductForm, markets: list[Market]) -> dict[str, str]:
    """The form as a row of the catalog file: one set of rules for both."""
    raw = {name: form[name].data or "" for name in columns(markets) if name in form}
    raw["age_restricted"] = "yes" if form.age_restricted.data else "no"
    raw["active"] = "yes" if form.active.data else "no"
    raw["successor_sku"] = " ".join(form.successor_sku.data or [])
    for market in markets:
        if not raw[f"price_{market.code}"]:
            raw[f"vat_{market.code}"] = ""  # no price: not sold there, whatever VAT shows
    return raw


def _try_serial(form: ProductForm) -> str | None:
    """The optional serial to try: a message when the format refuses it."""
    sample = form.try_serial.data or ""
    pattern = form.serial_pattern.data or ""
    if not sample or not pattern:
        return None
    try:
        serial = policy.normalise_serial(sample)
        policy.check_serial_pattern(pattern)
    except ValueError:
        return None  # the pattern's own error shows at its field
    if not policy.serial_fits_format(serial, pattern):
        return _("%(serial)s does not have this format.", serial=serial)
    return None


def _product_page(form: ProductForm, product: Product | None, markets: list[Market], status: int):  # noqa: ANN202
    models = Product.select(Product.sku, Product.name, Product.serial_pattern).where(
        Product.kind == "device"
    )
    if product is not None:
        models = models.where(Product.id != product.id)
    models = list(models.order_by(Product.sku))
    form.successor_sku.choices = [(m.sku, f"{m.sku} · {m.name}") for m in models]
    return (
        render_template(
            "backoffice/product.html",
            form=form,
            product=product,
            markets=markets,
            patterns=[m for m in models if m.serial_pattern],
            example=SERIAL_EXAMPLE,
            deletable=product is not None and not catalog_admin.has_history(product),
        ),
        status,
    )


def _save(product: Product | None):  # noqa: ANN202
    markets = list(Market.select().order_by(Market.code))
    if request.method == "GET":
        if product is None:
            data = {"active": True, "age_restricted": True, "kind": "device"}
            data |= {f"vat_{m.code}": policy.vat_percent_text(m.rates[0]) for m in markets}
        else:
            row = catalog_admin.product_row(product)
            data = row | {
                "age_restricted": row["age_restricted"] == "yes",
                "active": row["active"] == "yes",
                "successor_sku": row["successor_sku"].split(),
            }
            for market in markets:
                data[f"vat_{market.code}"] = data[f"vat_{market.code}"] or policy.vat_percent_text(
                    market.rates[0]
                )
        return _product_page(product_form(markets, data), product, markets, 200)
    form = product_form(markets)
    if not form.validate():
        return _product_page(form, product, markets, 422)
    refused = _try_serial(form)
    if refused:
        form.try_serial.errors = [refused]
        return _product_page(form, product, markets, 422)
    try:
        saved = catalog_admin.save_product(product, _raw(form, markets), by=access.current_staff())
    except DomainError as err:
        return _product_page(form, product, markets, show_errors(form, err))
    flash(_("%(sku)s saved.", sku=saved.sku))
    return redirect(url_for("backoffice.catalog", q=saved.sku))


@bp.route("/catalog/new", methods=["GET", "POST"])
@access.staff_required("admin")
def new_product():
    return _save(None)


@bp.route("/catalog/<int:product_id>", methods=["GET", "POST"])
@access.staff_required("admin")
def product(product_id: int):
    return _save(Product.get_or_none(Product.id == product_id) or abort(404))


@bp.post("/catalog/<int:product_id>/delete")
@access.staff_required("admin")
def delete_product(product_id: int):
    found = Product.get_or_none(Product.id == product_id) or abort(404)
    try:
        catalog_admin.delete_product(found, by=access.current_staff())
    except DomainError as err:
        flash(err.message)
        return redirect(url_for("backoffice.product", product_id=found.id))
    flash(_("%(sku)s deleted.", sku=found.sku))
    return redirect(url_for("backoffice.catalog"))


@bp.get("/catalog.csv")
@access.staff_required("admin")
def export():
    name = f"catalog-{clock.now_utc().date().isoformat()}.csv"
    return Response(
        catalog_csv.export_csv(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _import_page(form: ImportForm, preview: catalog_csv.Preview | None, status: int):  # noqa: ANN202
    markets = list(Market.select().order_by(Market.code))
    confirm = None
    if preview is not None and preview.upload is not None and not preview.has_errors:
        confirm = ImportConfirmForm(
            formdata=None, data={"sha256": preview.sha256, "plan": preview.fingerprint}
        )
    return (
        render_template(
            "backoffice/import.html",
            form=form,
            preview=preview,
            confirm=confirm,
            columns=columns(markets),
            markets=markets,
            max_rows=f"{catalog_csv.MAX_ROWS:,}",
            vat_text=policy.vat_percent_text,
            text_of=text_of,
        ),
        status,
    )


@bp.route("/catalog/import", methods=["GET", "POST"])
@access.staff_required("admin")
def import_catalog():
    form = ImportForm()
    if request.method == "GET":
        return _import_page(form, None, 200)
    upload = form.file.data
    if not form.validate() or upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [_("Choose a CSV file to upload.")]
        return _import_page(form, None, 422)
    content = upload.read(catalog_csv.MAX_BYTES + 1)
    try:
        preview = catalog_csv.preview_upload(upload.filename, content, by=access.current_staff())
    except DomainError as err:
        return _import_page(form, None, show_errors(form, err))
    return _import_page(form, preview, 422 if preview.has_errors else 200)


# A catalog file is bigger than any form (web.KioskRequest reads this).
import_catalog.max_content_length = catalog_csv.MAX_BYTES + 64 * 1024


@bp.post("/catalog/import/<int:upload_id>")
@access.staff_required("admin")
def confirm_import(upload_id: int):
    confirm = ImportConfirmForm()
    confirm.validate()
    try:
        preview = catalog_csv.run_import(
            upload_id, confirm.sha256.data or "", confirm.plan.data or "", by=access.current_staff()
        )
    except catalog_csv.PreviewChanged as err:
        flash(err.message)
        return _import_page(ImportForm(formdata=None), err.preview, err.status)
    except DomainError as err:
        form = ImportForm(formdata=None)
        form.file.errors = [err.message]
        return _import_page(form, None, err.status)
    flash(
        _(
            "Imported %(file)s: %(new)s new, %(changed)s changed, %(unchanged)s unchanged.",
            file=preview.filename,
            new=preview.counts["new"],
            changed=preview.counts["changed"],
            unchanged=preview.counts["unchanged"],
        )
    )
    return redirect(url_for("backoffice.catalog"))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(err: RequestEntityTooLarge):  # noqa: ANN201
    member = access.current_staff()
    if request.endpoint != "backoffice.import_catalog" or not (member and member.has_role("admin")):
        return render_template("errors/error.html", error=err), 413
    form = ImportForm(formdata=None)
    form.file.errors = [_("The file is larger than 8 MB: split it into smaller files.")]
    return _import_page(form, None, 413)
