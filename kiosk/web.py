"""The web layer's wiring: extensions, blueprints, the tablet session, headers, error pages."""

from __future__ import annotations

import logging

from babel.support import NullTranslations
from flask import (
    Flask,
    Request,
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    render_template,
    request,
    session,
)
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from peewee import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from . import access, formatting, navigation, policy
from .extensions import babel, compress, csrf, login
from .gunicorn_logging import redact
from .models import Customer, Staff
from .services import sessions

# No inline script or style anywhere: behaviour lives in static/js, looks in static/css.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    # qr-scanner decodes camera frames in a worker it builds from a blob.
    "worker-src 'self' blob:; media-src 'self' blob:; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Requests that must not count as the person being active (the kiosk's own polling).
PASSIVE_HEADER = "X-Kiosk-Passive"


# The tablet's store's language, kept for the pages shown when the store cannot be read.
TABLET_LANGUAGE = "tablet_language"


def select_locale() -> str | None:
    if not has_request_context():
        return None  # the command line speaks the default language
    store = getattr(g, "store", None)
    if store is not None:
        return store.language
    # The store could not be read (the database is down): the language it spoke last.
    if session.get(TABLET_LANGUAGE) in ("en", "sv"):
        return session[TABLET_LANGUAGE]
    return request.accept_languages.best_match(("en", "sv")) or "en"


def load_user(user_id: str) -> Staff | Customer | None:
    # Only while this cookie's session is live in the database: a copy of a signed-out
    # cookie names a user but no live session (services.sessions).
    key = access.session_key()
    kind, _sep, rest = user_id.partition(":")
    if kind == "staff" and rest.isdigit():
        # With the store: a tablet's store is nearly always its person's (access.tablet_store).
        return sessions.live_staff(key, int(rest))
    if kind == "customer":
        customer_id, _sep, version = rest.partition(":")
        if customer_id.isdigit():
            return sessions.live_customer(key, int(customer_id), version)
    return None


def refuse_nul_bytes() -> None:
    """No field of ours may hold a NUL byte, and PostgreSQL cannot store one: refuse early."""
    for values in (request.args, request.form):
        if any("\x00" in value for value in values.values()):
            abort(400, description=_("The input holds a character that cannot be stored."))


def load_tablet() -> Response | None:
    """Find the tablet's store and lock the kiosk when its person has been idle too long."""
    g.store = None
    if request.endpoint in (None, "static"):
        return None
    g.store = access.tablet_store()
    if g.store is not None and session.get(TABLET_LANGUAGE) != g.store.language:
        session[TABLET_LANGUAGE] = g.store.language
    member = access.current_staff()
    if member is None or g.store is None:
        return None
    if access.idle_expired(g.store):
        from .services.signin import record_sign_out

        record_sign_out(member, reason="idle")
        access.lock_tablet(resume_at=session.get("last_page"))
        from flask import url_for

        return access.hx_aware_redirect(url_for("auth.pin", idle=1))
    if not request.headers.get(PASSIVE_HEADER):
        access.touch()
    if request.method == "GET" and not request.headers.get("HX-Request"):
        page = request.full_path.rstrip("?")
        # An unchanged session is not sent again; an overlong address is not kept at all.
        if session.get("last_page") != page and len(page) <= access.MAX_RESUME_LENGTH:
            session["last_page"] = page
    return None


class KioskRequest(Request):
    """A request whose view may take a bigger body than the app's limit (a catalog file):
    the view says so itself (``view.max_content_length``), so every other stays small."""

    @property
    def max_content_length(self) -> int | None:
        view = current_app.view_functions.get(self.endpoint or "")
        return getattr(view, "max_content_length", None) or current_app.config["MAX_CONTENT_LENGTH"]


class IdConverter(IntegerConverter):
    """``<int:...>`` in our URLs is a row id: a number past the database's range is a 404."""

    def __init__(self, url_map: Map, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


class RedactSecrets(logging.Filter):
    """Flask logs "Exception on /c/<secret> [GET]": the error log gets the route, not the secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def _translations() -> NullTranslations:
    """The request's catalogue, looked up once per request.

    Flask-Babel finds it again for every string a template translates (~8 us: the app's
    domain, the locale, a cache keyed by its name); a receipt translates some forty. The
    locale cannot change once a request has asked for it (Flask-Babel keeps it too), so
    neither can the catalogue.
    """
    found = g.get("_kiosk_translations")
    if found is None:
        found = g._kiosk_translations = get_translations()
    return found


def _install_template_gettext(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.request_class = KioskRequest
    app.logger.addFilter(RedactSecrets())
    csrf.init_app(app)
    compress.init_app(app)
    login.init_app(app)
    login.session_protection = "basic"
    login.user_loader(load_user)
    babel.init_app(app, locale_selector=select_locale)
    _install_template_gettext(app)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals.update(
        current_staff=access.current_staff,
        current_customer=access.current_customer,
        contact_label=formatting.contact_label,
        contact_masked=formatting.contact_masked,
        format_money=formatting.format_money,
        local_time=formatting.local_time,
        outcome_label=formatting.outcome_label,
        swap_reason=formatting.swap_reason,
        warranty_last_day=policy.warranty_last_day,
        mask_email=policy.mask_email,
        mask_serial=policy.mask_serial,
        role_label=formatting.role_label,
        staff_areas=navigation.areas_for,
        is_current_area=navigation.is_current,
        unit_state_label=formatting.unit_state_label,
        status_label=formatting.status_label,
        count_reason_label=formatting.count_reason_label,
        movement_status_label=formatting.movement_status_label,
        transfer_unit_label=formatting.transfer_unit_label,
        case_label=formatting.case_label,
    )

    from . import (
        account,
        auth,
        backoffice,
        claim,
        counter,
        counts,
        manager,
        returns,
        stock,
        swaps,
        transfers,
    )

    for blueprint in (auth.bp, counter.bp, swaps.bp, claim.bp, account.bp, manager.bp, stock.bp):
        app.register_blueprint(blueprint)
    for blueprint in (returns.bp, transfers.bp, counts.bp, backoffice.bp):
        app.register_blueprint(blueprint)
    app.before_request(refuse_nul_bytes)
    app.before_request(load_tablet)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(self), geolocation=(), microphone=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError) -> tuple[str, int]:
        return (
            render_template(
                "errors/error.html",
                error=err,
                title=_("This form has expired"),
                message=_("The page was open too long or was sent twice. Reload it and try again."),
            ),
            400,
        )

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> tuple[str, int]:
        # A description the code gave (abort(400, description=...)) says more than the default.
        custom = err.description if err.description != type(err).description else None
        return render_template("errors/error.html", error=err, message=custom), err.code or 500

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(err: Exception) -> tuple[str, int]:
        app.logger.error("database unavailable: %s", err)
        # The page must not ask the database who is signed in (it is down): show it as to
        # a visitor. Flask-Login keeps the request's user in g._login_user.
        g._login_user = login.anonymous_user()
        return (
            render_template(
                "errors/error.html",
                error=None,
                title=_("The system is busy"),
                message=_("The database cannot be reached. Try again in a moment."),
            ),
            503,
        )
