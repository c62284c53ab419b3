"""Sign-in (username, password, TOTP code), TOTP enrolment by QR code, sign-out and sign-out everywhere.

The checks are the staff service's (app/staff/services.py): `sign_in` counts failures
and locks the account; its failure state is committed before the refusal is shown.
A staff member without TOTP yet is sent to enrolment by `begin_totp` (which checks
the password the same way) and shown a QR code of the otpauth URI; `confirm_totp`
with a right code enrols them, and they sign in with the next code. Sign-in attempts
are also limited per source address (CONSOLE_SIGNIN_RATE, app/ratelimit.py), so one
address cannot try passwords against many accounts.
"""

import time
from datetime import timedelta

import pyotp
import segno
from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from app.i18n import SUPPORTED
from app.ratelimit import Counter, RateLimiter
from app.services import request_services
from app.staff.errors import AccountLocked, SignInFailed, TotpError
from channels.console import bp, kept_form
from channels.console.guard import StaffUser, end_every_session, generation, permission, sign_out_here
from channels.console.i18n import _

ENROL_MINUTES = 10
"""An enrolment started with the password must be confirmed with a code within this time."""
CARRIED_OVER = ("lang", kept_form.SESSION_KEY)
"""What a sign-in keeps of the session before it: the language and a form kept when the last session ended."""



def notice_text(key):
    texts = {"expired": _("Your session ended after a while without activity: sign in again."),
             "enrolled": _("Two-step sign-in is set up: sign in with the next code from your app."),
             "signed_out": _("You are signed out."),
             "everywhere": _("You are signed out on every device.")}
    return texts.get(key)


def safe_next(target):
    """Only a console path may be the page to return to (never another site)."""
    return target if target and target.startswith("/console/") and not target.startswith("//") else None


def too_many_attempts():
    settings = current_app.extensions["settings"]
    limiter = RateLimiter(current_app.extensions["redis"])
    return limiter.exceeded(count=[Counter("console_signin", request.remote_addr or "-",
                                           settings.CONSOLE_SIGNIN_RATE)]) is not None


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    next_page = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or url_for("console.home"))
    notice = notice_text(session.pop("notice", None))
    if request.method == "GET":
        return render_template("console/sign_in.html", next=next_page, notice=notice)
    if too_many_attempts():
        return render_template("console/sign_in.html", next=next_page,
                               error=_("Too many sign-in attempts from this address: wait a minute.")), 429
    services = request_services()
    username, password = request.form.get("username", ""), request.form.get("password", "")
    staff = services.staff.by_username(username)
    try:
        if staff is not None and not staff.totp_enrolled:
            services.staff.begin_totp(username, password, channel="console")
            services.session.commit()
            session["enrol"] = {"username": staff.username, "at": time.time()}
            return redirect(url_for("console.enrol"))
        actor = services.staff.sign_in(username, password, request.form.get("code", ""), channel="console",
                                       request_id=request.headers.get("X-Request-Id"))
    except AccountLocked:
        services.session.commit()
        return render_template("console/sign_in.html", next=next_page, username=username,
                               error=_("This account is locked after too many failed sign-ins. Try again later "
                                       "or ask an admin.")), 403
    except (SignInFailed, TotpError):
        services.session.commit()
        return render_template("console/sign_in.html", next=next_page, username=username,
                               error=_("Wrong username, password or code.")), 401
    services.session.commit()
    carried = {key: session[key] for key in CARRIED_OVER if key in session}
    session.clear()  # a new session on sign-in: nothing from before survives (fixation) but CARRIED_OVER
    session.update(carried)
    login_user(StaffUser(actor.id, generation(actor.id)))
    session["seen"] = time.time()
    return redirect(next_page or url_for("console.home"))


def pending_enrolment():
    """The username whose enrolment this browser started (with the password) in the last minutes, or None."""
    pending = session.get("enrol") or {}
    if not pending or time.time() - pending.get("at", 0) > timedelta(minutes=ENROL_MINUTES).total_seconds():
        return None
    return pending["username"]


@bp.route("/enrol", methods=["GET", "POST"])
def enrol():
    username = pending_enrolment()
    services = request_services()
    staff = services.staff.by_username(username) if username else None
    if staff is None or staff.totp_enrolled or not staff.totp_secret:
        session.pop("enrol", None)
        return redirect(url_for("console.sign_in"))
    error = None
    if request.method == "POST":
        try:
            services.staff.confirm_totp(username, request.form.get("code", ""), channel="console")
        except TotpError:
            error = _("That code is not right: check the phone's clock and try the next code.")
        else:
            services.session.commit()
            session.pop("enrol", None)
            session["notice"] = "enrolled"
            return redirect(url_for("console.sign_in"))
    uri = pyotp.TOTP(staff.totp_secret).provisioning_uri(name=staff.username, issuer_name="Pamoja")
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, dark="#111")
    return render_template("console/enrol.html", qr=qr, secret=staff.totp_secret, username=staff.username,
                           error=error), 400 if error else 200


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    sign_out_here()
    session["notice"] = "signed_out"
    return redirect(url_for("console.sign_in"))


@bp.route("/sign-out-everywhere", methods=["POST"])
@permission(None)
def sign_out_everywhere():
    end_every_session(current_user.staff_id)
    sign_out_here()
    session["notice"] = "everywhere"
    return redirect(url_for("console.sign_in"))


@bp.route("/language", methods=["POST"])
def choose_language():
    chosen = request.form.get("lang")
    if chosen in SUPPORTED:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next")) or url_for("console.home"))
