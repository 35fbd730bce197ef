"""The claim and account QR codes: what a phone reads off the SVG, and qrcode's own mask."""

from __future__ import annotations

import base64
import re
import string

import qrcode
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from kiosk.services import qr
from kiosk.services.accounts import ACCOUNT_QR_PREFIX

CLAIM_URLS = st.builds(
    lambda base, secret: f"{base}/c/{base64.urlsafe_b64encode(secret).decode()}",
    st.sampled_from(
        [
            "http://127.0.0.1:5000",
            "https://kiosk.example.com",
            "https://claims.a-much-longer-store-chain-name.example.co.uk",
        ]
    ),
    st.binary(min_size=24, max_size=24),
)
# What the account QR carries: a prefix and a signed token (URL-safe base64 and dots).
ACCOUNT_PAYLOADS = st.builds(
    lambda token: f"{ACCOUNT_QR_PREFIX}{token}",
    st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=300),
)
# Text of any script and length (up to version 20, past version 7 where the version bits appear).
TEXTS = st.text(max_size=400)


def _modules_drawn(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The side of the drawing and every dark module the path paints, as (x, y)."""
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    dark = set()
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", svg):
        dark |= {(int(x) + i, int(y)) for i in range(int(width))}
    assert re.sub(r"M(\d+) (\d+)h(\d+)v1h-\3z", "", re.search(r' d="([^"]*)"', svg).group(1)) == ""
    return side, dark


def _read_with_a_camera(svg: str) -> str:
    side, dark = _modules_drawn(svg)
    scale = 8
    image = Image.new("L", (side * scale, side * scale), 255)
    for x, y in dark:
        image.paste(0, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


@settings(max_examples=60, deadline=None)
@given(CLAIM_URLS | ACCOUNT_PAYLOADS)
def test_a_phone_reads_back_exactly_what_the_svg_was_made_from(data: str) -> None:
    assert _read_with_a_camera(qr.svg.__wrapped__(data)) == data


@settings(max_examples=60, deadline=None)
@given(CLAIM_URLS | ACCOUNT_PAYLOADS | TEXTS)
def test_the_code_is_qrcodes_own_with_the_mask_it_would_choose(data: str) -> None:
    own = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    own.add_data(data)
    own.make()  # lays out and scores all eight masks itself
    assert qr.matrix(data) == own.modules


def test_the_svg_paints_only_the_dark_modules_inside_a_quiet_border() -> None:
    svg = qr.svg.__wrapped__("https://kiosk.example.com/c/" + "A" * 32)
    side, dark = _modules_drawn(svg)
    modules = qr.matrix("https://kiosk.example.com/c/" + "A" * 32)
    assert side == len(modules) + 4
    assert dark == {
        (x + 2, y + 2) for y, row in enumerate(modules) for x, on in enumerate(row) if on
    }
    assert 'width="37mm"' in svg  # box size 10: a module a millimetre, as on the printed receipt
    # The account QR's box size 8: (21 modules + 4) × 0.8 mm.
    assert 'width="20mm"' in qr.svg.__wrapped__(f"{ACCOUNT_QR_PREFIX}1", box_size=8)
