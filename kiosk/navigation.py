"""The staff's areas, in one list: the bar on every staff screen and the home doors read it.

Adding an area is one line here (and its words in the translations); who sees it is its
role, which is also what its views require.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import request
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from .models import Staff


@dataclass(frozen=True)
class Area:
    endpoint: str
    label: LazyString
    hint: LazyString  # under the title on the home screen's door
    role: str = "staff"
    # What an admin sees instead, where the area does more for them (the back office).
    admin_label: LazyString | None = None
    admin_hint: LazyString | None = None
    # Further blueprints whose pages belong to this area (its bar entry is marked there).
    also: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The blueprint: marks the current area, and names the door's colour."""
        return self.endpoint.partition(".")[0]


AREAS: tuple[Area, ...] = (
    Area("counter.cart", _l("Sell"), _l("Cart, age check, receipt")),
    Area("swaps.find", _l("Swap"), _l("Warranty, accident, money back")),
    Area(
        "stock.home",
        _l("Stock"),
        _l("Deliveries, where is this unit, back to the maker, transfers, counts"),
        also=("returns", "transfers", "counts"),
    ),
    Area(
        "manager.replacements",
        _l("Reports"),
        _l("Replacements, sales, refusals, staff"),
        role="manager",
    ),
    Area(
        "backoffice.catalog",
        _l("Catalog"),
        _l("Products and prices of your market"),
        role="manager",
        admin_label=_l("Back office"),
        admin_hint=_l("Catalog, prices, stores and markets"),
    ),
)


def areas_for(member: Staff | None) -> list[Area]:
    if member is None:
        return []
    areas = [area for area in AREAS if member.has_role(area.role)]
    if member.has_role("admin"):
        areas = [
            replace(area, label=area.admin_label or area.label, hint=area.admin_hint or area.hint)
            for area in areas
        ]
    return areas


def is_current(area: Area) -> bool:
    return request.blueprint in (area.key, *area.also)
