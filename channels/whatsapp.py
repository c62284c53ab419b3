"""Twilio WhatsApp: the member menu tree as a chat, answered in TwiML; status callbacks.

- Every request must carry a valid `X-Twilio-Signature` for PUBLIC_URL + path (+ query),
  checked with Twilio's RequestValidator, else 403. The check is skipped only when
  TWILIO_VALIDATE_SIGNATURE is off AND APP_ENV is `development` or `test`; with no
  auth token configured nothing can be verified, so everything is refused.
- `/whatsapp/inbound` drops Twilio's retries (Redis SET NX on MessageSid), records the
  member's `last_whatsapp_at` (it opens the 24-hour window for free-form messages),
  and walks the SAME member tree as USSD through `menus.engine.Engine` with a chat
  profile: numbered options, no 160-character pages, one input per message, session
  keyed by the number with CHAT_SESSION_TTL of inactivity. `menu`, `hi`, `hello`,
  `habari` go to the main menu (or start again when not logged in); `back`/`rudi`,
  `home`/`mwanzo`, `exit`/`ondoka` and `balance`/`salio` work on any screen; the few
  messages that say "dial" are worded for a chat (CHAT_WORDING); a member whose
  session timed out is told so once (marker app.keys.chat_expired_key).
- `/whatsapp/status` hands Twilio's status callback to the outbox, applied once.
"""

from dataclasses import replace

from flask import Blueprint, Response, current_app, request
from redis.exceptions import RedisError
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from app.i18n import N_, T
from app.keys import chat_expired_key, inbound_message_key
from app.observability import CALLBACKS, ERRORS
from app.phones import InvalidPhone, normalize_phone
from app.unit_of_work import callback_unit
from channels.throttle import failed_check, over_limit
from channels.whatsapp_privacy import forget_pin_message
from menus.engine import BACK, HOME, NOT_THIS_SESSION, TOO_MANY_ERRORS, UNAVAILABLE, ChannelProfile
from menus.member.pin_reset import CODE_GONE

bp = Blueprint("whatsapp", __name__)

CHANNEL = "whatsapp"
MAX_TWIML_CHARS = 1600
"""Twilio's limit for one WhatsApp message body."""
MAX_SID = 64
EXPIRED_MEMORY = 24 * 3600
"""How long after the last message a returning member is told their session timed out."""
RESTART_WORDS = frozenset({"menu", "hi", "hello", "hey", "habari", "hujambo", "mambo", "menyu", "start", "anza"})
DEVELOPMENT_ENVS = frozenset({"development", "test"})
EXPIRED_NOTE = T(N_("Your session timed out, so we started again."))
FAILED = T(N_("Sorry, something went wrong. Send MENU to start again."))


CHAT_WORDING = {
    TOO_MANY_ERRORS.msgid: N_("Too many invalid entries. Send MENU to start again."),
    NOT_THIS_SESSION.msgid: N_("This session has ended. Send MENU to start again."),
    CODE_GONE.msgid: N_("That code no longer works. Send MENU and choose Forgot PIN to ask again."),
}
"""A chat is not dialled: the engine's few channel-specific messages in WhatsApp's words."""
CHAT_KEYWORDS = {"back": BACK, "rudi": BACK, "home": HOME, "mwanzo": HOME}
"""Navigation by word, anywhere: a chat member need not learn `0` and `00`."""
CHAT_SHORTCUTS = {"balance": "savings_balance", "salio": "savings_balance", "exit": "goodbye", "ondoka": "goodbye"}
"""Words that lead straight to a screen of the member tree, anywhere (menus.engine.ChannelProfile.shortcuts)."""


def chat_profile(settings):
    return ChannelProfile(name=CHANNEL, session_ttl=settings.CHAT_SESSION_TTL, max_chars=None,
                          cumulative=False, wording=CHAT_WORDING, keywords=CHAT_KEYWORDS,
                          shortcuts=CHAT_SHORTCUTS)


def signature_required(config, settings):
    """Signatures may be switched off only outside production."""
    switched_off = not settings.TWILIO_VALIDATE_SIGNATURE
    return not (switched_off and str(config.get("APP_ENV", "production")).lower() in DEVELOPMENT_ENVS)


