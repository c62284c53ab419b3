"""Sessions, permissions and headers of every console request.

- Flask-Login keeps who is signed in, in Flask's signed session cookie (HttpOnly,
  SameSite=Lax, Secure outside development: CONSOLE_SECURE_COOKIES). The user id in
  the session is `<staff id>.<generation>`: signing out everywhere adds one to the
  staff member's generation in Redis (app/keys.py console_generation_key), so every
  older session stops loading. A session idle longer than CONSOLE_IDLE_MINUTES is
  signed out and sent to sign-in with the page it asked for (`next`); a form posted
  then (or after the browser dropped the expired cookie, which fails CSRF) goes back
  to the page it came from, its non-secret fields kept (kept_form.py).
- CSRF (Flask-WTF) guards every console POST; the member channels' callbacks are
  not forms and are not checked. A missing or forged token answers 400.
- `@permission("members.view")`: signed in, then `services.staff.require(actor, ...)`
  as the CLI does; a refusal answers 403 naming what is missing.
- Flask's session is opened on every request of the app, the member channels'
  callbacks included, and Flask builds its cookie signer to open it (about 30 us a
  USSD hop): `LazySignerSessions` builds it only for a request carrying the cookie
  (or a response setting one), and gives a request outside the console without the
  cookie Flask's null session, which nothing saves.
- Security headers on every console answer: a CSP without inline scripts or styles,
  no framing, no referrer outside the site, no caching of pages with member data.
"""

import functools
import time
import uuid
from datetime import date, timedelta

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from app.config import is_development
from app.i18n import N_
from app.keys import console_generation_key
from app.services import request_services
from app.staff.errors import PermissionDenied, StaffDisabled
from channels.console import bp, kept_form
from channels.console.i18n import _, language, languages

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
csrf = CSRFProtect()
login_manager = LoginManager()


class StaffUser:
    """The signed-in staff member as Flask-Login sees them: an id and the session generation."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, staff_id, generation):
        self.staff_id = staff_id
        self.generation = generation

    def get_id(self):
        return f"{self.staff_id}.{self.generation}"


def generation(staff_id):
    """The staff member's current session generation (0 until they first sign out everywhere)."""
    value = current_app.extensions["redis"].get(console_generation_key(staff_id))
    return int(value or 0)


def end_every_session(staff_id):
    """Sign the staff member out of every browser: sessions of older generations stop loading."""
    current_app.extensions["redis"].incr(console_generation_key(staff_id))


@login_manager.user_loader
def load_user(user_id):
    staff_id, _dot, gen = str(user_id).partition(".")
    if not staff_id.isdigit() or not gen.isdigit() or int(gen) != generation(int(staff_id)):
        return None
    staff = request_services().staff.get(int(staff_id))
    return StaffUser(staff.id, int(gen)) if staff is not None and staff.status == "active" else None


@login_manager.unauthorized_handler
def unauthorized():
    return redirect(url_for("console.sign_in", next=request.full_path if request.method == "GET" else None))


class LazySignerSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, unchanged, except for a request without the cookie: a console page
    gets its empty session without building the signer (Flask builds it, and test-serialises `{}`, on every
    request), and any other path (the member channels' callbacks, which never keep a session) Flask's
    null session, so its answer skips `save_session` too (about 35 us a USSD hop). A request carrying
    the cookie, wherever it goes, opens it as Flask does."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class() if _console_path(request.path) else None
        return super().open_session(app, request)


def _console_path(path):
    return path == bp.url_prefix or path.startswith(bp.url_prefix + "/")


def init_app(app):
    settings = app.extensions["settings"]
    app.session_interface = LazySignerSessions()
    secure = app.config["CONSOLE_SECURE_COOKIES"].strip().lower()
    app.config.update(
        SESSION_COOKIE_NAME="pamoja_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=(not is_development(app.config)) if secure == "auto" else secure in {"1", "true"},
        PERMANENT_SESSION_LIFETIME=settings.CONSOLE_IDLE_MINUTES * 60,
        WTF_CSRF_CHECK_DEFAULT=False,  # only the console's forms carry a token: checked in `guard` below
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which the idle timeout ends
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"


@bp.before_request
def guard():
    # A request normally gets a fresh `g`; under a caller's app context (tests, the simulator's in-process
    # requests) `g` is shared, so whom an earlier request signed in must not carry over.
    g.pop("_login_user", None)
    g.pop("console_actor", None)
    g.pop("csrf_token", None)  # Flask-WTF keeps the signed token of this request here
    g.pop("kept_form", None)
    g.request_id = uuid.uuid4().hex
    if request.method == "POST":
        csrf.protect()
    if current_user.is_authenticated:
        now = time.time()
        idle = current_app.extensions["settings"].CONSOLE_IDLE_MINUTES * 60
        if now - session.get("seen", now) > idle:
            return session_ended()
        session["seen"] = now
        session.permanent = True
        kept_form.restore()
    return None


def session_ended():
    """Sign out and go to sign-in, back to the page asked for (GET) or the form's page with its fields kept."""
    wanted = request.full_path if request.method == "GET" else kept_form.form_page()
    sign_out_here()
    if request.method == "POST":
        kept_form.keep(wanted)
    session["notice"] = "expired"
    return redirect(url_for("console.sign_in", next=wanted))


def sign_out_here():
    """End this browser's session (keeping the chosen language)."""
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang


@bp.after_request
def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(CSRFError)
def csrf_refused(error):
    if not current_user.is_authenticated and kept_form.form_page() is not None:
        return session_ended()  # the expired session's cookie is gone, and its CSRF token with it
    return render_template("console/error.html", title=_("Refused"),
                           message=_("This form has expired or did not come from the console. Go back, reload "
                                     "the page and try again.")), 400


@bp.errorhandler(PermissionDenied)
def permission_refused(error):
    if isinstance(error, StaffDisabled):
        sign_out_here()
        return redirect(url_for("console.sign_in"))
    return render_template("console/error.html", title=_("Not allowed"),
                           message=_("Your role may not do this ({permission}).",
                                     permission=error.permission or "?")), 403


def actor():
    """The signed-in staff member as an Actor (app/staff/actor.py), once per request."""
    if "console_actor" not in g:
        g.console_actor = request_services().staff.console_actor(current_user.staff_id, g.request_id)
    return g.console_actor


def can(permission):
    """May the signed-in staff member `permission` (None: any signed-in staff member)?"""
    if not current_user.is_authenticated:
        return False
    return permission is None or request_services().staff.can(actor(), permission)


def permission(name):
    """Decorator: signed in, and `services.staff.require(actor, name)` (None: signed in is enough); else 403."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if name is None:
                actor()  # a staff member disabled since signing in is refused here
            else:
                request_services().staff.require(actor(), name)
            return view(*args, **kwargs)

        return guarded

    return decorate


def page_number(default=1):
    """The `page` query parameter as a positive int (bad input: the first page)."""
    raw = request.args.get("page", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


PERIOD_DAYS = 30
"""A report's period when the request names none: the last 30 days up to today."""


def period(clock):
    """(first day, last day) of the `from` and `to` query parameters (ISO dates, the deployment's local days).

    Missing: the last PERIOD_DAYS days up to today. Malformed, or ending before it starts: 400."""
    try:
        last = date.fromisoformat(request.args["to"]) if request.args.get("to") else clock.today()
        first = date.fromisoformat(request.args["from"]) if request.args.get("from") else \
            last - timedelta(days=PERIOD_DAYS - 1)
    except ValueError:
        abort(400)
    if first > last:
        abort(400)
    return first, last


NAVIGATION = (
    ("console.home", N_("Home"), None),
    ("console.dashboard", N_("Dashboard"), "loans.view"),
    ("console.members", N_("Members"), "members.view"),
    ("console.loans", N_("Loans"), "loans.view"),
    ("console.payments", N_("Payments"), "payments.view"),
    ("console.disputes", N_("Disputes"), "disputes.view"),
    ("console.agents", N_("Agents"), "agents.view"),
    ("console.groups", N_("Groups"), "members.view"),
    ("console.reports", N_("Reports"), None),
    ("console.audit_log", N_("Audit log"), "audit.view"),
    ("console.simulator", N_("Simulator"), "simulator.use"),
)
"""(endpoint, label msgid, permission or None for any staff): the menu shows a page only to roles that may open it."""


@bp.app_context_processor
def console_context():
    if not request.blueprint == "console":
        return {}
    links = [(endpoint, label) for endpoint, label, needed in NAVIGATION if can(needed)]
    username = request_services().staff.get(current_user.staff_id).username if current_user.is_authenticated else None
    return {"_": _, "lang": language(), "languages": languages(), "csrf_token": generate_csrf,
            "navigation": links, "can": can, "username": username, "kept": kept_form.kept}


def abort_unless(condition):
    if not condition:
        abort(404)
