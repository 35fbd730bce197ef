"""The catalog as a CSV file: export, and import with a dry-run preview first.

The file: UTF-8 (a BOM is fine), comma- or semicolon-separated (the header line decides),
one header row of the columns in ``catalog_rows`` (any order, any subset holding ``sku``),
one product per row, upserted by SKU. A column the file leaves out keeps each product's
value; an empty ``price_XX`` takes the product out of market XX.

Nothing is written until the preview has no error: then the file's bytes are kept in
``catalog_import`` with their hash, and "Import" reads those same bytes, plans them again
against the catalog as it is by then, and writes only if the plan is the one previewed,
all in one transaction.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from .. import clock
from ..csv_export import FORMULA_STARTS, neutralise
from ..db import write_transaction
from ..models import CatalogImport, Market, Staff
from . import DomainError, audit
from .catalog_admin import apply_plans, lock_catalog
from .catalog_rows import (
    RowPlan,
    Snapshot,
    check_successors,
    columns,
    columns_of,
    load_snapshot,
    plan_row,
)

MAX_BYTES = 8 * 1024 * 1024
MAX_ROWS = 20_000
KEEP_PREVIEWS = timedelta(days=1)


def _uncell(value: str) -> str:
    """The cell as it was before ``csv_export.neutralise``, so an exported file reads back
    the same."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def file_error(message: str) -> DomainError:
    return DomainError(message, field="file", status=422)


def export_csv() -> str:
    """Every product, every column, in the import's own format (with a BOM, comma-separated)."""
    snap = load_snapshot()
    cols = columns(snap.markets)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(cols)
    for row in snap.rows.values():
        writer.writerow(neutralise(text) for text in columns_of(row, cols).values())
    return "\ufeff" + out.getvalue()


def _decode(content: bytes) -> str:
    if not content.strip():
        raise file_error(str(_l("The file is empty.")))
    if len(content) > MAX_BYTES:
        raise file_error(str(_l("The file is larger than 8 MB: split it into smaller files.")))
    try:
        text = content.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as err:
        line = content[: err.start].count(b"\n") + 1
        raise file_error(
            str(
                _l(
                    'The file is not UTF-8 text (line %(line)s). Save it as "CSV UTF-8" and '
                    "upload it again.",
                    line=line,
                )
            )
        ) from err
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise file_error(str(_l("The file holds a NUL character on line %(line)s.", line=line)))
    return text


def _header(cells: list[str], markets: list[Market]) -> list[str]:
    known = {column.lower(): column for column in columns(markets)}
    header = [known.get(cell.strip().lower(), cell.strip()) for cell in cells]
    unknown = [cell or '""' for cell in header if cell not in known.values()]
    if unknown:
        raise file_error(
            str(
                _l(
                    "Unknown columns: %(columns)s. The columns are: %(known)s.",
                    columns=", ".join(unknown),
                    known=", ".join(columns(markets)),
                )
            )
        )
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise file_error(str(_l("Each column once: %(columns)s.", columns=", ".join(twice))))
    if "sku" not in header:
        raise file_error(str(_l("The file needs a sku column.")))
    return header


def read_rows(content: bytes, markets: list[Market]) -> list[tuple[int, dict[str, str], str]]:
    """The data rows with the line each starts on: its cells by column, or what is wrong
    with the line (then only its first cell, to name it by)."""
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, dict[str, str], str]] = []
    try:
        header = _header(next(reader), markets)
        line = reader.line_num + 1
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # spreadsheets leave empty lines at the end
            if len(rows) >= MAX_ROWS:
                raise file_error(
                    str(
                        _l(
                            "The file has more than %(max)s products: split it into files of "
                            "at most %(max)s rows.",
                            max=f"{MAX_ROWS:,}",
                        )
                    )
                )
            if len(cells) != len(header):
                wrong = _l(
                    "This line has %(cells)s cells; the header has %(columns)s.",
                    cells=len(cells),
                    columns=len(header),
                )
                rows.append((start, {header[0]: cells[0]}, str(wrong)))
                continue
            rows.append((start, {c: _uncell(v) for c, v in zip(header, cells, strict=True)}, ""))
    except csv.Error as err:
        raise file_error(
            str(
                _l(
                    "Line %(line)s cannot be read as CSV: %(reason)s.",
                    line=reader.line_num,
                    reason=str(err),
                )
            )
        ) from err
    if not rows:
        raise file_error(str(_l("The file has no products under its header.")))
    return rows


