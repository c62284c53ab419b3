"""Every Redis key the service uses, built in one place.

RQ once produced `rq:job::id` from two hand-built keys; building all keys here
keeps the namespace consistent and grep-able. All keys start with `pamoja:`.
"""

PREFIX = "pamoja"


def menu_session_key(channel, session_id):
    """A menu session: USSD by sessionId, SMS/WhatsApp by phone number."""
    return f"{PREFIX}:session:{channel}:{session_id}"


def chat_expired_key(channel, session_id):
    """Marks a phone's session left unfinished (chat, USSD), so the next message or dial says it expired."""
    return f"{PREFIX}:expired:{channel}:{session_id}"


def inbound_message_key(channel, message_id):
    """Dedupe of an inbound provider message (SMS id, Twilio MessageSid)."""
    return f"{PREFIX}:inbound:{channel}:{message_id}"


def one_time_code_key(purpose, subject):
    """The pending one-time code of a purpose (`sms-confirm`, ...) for a subject (a phone)."""
    return f"{PREFIX}:otp:{purpose}:{subject}"


def recipient_lookups_key(member_id, window):
    """How many numbers a member looked up in one hourly window (the hour's number since the epoch)."""
    return f"{PREFIX}:recipient-lookups:{member_id}:{window}"


def provider_token_key(provider, product="default"):
    """A cached OAuth token of a mobile-money provider."""
    return f"{PREFIX}:token:{provider}:{product}"


def provider_token_lock_key(provider, product="default"):
    """The lock that lets one process refresh a provider token at a time."""
    return f"{PREFIX}:token-lock:{provider}:{product}"


def circuit_key(provider):
    """Failure counter and open state of a provider's circuit breaker."""
    return f"{PREFIX}:circuit:{provider}"


def scheduler_lock_key(job_name, run_date):
    """Guards a scheduled job so two schedulers never run it twice for a date."""
    return f"{PREFIX}:cron:{job_name}:{run_date}"


def scheduler_job_id(job_name, slot):
    """The RQ job id of one scheduled run, `cron-<job>-<slot>` (RQ ids may not contain ':')."""
    return f"cron-{job_name}-{slot.replace(':', '')}"


def payment_job_id(payment_id):
    """The RQ job id of a payment's provider call (RQ ids may not contain ':')."""
    return f"{PREFIX}-payment-{payment_id}"


def sandbox_callback_job_id(reference):
    """The RQ job id of the sandbox provider's delayed callback for one request."""
    return f"{PREFIX}-sandbox-callback-{reference}"


def message_job_id(message_id):
    """The RQ job id of an outbound message's send (one job per recorded message)."""
    return f"{PREFIX}-message-{message_id}"


def message_batch_job_id(first_id, last_id):
    """The RQ job id sending one batch of SMS, named by its first and last message ids."""
    return message_job_id(f"{first_id}-{last_id}")


def message_resend_job_id(message_id, slot):
    """The RQ job id of the sweep's resend of a stuck message, once per sweep slot."""
    return message_job_id(f"{message_id}-sweep-{slot}")


def inbound_sms_job_id(message_id):
    """The RQ job id answering one inbound SMS; the provider's id is hashed (RQ ids may not contain ':')."""
    import hashlib

    return f"{PREFIX}-sms-in-{hashlib.sha256(message_id.encode()).hexdigest()[:24]}"


def notification_dispatch_job_id(notification_ids):
    """The RQ job id dispatching one batch of notifications: its first id and its size."""
    return f"notifications-{notification_ids[0]}-{len(notification_ids)}"


def invitation_key(sender_id, phone, day):
    """Marks that a member invited a number on a (local) day: one invitation SMS per sender, number and day."""
    return f"{PREFIX}:invited:{sender_id}:{phone}:{day.isoformat()}"


def pin_chat_notice_key(member_id):
    """Marks a member already told they may delete their PIN messages from their WhatsApp chat (kept for good)."""
    return f"{PREFIX}:pin-chat-notice:{member_id}"


def whatsapp_delete_job_id(message_sid):
    """The RQ job id deleting one inbound WhatsApp message from Twilio (a MessageSid has no ':')."""
    return f"{PREFIX}-whatsapp-delete-{message_sid}"


def rate_limit_key(scope, subject, window):
    """One fixed window's counter of a rate limit: scope (`phone:ussd`, `source`), who, and the window's number."""
    return f"{PREFIX}:rate:{scope}:{subject}:{window}"


def hop_counter_key(channel, hour):
    """One hour's menu hops on a channel, a hash of outcome -> count (`hour` is `2026-12-01T10`, UTC)."""
    return f"{PREFIX}:hops:{channel}:{hour}"


def console_generation_key(staff_id):
    """A staff member's console session generation: signing out everywhere adds one, ending older sessions."""
    return f"{PREFIX}:console:generation:{staff_id}"
