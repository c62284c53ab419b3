"""PINs typed into WhatsApp leave Twilio's logs as soon as they are read.

The PIN stays the knowledge factor on WhatsApp (a code sent to the same phone would
prove only possession), but every chat message is kept by Twilio (its message log)
and by the member's phone. The engine flags a reply whose input answered a PIN
screen (`menus.engine.Reply.secret_input`); for such a message the chat adapter calls
`forget_pin_message`, which:

- enqueues `delete_inbound_message(message_sid)` (app/notifications/tasks.py) on the high queue. The MessageSid is
  the job's only argument (never the body); the job id is per message, and the job
  is retried with backoff, because Twilio refuses to delete a message it is still
  processing (error 20009: "wait at least 1 minute") and may answer 429 or 5xx;
- tells the member once, in their language, that they may delete the message from
  their own chat too (remembered per member in Redis: `app.keys.pin_chat_notice_key`).

The PIN itself is never echoed or logged. With no Twilio credentials the sender is
the console stand-in, whose delete is a no-op.
"""

from redis.exceptions import RedisError
from rq import Retry

from app.i18n import N_, T
from app.keys import pin_chat_notice_key, whatsapp_delete_job_id
from app.notifications.tasks import delete_inbound_message
from app.observability import ERRORS, logger

QUEUE = "high"
DELETE_RETRY = Retry(max=8, interval=[15, 45, 90, 180, 300, 900, 1800, 3600])
"""Twilio deletes a message only once it has finished with it (about a minute; rarely much longer)."""
DELETE_NOTICE = T(N_("We delete every message with your PIN from our WhatsApp records. "
                     "You can delete it from this chat too: press and hold the message, then Delete."))


def forget_pin_message(services, message_sid, phone, text):
    """Have Twilio delete the inbound message `message_sid`; return `text`, plus the notice the first time.

    A failed enqueue (Redis down) is logged with the MessageSid, so an operator can
    delete it by hand; the member's reply is not lost for it.
    """
    try:
        services.queues[QUEUE].enqueue(delete_inbound_message, message_sid, job_id=whatsapp_delete_job_id(message_sid),
                                       retry=DELETE_RETRY)
        member = services.members.by_phone(phone)
        if member is None or not services.redis.set(pin_chat_notice_key(member.id), 1, nx=True):
            return text
    except RedisError:
        ERRORS.labels("whatsapp", "pin_delete_not_queued").inc()
        logger.error("whatsapp PIN message delete not queued", extra={"sid": message_sid})
        return text
    return f"{text}\n\n{DELETE_NOTICE.render(member.locale)}"
