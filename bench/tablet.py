"""What a tablet sends, shared by the load (Locust) and the one-client measurements.

The kiosk's forms carry a ``csrf_token`` field; its HTMX requests carry the same token in
the ``X-CSRFToken`` header that ``<body hx-headers>`` sets, plus ``HX-Request: true``.
These helpers read both from the HTML the app sends, as the browser would.
"""

from __future__ import annotations

import http.client
import itertools
import re
import time
from urllib.parse import urlsplit

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
REMOVE_LINE = re.compile(r'action="/counter/lines/(\d+)/remove"')
IDEMPOTENCY_KEY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
RECEIPT = re.compile(r"/counter/sales/(\d+)/receipt")
CLAIM_CODE = re.compile(r'data-testid="claim-code">([A-Z0-9-]+)<')
ASSETS = re.compile(r'<(?:link|script|img)\b[^>]*?(?:href|src)="(/static/[^"?#]+)[^"]*"')

SESSION_COOKIE = "kiosk_session"
BIRTH = {"method": "document", "document_type": "id_card", "day": "15", "month": "05"}
BIRTH_YEAR = "1990"


def csrf_field(html: str) -> str:
    found = CSRF_FIELD.search(html)
    if found is None:
        raise ValueError("no csrf_token field in the page")
    return found.group(1)


def csrf_header(html: str) -> str:
    found = CSRF_HEADER.search(html)
    if found is None:
        raise ValueError("no X-CSRFToken in <body hx-headers>")
    return found.group(1)


def htmx_headers(csrf: str) -> dict[str, str]:
    return {"X-CSRFToken": csrf, "HX-Request": "true"}


def age_check_form() -> dict[str, str]:
    return {**BIRTH, "year": BIRTH_YEAR}


def last_line_id(fragment: str) -> str | None:
    ids = REMOVE_LINE.findall(fragment)
    return ids[-1] if ids else None


def idempotency_key(fragment: str) -> str | None:
    found = IDEMPOTENCY_KEY.search(fragment)
    return found.group(1) if found else None


def sale_id(hx_redirect: str | None) -> int | None:
    found = RECEIPT.search(hx_redirect or "")
    return int(found.group(1)) if found else None


def assets(html: str) -> list[str]:
    """The stylesheets, scripts, icons and images a page loads from /static, in order."""
    return list(dict.fromkeys(ASSETS.findall(html)))


def claim_code(receipt_html: str) -> str | None:
    """The short claim code a receipt prints under its QR (the phone's other way in)."""
    found = CLAIM_CODE.search(receipt_html)
    return found.group(1) if found else None


# Customers' phones each have their own address. The claim page limits attempts per client
# address (30 per 10 minutes), which one address for every phone would hit at once, so
# each visit comes from the next loopback address, 127.0.1.2 to 127.0.8.254 (about 2,000:
# a 20 s claim phase at 380 requests a second came within reach of 30 each from 253). The
# server is still only 127.0.0.1; Linux answers for all of 127.0.0.0/8 on the loopback.
PHONE_ADDRESSES = itertools.cycle(
    f"127.0.{block}.{n}" for block in range(1, 9) for n in range(2, 255)
)


def phone_get(base_url: str, path: str) -> tuple[int, int, float]:
    """A phone's first visit: a new connection from its own address, no cookies.

    Returns the status, the body's length and the milliseconds it took.
    """
    server = urlsplit(base_url)
    connection = http.client.HTTPConnection(
        server.hostname or "127.0.0.1",
        server.port or 80,
        timeout=30,
        source_address=(next(PHONE_ADDRESSES), 0),
    )
    started = time.perf_counter()
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return response.status, len(body), (time.perf_counter() - started) * 1000
