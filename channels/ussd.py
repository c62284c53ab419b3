"""Africa's Talking USSD: form POST in, `CON …` / `END …` text out.

Africa's Talking ends the session on anything that does not start with `CON ` or
`END `, so this adapter answers every request with one of them, whatever
happens: a missing field, an unreadable number, a lost dependency or a bug.
The agent service code routes to the agent tree; every other code to the member's.

Only Africa's Talking may call: the registered URL carries `?token=CALLBACK_TOKEN`
(and CALLBACK_ALLOWED_IPS applies, channels/callback_auth.py), anything else is a 403,
so `phoneNumber` comes from the operator's network and can be trusted as the SIM.
A body over MAX_CONTENT_LENGTH or a field over its cap is never processed: it gets
the "could not read" END. A phone over its rate limit gets a polite END as well.
"""

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.i18n import N_, T
from app.observability import CALLBACKS, ERRORS
from app.phones import InvalidPhone, normalize_phone
from app.unit_of_work import callback_unit
from channels.callback_auth import authorized
from channels.textfit import is_gsm7, septets, to_gsm7
from channels.throttle import failed_check, over_limit, over_limit_along
from menus.engine import ChannelProfile

bp = Blueprint("ussd", __name__)

MAX_SESSION_ID = 100
MAX_FIELDS = {"sessionId": MAX_SESSION_ID, "phoneNumber": 32, "serviceCode": 32, "networkCode": 16, "text": 2000}
"""Caps per field: the cumulative `text` of a real session stays far under 2,000 characters."""
BAD_REQUEST = T(N_("Sorry, we could not read your request. Please dial again."))
FAILED = T(N_("Sorry, something went wrong. Please dial again."))
TOO_MANY = T(N_("Too many requests from your phone. Please wait a minute and dial again."))


def measure(text):
    """USSD length as the network counts it: septets when GSM-7, else characters."""
    return septets(text) if is_gsm7(text) else len(text)


def ussd_profile(settings):
    return ChannelProfile(name="ussd", session_ttl=settings.USSD_SESSION_TTL,
                          max_chars=settings.USSD_MAX_CHARS, cumulative=True,
                          measure=measure, normalize=to_gsm7)


def ussd_text(reply_text, end):
    body = ("END " if end else "CON ") + reply_text
    return Response(body, mimetype="text/plain")


def default_locale():
    return current_app.config["DEFAULT_LOCALE"]


def end_with(message):
    return ussd_text(to_gsm7(message.render(default_locale())), True)


def refused(kind):
    """A request that failed the callback check: 403, or 429 once its source is over its limit."""
    CALLBACKS.labels("africastalking", f"{kind}_forbidden").inc()
    if failed_check("ussd"):
        return Response("too many requests", status=429, mimetype="text/plain")
    return Response("forbidden", status=403, mimetype="text/plain")


def readable_form():
    """The form when the body and every field are within their caps, else None (nothing is processed)."""
    try:
        form = request.form
    except RequestEntityTooLarge:
        return None
    if any(len(form.get(name, "")) > cap for name, cap in MAX_FIELDS.items()):
        return None
    return form


def caller(form):
    """(sessionId, E.164 phone or None) of a readable form."""
    try:
        phone = normalize_phone(form.get("phoneNumber", ""), current_app.config["DEFAULT_REGION"])
    except InvalidPhone:
        phone = None
    return form.get("sessionId", "").strip(), phone


@bp.post("/ussd")
def ussd():
    if not authorized():
        return refused("ussd")
    form = readable_form()
    session_id, phone = caller(form) if form is not None else ("", None)
    if not session_id or phone is None:
        ERRORS.labels("ussd", "bad_request").inc()
        return end_with(BAD_REQUEST)
    engine = current_app.extensions["engines"][engine_for(form.get("serviceCode", ""))]
    profile = ussd_profile(current_app.extensions["settings"])
    # The rate limit and the session's reads go to Redis in one round trip (the engine's save and count in one more)
    over, session_reads = over_limit_along(
        "ussd", phone, lambda pipe: engine.store.queue_load_marked(pipe, profile.name, session_id, phone))
    if over:
        return end_with(TOO_MANY)
    # A hop that only reads (dial, PIN, profile) costs one round trip per read: no BEGIN or COMMIT
    with callback_unit("ussd", "exception", defer_transaction=True, session=session_id) as unit:
        reply = engine.handle(profile, session_id, phone, form.get("text", ""), unit.services,
                              prefetched=session_reads)
    if unit.failed:  # the phone must get END, never a 500; the bug is logged
        return end_with(FAILED)
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
    if not authorized():
        return refused("ussd_events")
    if over_limit("ussd"):
        return Response("too many requests", status=429, mimetype="text/plain")
    form = readable_form()
    session_id = form.get("sessionId", "").strip() if form is not None else ""
    if session_id:
        current_app.extensions["engines"]["member"].store.delete("ussd", session_id)
    return "", 200
