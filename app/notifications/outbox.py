"""The outbox: record every outbound SMS / WhatsApp message, send it from a job, apply reports once.

- `send_sms` / `send_whatsapp` write an `OutboundMessage` (status `queued`) and enqueue
  its send job after the caller commits; nothing talks to a provider inside a request.
  A non-urgent (promotional, reminder) SMS to a member who sent STOP is recorded as
  `suppressed` and never sent; replies to commands and security messages are urgent.
- WhatsApp free text only inside the 24-hour customer-service window (since the
  member's `last_whatsapp_at`), else the approved template given, else SMS. When
  Twilio still answers 63016 (at send time or in a status callback) the text goes by SMS.
- The senders come from the composition root (`channels/senders.py` via Services):
  this package never imports `channels/`.
- Reports (`apply_sms_delivery_report`, `apply_whatsapp_status`) are stored once and
  applied once by `DeliveryReports` (delivery_reports.py), in whatever order they and
  the send job arrive; the send job hands it each provider id it stores.

The notification service (kinds, quiet hours, templates per kind) builds on this API.
"""

import json
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.jobs import commit_if_owed, job
from app.keys import message_batch_job_id, message_job_id, message_resend_job_id
from app.members.models import Member
from app.notifications import messages as m
from app.notifications.delivery_reports import OUTSIDE_WINDOW_CODE, DeliveryReports, history_entry, set_status
from app.notifications.kinds import RESEND_WHEN_UNKNOWN
from app.notifications.messages import OutboundMessage
from app.notifications.send_marks import claim_fresh, store_answers

WHATSAPP_WINDOW = timedelta(hours=24)
"""Free-form WhatsApp text is allowed this long after the member's last message."""
BATCH_SIZE = 1000
"""Recipients per Africa's Talking request when many get the same text."""
IN_FLIGHT = timedelta(seconds=20)
"""A send marked this recently may still be waiting for the provider (timeouts are 3 s + 10 s)."""
UNKNOWN_OUTCOME = "outcome unknown: not sent again"
"""Why a message that may have gone out (no answer came) was not sent again (see RESEND_WHEN_UNKNOWN)."""
SWEEP_LIMIT = 5000
"""Stuck messages looked at per sweep."""
OPTED_OUT = "opted_out"
"""Why a non-urgent SMS to a member who sent STOP was suppressed."""


class TransientDeliveryError(Exception):
    """Some recipients must be tried again later; raised after what succeeded is committed."""