def plan_file(content: bytes, snap: Snapshot) -> list[RowPlan]:
    plans: list[RowPlan] = []
    first_line: dict[str, int] = {}
    for line, cells, wrong in read_rows(content, snap.markets):
        if wrong:
            sku = cells.get("sku", "").strip().upper()
            plans.append(RowPlan(line=line, sku=sku, status="error", errors=[("", wrong)]))
            continue
        plan = plan_row(line, cells, snap)
        if plan.sku and plan.sku in first_line:
            plan.errors.append(
                (
                    "sku",
                    str(
                        _l(
                            "%(sku)s is also on line %(line)s: each SKU once.",
                            sku=plan.sku,
                            line=first_line[plan.sku],
                        )
                    ),
                )
            )
            plan.status = "error"
        first_line.setdefault(plan.sku, line)
        plans.append(plan)
    check_successors(plans, snap)
    return plans


def fingerprint(sha256: str, plans: list[RowPlan]) -> str:
    """What an import of this file would do to the catalog as it is now."""
    summary = [(p.line, p.sku, p.status, p.changes) for p in plans]
    return hashlib.sha256(json.dumps([sha256, summary]).encode()).hexdigest()


@dataclass
class Preview:
    plans: list[RowPlan]
    sha256: str
    filename: str
    upload: CatalogImport | None = None
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for status in ("new", "changed", "unchanged", "error"):
            self.counts[status] = sum(1 for p in self.plans if p.status == status)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sha256, self.plans)

    @property
    def has_errors(self) -> bool:
        return self.counts["error"] > 0


class PreviewChanged(DomainError):
    """The import found something else than its preview: show the new preview instead."""

    def __init__(self, preview: Preview, message: str, status: int) -> None:
        super().__init__(message, field="file", status=status)
        self.preview = preview


def preview_upload(filename: str, content: bytes, *, by: Staff) -> Preview:
    """Plan a file; keep its bytes for "Import" only when no row has an error."""
    sha256 = hashlib.sha256(content).hexdigest()
    preview = Preview(plans=plan_file(content, load_snapshot()), sha256=sha256, filename=filename)
    if preview.has_errors:
        return preview
    with write_transaction():
        CatalogImport.delete().where(
            CatalogImport.imported_at.is_null()
            & (CatalogImport.created_at < clock.now_utc() - KEEP_PREVIEWS)
        ).execute()
        preview.upload = CatalogImport.create(
            staff=by,
            filename=filename[:200],
            sha256=sha256,
            content=content,
            created_at=clock.now_utc(),
            row_count=len(preview.plans),
        )
    return preview


def run_import(upload_id: int, sha256: str, planned: str, *, by: Staff) -> Preview:
    """Import a previewed file: the same bytes, planned again, written only as previewed."""
    with write_transaction():
        lock_catalog()
        upload = CatalogImport.get_or_none(CatalogImport.id == upload_id)
        if upload is None:
            raise file_error(str(_l("This preview has expired: upload the file again.")))
        content = bytes(upload.content)
        if hashlib.sha256(content).hexdigest() != upload.sha256 or upload.sha256 != sha256:
            raise file_error(str(_l("This is not the file that was previewed: upload it again.")))
        if upload.imported_at is not None:
            raise file_error(str(_l("This file has already been imported.")))
        snap = load_snapshot()
        preview = Preview(
            plans=plan_file(content, snap), sha256=sha256, filename=upload.filename, upload=upload
        )
        if preview.has_errors:
            raise PreviewChanged(
                preview,
                str(
                    _l(
                        "The catalog changed since the preview and some rows no longer fit: "
                        "nothing was imported."
                    )
                ),
                422,
            )
        if preview.fingerprint != planned:
            raise PreviewChanged(
                preview,
                str(
                    _l(
                        "The catalog changed since the preview: check the changes below again, "
                        "then import."
                    )
                ),
                409,
            )
        claimed = (
            CatalogImport.update(imported_at=clock.now_utc())
            .where((CatalogImport.id == upload.id) & CatalogImport.imported_at.is_null())
            .execute()
        )
        if claimed != 1:
            raise file_error(str(_l("This file has already been imported.")))
        done = apply_plans(
            preview.plans, snap, by=by, source={"via": "import", "import": upload.id}
        )
        counts = {
            "new": done["new"],
            "changed": done["changed"],
            "unchanged": preview.counts["unchanged"],
        }
        CatalogImport.update(summary=json.dumps(counts)).where(
            CatalogImport.id == upload.id
        ).execute()
        audit.record("catalog.imported", staff=by, subject=upload, sha256=sha256, **counts)
    return preview
