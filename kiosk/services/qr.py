"""QR codes as inline SVG: crisp on a thermal printer and on a tablet, no image files.

A receipt is printed once right after its sale, so drawing the claim QR is on the counter's
path. qrcode's own ``make`` lays the code out nine times (each of the eight masks, then the
one chosen) and scores each mask in Python, some 5 ms a code. The layouts of the eight masks
differ only where the mask flips a data module, and where that is depends on the size of the
code alone, so here the code is laid out once, the other seven are one XOR away, and each is
scored on strings and integers with the same rules (``_penalty``); then the chosen mask is
laid out and written as one path of runs (a few KB, where qrcode writes a square per module).
``tests/unit/test_qr.py`` pins that the chosen mask is qrcode's own choice.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise

import qrcode
from markupsafe import Markup

# Error correction M: survives a creased receipt.
_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
_BORDER = 2
_RUN = re.compile(r"0{5,}|1{5,}")
# Dark-light-dark×3-light-dark with four light modules on one side: looks like a finder.
_FINDER_LIKE = re.compile(r"(?=10111010000|00001011101)")


def _bits(modules: list[list[bool]]) -> tuple[list[int], list[int]]:
    """Rows and columns as integers, the leftmost (topmost) module as the highest bit."""
    rows = [int("".join("1" if dark else "0" for dark in row), 2) for row in modules]
    cols = [
        int("".join("1" if dark else "0" for dark in col), 2) for col in zip(*modules, strict=True)
    ]
    return rows, cols


@lru_cache(maxsize=8)
def _mask_flips(version: int) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """For each mask, the modules it flips compared with mask 0 (rows, columns).

    qrcode scores a mask on a layout with the format bits left light, so two layouts of one
    version differ only in data modules where the two masks disagree: the same for any data.
    """
    code = qrcode.QRCode(version=version, error_correction=_ERROR_CORRECTION)
    code.add_data("0")
    layouts = []
    for mask in range(8):
        code.makeImpl(True, mask)
        layouts.append(_bits(code.modules))
    rows0, cols0 = layouts[0]
    return tuple(
        (
            tuple(a ^ b for a, b in zip(rows, rows0, strict=True)),
            tuple(a ^ b for a, b in zip(cols, cols0, strict=True)),
        )
        for rows, cols in layouts
    )


def _penalty(rows: list[int], cols: list[int], size: int) -> int:
    """ISO 18004's mask score as qrcode computes it (``qrcode.util.lost_point``)."""
    width = f"0{size}b"
    # Every row and column on one page: a run or a pattern never crosses a line break.
    page = "\n".join(
        [format(bits, width) for bits in rows] + [format(bits, width) for bits in cols]
    )
    # 1: runs of five or more of one colour, in rows and columns.
    score = sum(len(run) - 2 for run in _RUN.findall(page))
    # 2: 2×2 blocks of one colour (3 each).
    inside = (1 << (size - 1)) - 1
    for upper, lower in pairwise(rows):
        same_down = ~(upper ^ lower)
        same_right = ~(upper ^ (upper >> 1))
        score += 3 * (same_down & (same_down >> 1) & same_right & inside).bit_count()
    # 3: finder-like patterns (40 each).
    score += 40 * len(_FINDER_LIKE.findall(page))
    # 4: every 5 % of dark modules away from half (10 each), in qrcode's float arithmetic.
    dark = sum(bits.bit_count() for bits in rows)
    return score + int(abs(float(dark) / (size**2) * 100 - 50) / 5) * 10


def _best_mask(code: qrcode.QRCode) -> int:
    """The mask qrcode's ``best_mask_pattern`` picks (the lowest score, the first of a tie)."""
    code.makeImpl(True, 0)
    rows0, cols0 = _bits(code.modules)
    size = len(rows0)
    scores = [
        _penalty(
            [a ^ b for a, b in zip(rows0, row_flips, strict=True)],
            [a ^ b for a, b in zip(cols0, col_flips, strict=True)],
            size,
        )
        for row_flips, col_flips in _mask_flips(code.version)
    ]
    return scores.index(min(scores))


def _path(modules: list[list[bool]]) -> str:
    """One rectangle per run of dark modules in a row, offset by the quiet border."""
    parts = []
    for y, row in enumerate(modules, start=_BORDER):
        x = 0
        size = len(row)
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            parts.append(f"M{start + _BORDER} {y}h{x - start}v1h-{x - start}z")
    return "".join(parts)


def matrix(data: str) -> list[list[bool]]:
    """The modules of ``data``'s code (True is dark), without the quiet border."""
    code = qrcode.QRCode(error_correction=_ERROR_CORRECTION, border=_BORDER)
    code.add_data(data)
    code.best_fit()
    code.mask_pattern = _best_mask(code)
    code.make(fit=False)
    return code.modules


# The kiosk shows a sale's code, then the receipt prints it, and a reprint shows it again:
# the last few hundred per worker are kept.
@lru_cache(maxsize=512)
def svg(data: str, *, box_size: int = 10) -> Markup:
    """An ``<svg>`` element for ``data``; ``box_size`` 10 is one millimetre a module."""
    modules = matrix(data)
    side = len(modules) + 2 * _BORDER
    millimetres = f"{(Decimal(side * box_size) / 10).normalize():f}mm"
    return Markup(  # noqa: S704 - numbers only, drawn from our own URL
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{millimetres}" height="{millimetres}" '
        f'viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<path fill="#000" d="{_path(modules)}"/></svg>'
    )
