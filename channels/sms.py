"""Africa's Talking SMS: incoming commands, delivery reports and opt-out notifications.

`/sms/inbound` answers 200 at once: it only drops repeats (Redis SET NX on the
message `id`) and enqueues `answer_sms` (app/notifications/tasks.py) on the "high"
queue. The job parses the command (channels/sms_command_parser.py), runs it
(menus/sms_commands.py) and sends the reply through the outbox, so nothing talks to a
provider inside the request.
`/sms/delivery` and `/sms/optout` apply Africa's Talking's callbacks once.

Africa's Talking does not sign its callbacks, so, like the mobile-money callbacks,
the registered URLs carry `?token=CALLBACK_TOKEN` (and CALLBACK_ALLOWED_IPS applies):
an unauthenticated inbound SMS could otherwise speak for any member's number.
Each number's inbound SMS count against RATE_LIMIT_PER_PHONE (429 over it).
"""

import contextlib

from flask import Blueprint, current_app, request
from redis.exceptions import RedisError

from app.jobs import DEFAULT_RETRY
from app.keys import inbound_message_key, inbound_sms_job_id
from app.notifications.tasks import answer_sms
from app.observability import CALLBACKS, ERRORS, log_event
from app.phones import InvalidPhone, normalize_phone
from app.unit_of_work import callback_unit
from channels.callback_auth import authorized
from channels.throttle import failed_check, over_limit

bp = Blueprint("sms", __name__)

MAX_MESSAGE_ID = 100
MAX_KEPT_TEXT = 480
"""What is kept of an inbound text for the job: a command is far shorter; longer is refused anyway."""
TOO_MANY = ("too many requests", 429)


def forbidden(kind):
    """A failed callback check: 403, or 429 once the source is over its limit (channels/throttle.py)."""
    CALLBACKS.labels("africastalking", f"{kind}_forbidden").inc()
    if failed_check("sms"):
        return TOO_MANY
    return "forbidden", 403


@bp.post("/sms/inbound")
def sms_inbound():
    if not authorized():
        return forbidden("sms_inbound")
    form = request.form
    message_id = (form.get("id") or "").strip()
    try:
        phone = normalize_phone(form.get("from", ""), current_app.config["DEFAULT_REGION"])
    except InvalidPhone:
        phone = None
    if phone is None or not message_id or len(message_id) > MAX_MESSAGE_ID:
        ERRORS.labels("sms", "bad_request").inc()
        log_event("sms.inbound_unreadable", message_id=message_id[:MAX_MESSAGE_ID])
        return "", 200  # a retry would not make it readable
    if over_limit("sms", phone):
        return TOO_MANY
    redis = current_app.extensions["redis"]
    seen_key = inbound_message_key("sms", message_id)
    try:
        if not redis.set(seen_key, 1, nx=True, ex=current_app.extensions["settings"].INBOUND_DEDUPE_TTL):
            CALLBACKS.labels("africastalking", "sms_duplicate").inc()
            return "", 200
        current_app.extensions["queues"]["high"].enqueue(
            answer_sms, phone, (form.get("text") or "")[:MAX_KEPT_TEXT], message_id,
            job_id=inbound_sms_job_id(message_id), retry=DEFAULT_RETRY,
            description=f"answer_sms({message_id})")  # RQ's default prints the text: it may be `YES <code>`
    except RedisError:
        ERRORS.labels("sms", "redis").inc()
        with contextlib.suppress(RedisError):
            redis.delete(seen_key)  # not queued: let the gateway's retry through
        return "try again", 503
    CALLBACKS.labels("africastalking", "sms_inbound").inc()
    return "", 200


def apply_callback(kind, apply):
    """Run `apply(services)` as the callback's one unit of work; a failure is a 503 the gateway retries."""
    if not authorized():
        return forbidden(kind)
    if over_limit("sms"):
        return TOO_MANY
    with callback_unit("sms", kind) as unit:
        outcome = apply(unit.services)
    if unit.failed:
        return "try again", 503
    CALLBACKS.labels("africastalking", f"{kind}_{outcome}").inc()
    return "", 200


@bp.post("/sms/delivery")
def sms_delivery():
    return apply_callback("delivery", lambda services: services.outbox.apply_sms_delivery_report(request.form))


@bp.post("/sms/optout")
def sms_optout():
    """Africa's Talking's opt-out notification (`senderId`, `phoneNumber`): the member sent STOP to the sender id."""

    def opt_out(services):
        try:
            phone = normalize_phone(request.form.get("phoneNumber", ""), current_app.config["DEFAULT_REGION"])
        except InvalidPhone:
            return "unreadable"
        member = services.members.by_phone(phone)
        if member is None:
            return "unknown"
        services.members.set_sms_opt_out(member, True)
        return "opted_out"

    return apply_callback("optout", opt_out)
