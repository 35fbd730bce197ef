"""The manager's screens: the day's replacements first."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, g, render_template, request

from .. import access, clock
from ..services import reports
from . import bp


def _chosen_day() -> date:
    raw = request.args.get("day")
    if not raw:
        return clock.today_in(g.store.timezone)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, description="The day must be a date like 2026-11-25.")


@bp.get("/")
@access.staff_required("manager")
def replacements() -> str:
    day = _chosen_day()
    rows = reports.daily_replacements(g.store, day)
    return render_template(
        "manager/replacements.html",
        rows=rows,
        day=day,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
    )