def public_url():
    """The URL Twilio called, as Twilio saw it: PUBLIC_URL (the proxy's address) + path + query."""
    query = request.query_string.decode()
    return current_app.config["PUBLIC_URL"].rstrip("/") + request.path + (f"?{query}" if query else "")


def signed_by_twilio():
    if not signature_required(current_app.config, current_app.extensions["settings"]):
        return True
    token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(public_url(), request.form, signature)


def twiml(text=None):
    response = MessagingResponse()
    if text:
        response.message(text[:MAX_TWIML_CHARS])
    return Response(str(response), mimetype="application/xml")


def forbidden(kind):
    CALLBACKS.labels("twilio", f"{kind}_forbidden").inc()
    if failed_check(CHANNEL):
        return too_many()
    return Response("forbidden", status=403, mimetype="text/plain")


def too_many():
    """Over a rate limit (channels/throttle.py): per phone, or a source that failed too many signatures."""
    return Response("too many requests", status=429, mimetype="text/plain")


@bp.post("/whatsapp/inbound")
def whatsapp_inbound():
    if not signed_by_twilio():
        return forbidden("inbound")
    form = request.form
    sid = (form.get("MessageSid") or "").strip()
    try:
        phone = normalize_phone(form.get("From", ""), current_app.config["DEFAULT_REGION"])
    except InvalidPhone:
        phone = None
    locale = current_app.config["DEFAULT_LOCALE"]
    if phone is None or not sid or len(sid) > MAX_SID:
        ERRORS.labels(CHANNEL, "bad_request").inc()
        return twiml()
    if over_limit(CHANNEL, phone):
        return too_many()
    reply = None
    with callback_unit(CHANNEL, "exception", refusals=(RedisError,), sid=sid) as unit:
        ttl = unit.services.settings.INBOUND_DEDUPE_TTL
        if unit.services.redis.set(inbound_message_key(CHANNEL, sid), 1, nx=True, ex=ttl):
            # A tapped quick-reply button carries its choice in ButtonPayload (Body holds its label).
            reply = chat_reply(unit.services, phone, form.get("ButtonPayload") or form.get("Body") or "", sid)
        else:
            CALLBACKS.labels("twilio", "inbound_duplicate").inc()  # a retry of a message already answered
    if unit.refused is not None:
        ERRORS.labels(CHANNEL, "redis").inc()
        return twiml(UNAVAILABLE.render(locale))
    if unit.failed:  # the member gets a polite answer, never a 500; the bug is logged
        return twiml(FAILED.render(locale))
    return twiml(reply)


def chat_reply(services, phone, body, sid=None):
    """Run one chat message through the member tree; return the reply text.

    A message that answered a PIN screen is deleted from Twilio (channels/whatsapp_privacy.py).
    """
    engine = current_app.extensions["engines"]["member"]
    member = services.members.by_phone(phone)
    if member is not None:
        member.last_whatsapp_at = services.clock.now()
    state = engine.store.load(CHANNEL, phone)
    expired_key = chat_expired_key(CHANNEL, phone)
    timed_out = state is None and services.redis.getdel(expired_key) is not None
    body = body.strip()
    if body.casefold() in RESTART_WORDS:
        if state is not None and state.authenticated and not state.ended:
            body = HOME
        else:
            engine.store.delete(CHANNEL, phone)
    reply = engine.handle(chat_profile(services.settings), phone, phone, body, services)
    if reply.secret_input and sid:
        reply = replace(reply, text=forget_pin_message(services, sid, phone, reply.text))
    if reply.end:
        services.redis.delete(expired_key)
    else:
        services.redis.set(expired_key, 1, ex=EXPIRED_MEMORY)
    if timed_out:
        # Said with the restarted screen, before the PIN: in the default language, not the member's.
        return f"{EXPIRED_NOTE.render(services.config['DEFAULT_LOCALE'])}\n\n{reply.text}"
    return reply.text


@bp.post("/whatsapp/status")
def whatsapp_status():
    if not signed_by_twilio():
        return forbidden("status")
    if over_limit(CHANNEL):
        return too_many()
    with callback_unit(CHANNEL, "status") as unit:
        outcome = unit.services.outbox.apply_whatsapp_status(request.form)
    if unit.failed:  # Twilio retries on an error; never a 500 page
        return Response("try again", status=503, mimetype="text/plain")
    CALLBACKS.labels("twilio", f"status_{outcome}").inc()
    return Response("", status=200)
