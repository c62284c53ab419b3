"""Delivery reports: each provider report is stored once and applied once, in any order.

Africa's Talking delivery reports and Twilio status callbacks become rows in
`message_reports` (deduplicated by a key built from the report's words). A report
that overtakes the send job waits there, unapplied, until the job stores the
provider id and calls `apply_pending`. An advisory lock per provider id
(`lock_provider_id`) orders the two transactions, so neither can miss the other.
A WhatsApp 63016 failure hands the message back to the outbox to go by SMS.
"""

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from app.notifications import messages as m
from app.notifications.messages import MessageReport, OutboundMessage

OUTSIDE_WINDOW_CODE = "63016"
"""Twilio's error for free-form WhatsApp text outside the window."""

AT_STATUSES = {"Sent": m.SENT, "Submitted": m.SENT, "Buffered": m.SENT, "Success": m.DELIVERED,
               "Rejected": m.FAILED, "Failed": m.FAILED, "AbsentSubscriber": m.FAILED, "Expired": m.FAILED}
"""Africa's Talking delivery-report words -> our statuses; unknown words are kept in the history only."""
TWILIO_STATUSES = {"queued": m.ACCEPTED, "accepted": m.ACCEPTED, "scheduled": m.ACCEPTED, "sending": m.SENT,
                   "sent": m.SENT, "delivered": m.DELIVERED, "read": m.READ, "failed": m.FAILED,
                   "undelivered": m.FAILED, "canceled": m.FAILED}


def history_entry(status, reason, source, *, now, provider=None):
    """One `status_history` entry: what happened, when, said by whom (also written in SQL by send_marks.py
    and in bulk by the set-based reminder run)."""
    entry = {"status": status, "at": now.isoformat(), "source": source}
    if reason:
        entry["reason"] = str(reason)[:200]
    if provider:
        entry["provider"] = str(provider)[:40]
    return entry


def set_status(message, status, reason, source, *, now, provider=None):
    """Append to the message's history; its status only ever moves forward (STATUS_RANK).

    app/notifications/send_marks.py applies the same rule in SQL for the send job's answers.
    """
    entry = history_entry(status, reason, source, now=now, provider=provider)
    message.status_history = [*(message.status_history or []), entry]
    if status is not None and m.STATUS_RANK[status] > m.STATUS_RANK[message.status]:
        message.status = status
        message.status_reason = str(reason)[:200] if reason else None
    message.updated_at = now


def _has_nul(form):
    """True when a field name or value holds a NUL character, which no PostgreSQL text or jsonb can keep."""
    return any("\x00" in f"{name}{value}" for name, value in form.items())


class DeliveryReports:
    def __init__(self, session, *, clock, fall_back_to_sms):
        self.session = session
        self.clock = clock
        self.fall_back_to_sms = fall_back_to_sms

    def apply_sms_delivery_report(self, form):
        """Apply an Africa's Talking delivery report once; returns applied/pending/duplicate/malformed."""
        provider_id = (form.get("id") or "").strip()
        word = (form.get("status") or "").strip()
        reason = (form.get("failureReason") or "").strip() or None
        key = f"sms|{provider_id}|{word}|{form.get('retryCount', '')}|{reason or ''}"
        return self._report(m.SMS, provider_id, key, AT_STATUSES.get(word), word, reason, form)

    def apply_whatsapp_status(self, form):
        """Apply a Twilio status callback once; a 63016 failure sends the text by SMS instead."""
        provider_id = (form.get("MessageSid") or "").strip()
        word = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
        code = (form.get("ErrorCode") or "").strip() or None
        key = f"whatsapp|{provider_id}|{word}|{code or ''}"
        return self._report(m.WHATSAPP, provider_id, key, TWILIO_STATUSES.get(word), word, code, form)

    def _report(self, channel, provider_id, key, status, word, reason, form):
        if not provider_id or not word or len(provider_id) > 100 or _has_nul(form):
            return "malformed"  # PostgreSQL refuses NUL in text: storing it would fail every retry
        raw = {name: str(form.get(name))[:200] for name in list(form.keys())[:30]}
        self.lock_provider_id(provider_id)
        report_id = self.session.scalar(
            insert(MessageReport).values(channel=channel, provider_id=provider_id, dedupe_key=key[:300],
                                         status=(status or word)[:12], reason=(reason or "")[:200] or None,
                                         raw=raw, received_at=self.clock.now())
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(MessageReport.id))
        if report_id is None:
            return "duplicate"
        targets = list(self.session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.channel == channel, OutboundMessage.provider_id == provider_id)
            .with_for_update()))
        if not targets:
            return "pending"
        report = self.session.get(MessageReport, report_id)
        for message in targets:
            self._apply_report(message, report)
        return "applied"

    def apply_pending(self, message):
        """Apply the reports that arrived before the send job stored the message's provider id."""
        pending = self.session.scalars(
            select(MessageReport).where(MessageReport.channel == message.channel,
                                        MessageReport.provider_id == message.provider_id,
                                        MessageReport.applied_at.is_(None)).order_by(MessageReport.id))
        for report in pending:
            self._apply_report(message, report)

    def _apply_report(self, message, report):
        status = report.status if report.status in m.STATUS_RANK else None
        set_status(message, status, report.reason, "report", now=self.clock.now(),
                   provider=report.raw.get("status") or report.raw.get("MessageStatus"))
        report.applied_at = self.clock.now()
        if message.channel == m.WHATSAPP and status == m.FAILED and report.reason == OUTSIDE_WINDOW_CODE:
            self.fall_back_to_sms(message)

    def lock_provider_id(self, provider_id):
        """Serialise a report and the send job storing the same provider id (see the module docstring)."""
        self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"message:{provider_id}"))))
