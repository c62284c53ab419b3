"""Messaging jobs: dispatch what waited for quiet hours, sweep lost ones, answer SMS, forget WhatsApp PINs.

The sweep re-enqueues after-commit jobs whose enqueue failed (app/deferred_jobs.py),
dispatches notifications whose job never ran, and sends again (or, past a limit,
fails) outbox messages stuck in `queued`: after a Redis outage or a killed worker,
nothing waits forever. `answer_sms` (queue "high", enqueued by /sms/inbound) runs one
SMS command and sends the reply; `delete_inbound_message` (queue "high", enqueued by
the WhatsApp adapter, channels/whatsapp_privacy.py) has Twilio delete a message that
held a PIN. Both reach channels/ and menus/ only through the services the composition
root built (app/services.py), never by import.
"""

from datetime import timedelta

from app.i18n import render
from app.jobs import job
from app.notifications.messages import REFUSED
from app.observability import ERRORS, log_event, logger

SMS_REPLY_KIND = "sms_reply"
"""The outbox kind of a reply to an SMS command."""

STALE_AFTER = timedelta(minutes=15)
"""A notification still queued this long after its time lost its job (a crash between commit and enqueue)."""

DISPATCH_CHUNK = 500


@job
def dispatch_notifications(services, notification_ids):
    """Hand the due notifications among `notification_ids` to the outbox (which sends them from its jobs)."""
    return services.notifications.dispatch(notification_ids)


def sweep(services):
    """Everything that lost its job, in order: deferred enqueues, stale notifications, stuck messages.

    Returns {"deferred": n, "notifications": n, "resent": n, "failed": n}.
    """
    from app.deferred_jobs import replay

    settings = services.settings
    deferred = replay(services.session, services.queues)
    ids = services.notifications.stale_queued(STALE_AFTER)
    for start in range(0, len(ids), DISPATCH_CHUNK):
        services.notifications.dispatch(ids[start:start + DISPATCH_CHUNK])
    resent, failed = services.outbox.sweep_stuck(
        grace=timedelta(seconds=settings.OUTBOX_STUCK_SECONDS), max_attempts=settings.OUTBOX_MAX_ATTEMPTS,
        give_up_after=timedelta(hours=settings.OUTBOX_GIVE_UP_HOURS))
    return {"deferred": deferred, "notifications": len(ids), "resent": resent, "failed": failed}


@job
def sweep_notifications(services):
    """The periodic sweep (scheduled every RECONCILE_EVERY_MINUTES); returns what it found (see `sweep`)."""
    return sweep(services)


@job
def run_reminders(services, day_iso=None):
    """The morning reminder run for a local day (today by default); safe to run twice."""
    from datetime import date

    day = date.fromisoformat(day_iso) if day_iso else services.clock.today()
    return tuple(services.reminders.run(day, checkpoint=services.session.commit))


@job
def answer_sms(services, phone, text, message_id):
    """Run the SMS command in `text` from `phone` and send the reply (queue "high").

    The reply goes out ahead of any message the command caused (a loan's "paid out", a
    statement): the member reads what they asked for first, then what followed.
    """
    answer = services.answer_sms_command(phone, text, message_id)
    reply = render(answer.text, answer.locale)
    return services.outbox.send_sms(phone, reply, kind=SMS_REPLY_KIND, member_id=answer.member_id, urgent=True,
                                    ahead=True).id


@job
def delete_inbound_message(services, message_sid):
    """Delete one inbound WhatsApp message from Twilio; a transient failure raises, so RQ retries it."""
    sender = services.senders.get("whatsapp")
    outcome = sender.delete_message(message_sid) if sender is not None else None
    if outcome == REFUSED:
        ERRORS.labels("whatsapp", "pin_delete_refused").inc()
        logger.error("Twilio refused to delete a WhatsApp message", extra={"sid": message_sid})
    log_event("whatsapp.pin_message_delete", sid=message_sid, outcome=outcome or "skipped")
    return outcome
