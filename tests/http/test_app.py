"""The app answers, with the security headers on every page and friendly error pages."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_sign_in_page_is_served_with_security_headers(client: FlaskClient) -> None:
    response = client.get("/signin")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_page_gets_the_kiosk_404_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"<main" in response.data and b"Page not found" in response.data
