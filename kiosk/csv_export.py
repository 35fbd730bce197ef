"""Every CSV the app writes goes through here: one place that makes cells safe to open.

A spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in
some, a tab or a carriage return) as a formula. A store or staff name is typed by people, so
an admin's all-stores export could carry one manager's payload to the admin's desktop. Such a
text cell gets a leading apostrophe, as OWASP's CSV injection advice says; numbers stay
numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    """A text cell a spreadsheet would run as a formula, made plain text."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def csv_response(
    header: Sequence[str], rows: Iterable[Sequence[object]], filename: str
) -> Response:
    """A download: UTF-8 with a BOM (spreadsheet programs then read it as UTF-8), one charset."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return Response(
        "\ufeff" + out.getvalue(),
        # Werkzeug adds "; charset=utf-8" to a text mimetype by itself: naming it here too
        # gave the header twice.
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
