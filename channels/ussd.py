"""Africa's Talking USSD: form POST in, `CON …` / `END …` text out.

Africa's Talking ends the session on anything that does not start with `CON ` or
`END `, so this adapter answers every request with one of them, whatever
happens: a missing field, an unreadable number, a lost dependency or a bug.
The agent service code routes to the agent tree; every other code to the member's.
"""

from flask import Blueprint, Response, current_app, request

from app.config import as_int
from app.i18n import N_, T
from app.observability import ERRORS, logger
from app.phones import InvalidPhone, normalize_phone
from app.services import request_services
from channels.textfit import is_gsm7, septets, to_gsm7
from menus.engine import ChannelProfile

bp = Blueprint("ussd", __name__)

MAX_SESSION_ID = 100
BAD_REQUEST = T(N_("Sorry, we could not read your request. Please dial again."))
FAILED = T(N_("Sorry, something went wrong. Please dial again."))


def measure(text):
    """USSD length as the network counts it: septets when GSM-7, else characters."""
    return septets(text) if is_gsm7(text) else len(text)


def ussd_profile(config):
    return ChannelProfile(name="ussd", session_ttl=as_int(config, "USSD_SESSION_TTL"),
                          max_chars=as_int(config, "USSD_MAX_CHARS"), cumulative=True,
                          measure=measure, normalize=to_gsm7)


def ussd_text(reply_text, end):
    body = ("END " if end else "CON ") + reply_text
    return Response(body, mimetype="text/plain")


def default_locale():
    return current_app.config["DEFAULT_LOCALE"]


@bp.post("/ussd")
def ussd():
    form = request.form
    session_id = form.get("sessionId", "").strip()
    try:
        phone = normalize_phone(form.get("phoneNumber", ""), current_app.config["DEFAULT_REGION"])
    except InvalidPhone:
        phone = None
    if not session_id or len(session_id) > MAX_SESSION_ID or phone is None:
        ERRORS.labels("ussd", "bad_request").inc()
        return ussd_text(to_gsm7(BAD_REQUEST.render(default_locale())), True)
    engine = current_app.extensions["engines"][engine_for(form.get("serviceCode", ""))]
    try:
        reply = engine.handle(ussd_profile(current_app.config), session_id, phone, form.get("text", ""),
                              request_services())
    except Exception:  # noqa: BLE001 - the phone must get END, never a 500; the bug is logged
        logger.exception("ussd hop failed", extra={"session": session_id})
        ERRORS.labels("ussd", "exception").inc()
        request_services().session.rollback()
        return ussd_text(to_gsm7(FAILED.render(default_locale())), True)
    return ussd_text(reply.text, reply.end)


def engine_for(service_code):
    """The agent tree for the agent service code, the member tree for any other."""
    agent_code = current_app.config.get("AGENT_USSD_CODE")
    if agent_code and service_code == agent_code and "agent" in current_app.extensions["engines"]:
        return "agent"
    return "member"


@bp.post("/ussd/events")
def ussd_events():
    """End-of-session notification: forget the session at once."""
    session_id = request.form.get("sessionId", "").strip()
    if session_id and len(session_id) <= MAX_SESSION_ID:
        current_app.extensions["engines"]["member"].store.delete("ussd", session_id)
    return "", 200
