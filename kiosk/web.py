"""The web layer's wiring: extensions, blueprints, headers and error pages."""

from __future__ import annotations

from flask import Flask, Response, g, has_request_context, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from peewee import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import babel, csrf, login

# No inline script or style anywhere: behaviour lives in static/js, looks in static/css.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def select_locale() -> str | None:
    if not has_request_context():
        return None  # the command line speaks the default language
    store = getattr(g, "store", None)
    if store is not None:
        return store.language
    return request.accept_languages.best_match(("en", "sv")) or "en"


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    login.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale

    from . import auth

    @login.user_loader
    def load_user(user_id: str) -> None:
        return None

    app.register_blueprint(auth.bp)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(self), geolocation=(), microphone=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> tuple[str, int]:
        return render_template("errors/error.html", error=err), err.code or 500

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(err: Exception) -> tuple[str, int]:
        app.logger.error("database unavailable: %s", err)
        return (
            render_template(
                "errors/error.html",
                error=None,
                title=_("The system is busy"),
                message=_("The database cannot be reached. Try again in a moment."),
            ),
            503,
        )