class Outbox:
    def __init__(self, session, *, clock, senders, enqueue, transient_errors=(), outside_window_errors=(),
                 unknown_outcome_errors=(), text_fitter=None, segment_counter=None):
        self.session = session
        self.clock = clock
        self.senders = senders
        self.enqueue = enqueue
        # The senders' exceptions, GSM-7 cleaning and segment counting are channel knowledge,
        # handed in by the composition root (app/services.py) so this package never imports channels/.
        self.transient_errors = tuple(transient_errors)
        self.outside_window_errors = tuple(outside_window_errors)
        self.unknown_outcome_errors = tuple(unknown_outcome_errors)
        self.fit_text = text_fitter or (lambda text: text)
        self.count_segments = segment_counter
        self.reports = DeliveryReports(session, clock=clock, fall_back_to_sms=self._fall_back_to_sms)

    # -- recording ------------------------------------------------------------------------------

    def send_sms(self, phone, text, *, kind, member_id=None, urgent=True, fallback_of=None, ahead=False):
        """Record an SMS and send it from a job after commit; returns the OutboundMessage.

        `ahead`: send it before the messages this transaction recorded earlier (a command's
        reply, which says what was asked, goes out before what the command caused).
        """
        message = self._record(m.SMS, phone, kind, member_id, urgent, text=self.fit_text(text),
                               fallback_of=fallback_of)
        if not urgent and self._opted_out(phone, member_id):
            self._set_status(message, m.SUPPRESSED, OPTED_OUT, "outbox")
            return message
        self.enqueue("default", send_sms_job, message.id, job_id=message_job_id(message.id),
                     **({"ahead": True} if ahead else {}))
        return message

    def send_sms_many(self, phones, text, *, kind, urgent=False):
        """One text to many numbers: one record each, one provider request per BATCH_SIZE recipients."""
        phones = list(dict.fromkeys(phones))
        known = {phone: (member_id, opted_out) for phone, member_id, opted_out in self.session.execute(
            select(Member.phone, Member.id, Member.sms_opted_out).where(Member.phone.in_(phones)))}
        text = self.fit_text(text)
        records, to_send = [], []
        for phone in phones:
            member_id, opted_out = known.get(phone, (None, False))
            message = self._record(m.SMS, phone, kind, member_id, urgent, text=text, look_up_member=False,
                                   flush=False)
            if not urgent and opted_out:
                self._set_status(message, m.SUPPRESSED, OPTED_OUT, "outbox")
            else:
                to_send.append(message)
            records.append(message)
        self.session.flush()  # one round trip for the whole batch
        sendable = [message.id for message in to_send]
        for start in range(0, len(sendable), BATCH_SIZE):
            batch = sendable[start:start + BATCH_SIZE]
            self.enqueue("default", send_sms_batch_job, batch, job_id=message_batch_job_id(batch[0], batch[-1]))
        return records

    # -- recording in bulk (the set-based reminder run, app/notifications/reminder_batch.py) ---------

    def sms_form(self, text):
        """(text as sent, segments, encoding): what `send_sms` records for `text`."""
        text = self.fit_text(text)
        counted = self.count_segments(text) if (self.count_segments and text) else None
        return text, counted.parts if counted else None, counted.encoding if counted else None

    def opted_out_history(self):
        """The `status_history` (JSON) of a message suppressed now because its member opted out."""
        return json.dumps([history_entry(m.SUPPRESSED, OPTED_OUT, "outbox", now=self.clock.now())])

    def send_recorded_batches(self, batches):
        """Enqueue one send job per batch of recorded messages (one text, distinct phones), after commit."""
        for batch in batches:
            self.enqueue("default", send_sms_batch_job, batch, job_id=message_batch_job_id(batch[0], batch[-1]))

    def send_whatsapp(self, phone, text=None, content_sid=None, content_variables=None, *, kind,
                      member_id=None, urgent=True, sms_text=None):
        """Free text inside the 24-hour window, else the template `content_sid`, else SMS (`sms_text` or `text`)."""
        if text is None and content_sid is None:
            raise ValueError("send_whatsapp needs text or content_sid")
        member = self._member(phone, member_id)
        if text is not None and self.in_window(member):
            content_sid = content_variables = None
        elif content_sid is not None:
            text = None
        else:
            return self.send_sms(phone, sms_text or text, kind=kind, member_id=member_id, urgent=urgent)
        message = self._record(m.WHATSAPP, phone, kind, member and member.id, urgent, text=text,
                               content_sid=content_sid, content_variables=content_variables)
        message.sms_text = sms_text
        self.enqueue("default", send_whatsapp_job, message.id, job_id=message_job_id(message.id))
        return message

    def in_window(self, member):
        """True when the member wrote to us on WhatsApp less than 24 hours ago."""
        last = getattr(member, "last_whatsapp_at", None)
        return last is not None and self.clock.now() - last < WHATSAPP_WINDOW

    def get(self, message_id):
        return self.session.get(OutboundMessage, message_id)

    def _record(self, channel, phone, kind, member_id, urgent, *, text=None, content_sid=None,
                content_variables=None, fallback_of=None, look_up_member=True, flush=True):
        now = self.clock.now()
        if isinstance(content_variables, str):
            content_variables = json.loads(content_variables)
        counted = self.count_segments(text) if (channel == m.SMS and self.count_segments and text) else None
        message = OutboundMessage(
            channel=channel, recipient=phone, kind=kind,
            member_id=member_id or (self._member_id(phone) if look_up_member else None),
            urgent=urgent, text=text, content_sid=content_sid, content_variables=content_variables,
            segments=counted.parts if counted else None, encoding=counted.encoding if counted else None,
            status=m.QUEUED, status_history=[], attempts=0, fallback_of_id=fallback_of, created_at=now,
            updated_at=now)
        self.session.add(message)
        if flush:
            self.session.flush()
        return message

    def _member(self, phone, member_id):
        if member_id is not None:
            return self.session.get(Member, member_id)
        return self.session.scalar(select(Member).where(Member.phone == phone))

    def _member_id(self, phone):
        return self.session.scalar(select(Member.id).where(Member.phone == phone))

    def _opted_out(self, phone, member_id):
        member = self._member(phone, member_id)
        return bool(member and member.sms_opted_out)

    # -- sending (job bodies) -------------------------------------------------------------------

    def deliver_sms(self, message_ids, *, checkpoint):
        """Send the queued SMS among `message_ids`, one provider request per distinct text.

        Each message is marked `sending_since` and committed before its request, and its
        answer is committed as soon as it comes (per request, not at the end of the
        batch), so a worker killed mid-batch never sends what the provider accepted
        again. A send left marked from an earlier attempt has an unknown outcome
        (`_settle_unknown`). A transient failure raises TransientDeliveryError after
        `checkpoint()` kept what went out, so RQ's retry sends only the rest. The mark and the
        answer are one statement each (send_marks.py); in the send jobs' deferred unit each
        commits by itself, so `checkpoint()` has nothing left to send.
        """
        sender = self.senders["sms"]
        batch_of_text, retry = {}, False
        fresh = sorted(claim_fresh(self.session, message_ids, self.clock.now()))
        for message_id, recipient, text in fresh:
            batch_of_text.setdefault(text or "", []).append((message_id, recipient))
        claimed = {message_id for message_id, _, _ in fresh}
        marked_before = [message_id for message_id in message_ids if message_id not in claimed]
        if marked_before:  # already marked by an earlier attempt, or not queued any more: decide under a lock
            for message in self._claim(self._lock_queued(marked_before), sender):
                if message is None:
                    retry = True  # another job is still waiting for the provider: look again later
                    continue
                batch_of_text.setdefault(message.text or "", []).append((message.id, message.recipient))
        checkpoint()  # the marks are on disk before any provider hears of these messages
        for text, batch in batch_of_text.items():
            retry = self._send_sms_request(sender, text, batch) or retry
            checkpoint()
        if retry:
            raise TransientDeliveryError(f"some of messages {message_ids} must be retried")

    def _send_sms_request(self, sender, text, batch):
        """One provider request for `batch` [(id, phone)]; store its answers. True when some must be retried."""
        try:
            answers = {result.phone: result for result in sender.send([phone for _, phone in batch], text)}
        except self.unknown_outcome_errors:
            messages = self._lock_ids([message_id for message_id, _ in batch])
            return any([self._settle_unknown(message, sender) for message in messages])
        except self.transient_errors:
            for message in self._lock_ids([message_id for message_id, _ in batch]):
                message.sending_since = None  # nothing went out: a plain retry
            return True
        now, stored, again = self.clock.now(), [], []
        for message_id, phone in batch:
            result = answers.get(phone)
            if result is None or result.status not in (m.ACCEPTED, m.FAILED):  # the sender's RETRY
                again.append(message_id)
                continue
            status = m.ACCEPTED if result.ok else m.FAILED
            entry = history_entry(status, result.reason, "send", now=now, provider=result.provider_status)
            stored.append((message_id, status, result.reason, entry, result))
        if again:
            for message in self._lock_ids(again):
                message.sending_since = None
        waiting = store_answers(self.session, stored, now, m.SMS)  # and the reports that overtook the send
        if waiting:  # reports that overtook this send: applied under the provider id's lock
            for message in self._lock_ids([message_id for message_id, *_, result in stored
                                           if result.provider_id in waiting]):
                self.reports.lock_provider_id(message.provider_id)
                self.reports.apply_pending(message)
        return bool(again)

    def deliver_whatsapp(self, message_id, *, checkpoint=lambda: None):
        """Send one queued WhatsApp message; outside the window its text goes by SMS instead.

        Marked and committed before the request like `deliver_sms`; a transient failure
        raises after `checkpoint()` kept what is known, so RQ retries with backoff.
        """
        sender = self.senders["whatsapp"]
        claimed = self._claim(self._lock_queued([message_id]), sender)
        if not claimed or claimed[0] is None:
            checkpoint()
            if claimed:
                raise TransientDeliveryError(f"message {message_id} is still being sent by another job")
            return None
        checkpoint()
        message = self._lock_ids([message_id])[0]
        try:
            result = sender.send(message.recipient, text=message.text, content_sid=message.content_sid,
                                 content_variables=message.content_variables)
        except self.outside_window_errors:
            message.sending_since = None
            self._set_status(message, m.FAILED, OUTSIDE_WINDOW_CODE, "send")
            self._fall_back_to_sms(message)
            return message
        except self.unknown_outcome_errors:
            if self._settle_unknown(message, sender):
                checkpoint()
                raise TransientDeliveryError(f"message {message_id} must be sent again") from None
            return message
        except self.transient_errors:
            message.sending_since = None
            checkpoint()
            raise
        self._store_result(message, result)
        return message

    def _claim(self, queued, sender):
        """Mark the sendable messages among `queued` (locked rows) as being sent; return them.

        A message marked by an attempt still within IN_FLIGHT may be waiting for the
        provider's answer in another job: it comes back as None (look again later). One
        marked longer ago lost its answer: `_settle_unknown` decides whether it goes again.
        """
        now, claimed = self.clock.now(), []
        for message in queued:
            if message.sending_since is not None:
                if now - message.sending_since < IN_FLIGHT:
                    claimed.append(None)
                    continue
                if not self._settle_unknown(message, sender):
                    continue
            message.attempts += 1
            message.sending_since = now
            message.updated_at = now
            claimed.append(message)
        return claimed

    def _settle_unknown(self, message, sender):
        """A send whose answer never came: ask the provider, else re-send only what must not be lost.

        Returns True when the message is to be sent again (left queued, unmarked).
        Twilio can be asked (`find_sent`); Africa's Talking cannot, so there a reminder
        is marked failed ("outcome unknown") rather than risk sending it twice.
        """
        since, message.sending_since = message.sending_since, None
        find_sent = getattr(sender, "find_sent", None)
        found = None
        if find_sent is not None and since is not None:
            try:
                found = find_sent(message.recipient, since, text=message.text, content_sid=message.content_sid)
            except self.transient_errors:
                found = None
        if found is not None:
            self._store_result(message, found)
            return False
        if message.kind in RESEND_WHEN_UNKNOWN:
            self._set_status(message, None, "outcome unknown: sending again", "send")
            return True
        self._set_status(message, m.FAILED, UNKNOWN_OUTCOME, "send")
        return False

    def _lock_queued(self, message_ids):
        return list(self.session.scalars(
            select(OutboundMessage).where(OutboundMessage.id.in_(list(message_ids)), OutboundMessage.status == m.QUEUED)
            .order_by(OutboundMessage.id).with_for_update().execution_options(populate_existing=True)))

    def _lock_ids(self, message_ids):
        """The messages again after a commit, locked, in one query (not one refresh per message)."""
        return list(self.session.scalars(
            select(OutboundMessage).where(OutboundMessage.id.in_(list(message_ids)))
            .order_by(OutboundMessage.id).with_for_update().execution_options(populate_existing=True)))

    # -- the sweep ------------------------------------------------------------------------------

    def sweep_stuck(self, *, grace, max_attempts, give_up_after, limit=SWEEP_LIMIT):
        """Send again every message still `queued` `grace` after its last change; fail the hopeless.

        A message gets stuck when its job was never enqueued (Redis away after the
        commit), was lost, or its worker died. Past `max_attempts` provider calls or
        `give_up_after` since it was made, it is marked failed. Returns (resent, failed).
        """
        now = self.clock.now()
        stuck = list(self.session.scalars(
            select(OutboundMessage).where(OutboundMessage.status == m.QUEUED, OutboundMessage.updated_at < now - grace)
            .order_by(OutboundMessage.id).limit(limit).with_for_update(skip_locked=True)))
        resent = failed = 0
        slot = now.strftime("%Y%m%dT%H%M")
        for message in stuck:
            if message.attempts >= max_attempts or message.created_at < now - give_up_after:
                message.sending_since = None
                self._set_status(message, m.FAILED, f"gave up after {message.attempts} attempts", "sweep")
                failed += 1
                continue
            job = send_whatsapp_job if message.channel == m.WHATSAPP else send_sms_job
            self.enqueue("default", job, message.id, job_id=message_resend_job_id(message.id, slot))
            resent += 1
        return resent, failed

    def _store_result(self, message, result):
        message.sending_since = None
        message.provider_id = result.provider_id
        message.segments = result.segments or message.segments
        message.cost_currency = result.cost_currency
        message.cost_amount = Decimal(result.cost_amount) if result.cost_amount else None
        status = m.ACCEPTED if result.ok else m.FAILED
        self._set_status(message, status, result.reason, "send", provider=result.provider_status)
        if result.provider_id:
            self.reports.lock_provider_id(result.provider_id)
            self.reports.apply_pending(message)

    def _fall_back_to_sms(self, message):
        text = message.sms_text or message.text
        exists = self.session.scalar(select(OutboundMessage.id).where(OutboundMessage.fallback_of_id == message.id))
        if text and exists is None:
            return self.send_sms(message.recipient, text, kind=message.kind, member_id=message.member_id,
                                 urgent=message.urgent, fallback_of=message.id)
        return None

    # -- reports (see delivery_reports.py) ----------------------------------------------------------

    def apply_sms_delivery_report(self, form):
        """Apply an Africa's Talking delivery report once; returns applied/pending/duplicate/malformed."""
        return self.reports.apply_sms_delivery_report(form)

    def apply_whatsapp_status(self, form):
        """Apply a Twilio status callback once; a 63016 failure sends the text by SMS instead."""
        return self.reports.apply_whatsapp_status(form)

    def _set_status(self, message, status, reason, source, provider=None):
        set_status(message, status, reason, source, now=self.clock.now(), provider=provider)


@job(defer_transaction=True)
def send_sms_job(services, message_id):
    """Send one recorded SMS (queue "default"); transient failures raise so RQ retries with backoff."""
    services.outbox.deliver_sms([message_id], checkpoint=lambda: commit_if_owed(services.session))


@job(defer_transaction=True)
def send_sms_batch_job(services, message_ids):
    """Send recorded SMS sharing a text in one provider request per text."""
    services.outbox.deliver_sms(message_ids, checkpoint=lambda: commit_if_owed(services.session))


@job
def send_whatsapp_job(services, message_id):
    """Send one recorded WhatsApp message; 63016 falls back to SMS."""
    services.outbox.deliver_whatsapp(message_id, checkpoint=services.session.commit)
