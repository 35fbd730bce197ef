"""Gunicorn's access log without the secrets that travel in our URLs.

A claim QR (``/c/<secret>``, or the typed code), an activation, password-reset or
email-change link is a bearer secret: whoever reads it from a log can claim the devices or
take the account. The access log keeps the route and blanks the secret, in the request line,
the path, the query string (``?next=/c/...``, percent-encoded) and the Referer (the app sends
``Referrer-Policy: same-origin``, so the page after a claim page names it).

Kept free of Flask and of the app, so gunicorn's master can load it cheaply;
``tests/http/test_deployment.py`` checks it against the app's URL rules.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

REDACTED = "…"

_SLASH = r"(?:/|%2F)"
# The routes whose last-named segment is a secret: /c/<token>, /account/activate/<token>,
# /account/reset/<token>, /account/email/confirm/<token>.
_SECRET_SEGMENT = re.compile(
    rf"(?P<route>{_SLASH}(?:c|account{_SLASH}(?:activate|reset|email{_SLASH}confirm)){_SLASH})"
    # The segment ends at a slash (plain or encoded), a query, a fragment or a field's end.
    rf"(?P<secret>(?:(?!%2F)[^/?#&\s\"])+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` (a path, URL or request line) with every secret path segment blanked."""
    if "/" not in text and "%" not in text:
        return text
    return _SECRET_SEGMENT.sub(lambda m: m.group("route") + REDACTED, text)


class RedactingLogger(Logger):
    """Gunicorn's logger, redacting the access log's atoms before they are formatted."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> dict:
        return {
            key: redact(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }
