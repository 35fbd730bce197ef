"""Who may do what: the tablet session, staff roles, idle lock and safe redirects.

The tablet session lives in the signed session cookie: the store the tablet was
opened for, the signed-in person, when they were last active, and where each
person's unfinished work was when the kiosk locked. The cookie also carries a random
key that must match a live row in the database (services.sessions), so signing out,
locking and switching end the old cookie for good. Nothing is kept in process memory,
so any worker can serve the next tap.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from . import clock
from .models import Customer, Staff, Store
from .services import sessions

F = TypeVar("F", bound=Callable[..., Any])

TABLET_STORE = "tablet_store"
# The random key of this sign-in; only its hash is in the database (services.sessions).
SESSION_KEY = "sid"
LAST_ACTIVE = "last_active"
RESUME = "resume"
# A page to come back to is kept in the session cookie, which browsers drop past 4 KB (and
# with it the sign-in): a longer address is not a place anyone would come back to anyway.
MAX_RESUME_LENGTH = 300


def _signed_in() -> object:
    # The object itself, not the proxy: it must outlive a logout in the same request.
    return current_user._get_current_object()  # type: ignore[attr-defined]


def current_staff() -> Staff | None:
    user = _signed_in()
    return user if isinstance(user, Staff) else None


def current_customer() -> Customer | None:
    user = _signed_in()
    return user if isinstance(user, Customer) else None


def tablet_store() -> Store | None:
    store_id = session.get(TABLET_STORE)
    if not store_id:
        return None
    member = current_staff()
    if member is not None and member.store_id == store_id:
        return member.store  # read with the person (web.load_user): no second query
    return sessions.live_store(session.get(SESSION_KEY), store_id)


def session_key() -> str | None:
    return session.get(SESSION_KEY)


def safe_next(target: str | None, default: str) -> str:
    """Only a path on our own site: never another host, never a scheme."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def renew_session(
    keep: dict[str, Any] | None = None,
    *,
    staff: Staff | None = None,
    customer: Customer | None = None,
) -> None:
    # Flask sessions are signed cookies: clearing and re-filling gives a fresh cookie,
    # and the new key a fresh database row, so a fixed or copied session cannot be carried
    # over. The row of the session it follows is deleted.
    key = sessions.start(staff=staff, customer=customer, replacing=session.get(SESSION_KEY))
    session.clear()
    session.update(keep or {})
    session[SESSION_KEY] = key


def open_tablet(member: Staff) -> None:
    renew_session({TABLET_STORE: member.store_id}, staff=member)
    login_user(member)
    session[LAST_ACTIVE] = clock.now_utc().timestamp()


def switch_person(member: Staff) -> str | None:
    """Make ``member`` the person at the tablet; return where their work was left."""
    resume = dict(session.get(RESUME, {}))
    target = resume.pop(str(member.id), None)
    renew_session({TABLET_STORE: session.get(TABLET_STORE), RESUME: resume}, staff=member)
    login_user(member)
    session[LAST_ACTIVE] = clock.now_utc().timestamp()
    return target


def lock_tablet(resume_at: str | None = None) -> None:
    """Back to the PIN screen; remember where this person's work was.

    The tablet gets a new key with nobody signed in: a copy of the cookie from before the
    lock opens nothing, not even the PIN screen.
    """
    resume = dict(session.get(RESUME, {}))
    member = current_staff()
    if member is not None and resume_at and len(resume_at) <= MAX_RESUME_LENGTH:
        resume[str(member.id)] = resume_at
    logout_user()
    renew_session({TABLET_STORE: session.get(TABLET_STORE), RESUME: resume})


def close_tablet() -> None:
    end_session()


def end_session() -> None:
    """Sign out whoever this is (tablet or customer) and end the session on the server."""
    sessions.end(session.get(SESSION_KEY))
    logout_user()
    session.clear()


def idle_expired(store: Store) -> bool:
    last = session.get(LAST_ACTIVE)
    return last is not None and clock.now_utc().timestamp() - last > store.idle_lock_seconds


# The idle lock counts in minutes; noting activity at most this often spares re-signing
# the session cookie on every tap (see docs/BENCHMARKS.md).
TOUCH_EVERY_SECONDS = 10


def touch() -> None:
    now = clock.now_utc().timestamp()
    if now - session.get(LAST_ACTIVE, 0) >= TOUCH_EVERY_SECONDS:
        session[LAST_ACTIVE] = now


def hx_aware_redirect(location: str) -> Response:
    """A redirect that also works for an HTMX request (which would swap it in place)."""
    if request.headers.get("HX-Request"):
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location)


def staff_required(role: str = "staff") -> Callable[[F], F]:
    """Only a signed-in staff member with at least ``role``; 403 for a lower role."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            member = current_staff()
            if member is None:
                if g.get("store") is not None:  # a live tablet (web.load_tablet)
                    return hx_aware_redirect(url_for("auth.pin"))
                return hx_aware_redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))
            if not member.has_role(role):
                from .services.signin import record_role_refused

                record_role_refused(member, endpoint=request.endpoint or "", store=g.get("store"))
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def partial_request() -> bool:
    """An HTMX request that swaps a fragment in (a boosted one wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")
