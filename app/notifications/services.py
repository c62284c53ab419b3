"""The notification service: one call tells a member (or an agent) something, once.

`notify(recipient, kind, key=None, **params)` renders the kind's text in the
recipient's language and records it; a `(kind, key)` pair is inserted once (INSERT
... ON CONFLICT DO NOTHING), so reminders are never doubled by parallel workers or a
second scheduler run. A notification due now is handed to the outbox in the
caller's transaction (the outbox records the message and sends it from an RQ job on
`default`, with retries and backoff, after the commit). A non-urgent one made in
quiet hours waits: a `dispatch_notifications` job is scheduled for the end of them.
Members who prefer WhatsApp get it through the outbox (free text in the 24-hour
window, else the kind's approved template for their language, else SMS).
"""

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.i18n import format_param, translate
from app.keys import notification_dispatch_job_id
from app.notifications.kinds import KINDS, parse_templates
from app.notifications.models import DISPATCHED, QUEUED, STALE, Notification
from app.notifications.routing import QuietHours, wants_whatsapp
from app.notifications.staleness import stale
from app.observability import log_event


class UnknownKind(ValueError):
    """`notify` was asked for a kind not in app/notifications/kinds.py."""


class NotificationService:
    def __init__(self, session, *, clock, config, enqueue, outbox=None):
        self.session = session
        self.clock = clock
        self.config = config
        self.enqueue = enqueue
        self.outbox = outbox
        self.quiet_hours = QuietHours.parse(config.get("QUIET_HOURS", ""))
        self.templates = parse_templates(config.get("WHATSAPP_TEMPLATES", ""))

    # -- making ------------------------------------------------------------------------

    def notify(self, recipient, kind, key=None, **params):
        """Record one notification and send it (now, or after quiet hours).

        Returns the Notification, or None when `(kind, key)` was made before.
        Raises UnknownKind, and KeyError when the kind's text needs a missing parameter.
        """
        row = self.prepare(recipient, kind, key, **params)
        ids = self.insert([row])
        if not ids:
            log_event("notify.duplicate", kind=kind, key=key)
            return None
        # A money callback tells its member once: reading the row back (then again, locked, to dispatch
        # it) was two of its twenty statements, and every column is known here.
        notification = Notification.just_inserted(self.session, id=ids[0], channel=None, message_id=None,
                                                  dispatched_at=None, **row)
        if notification.send_after > self.clock.now():
            self.schedule([notification.id], notification.send_after)
        else:  # inserted by this transaction: nobody else can see it yet, so nothing to lock
            self._hand_over([notification], recipients={notification.id: recipient})
        return notification

    def prepare(self, recipient, kind, key=None, **params):
        """The row `notify` would insert (a dict): rendered text, urgency, when it may go."""
        locale = getattr(recipient, "locale", None) or self.default_locale
        text, variables = self.render(kind, locale, **params)
        now = self.clock.now()
        is_agent = getattr(recipient, "recipient_kind", "member") == "agent"
        return {
            "kind": kind, "dedupe_key": key, "member_id": None if is_agent else recipient.id,
            "agent_id": recipient.id if is_agent else None, "phone": recipient.phone, "locale": locale,
            "urgent": KINDS[kind].urgent, "text": text, "template_variables": variables,
            "status": QUEUED, "created_at": now, "send_after": self.send_after(kind),
        }

    @property
    def default_locale(self):
        """The language of a recipient who has none."""
        return self.config.get("DEFAULT_LOCALE", "en")

    def render(self, kind, locale, **params):
        """(text, WhatsApp template variables) of `kind` in `locale`: the one place a kind is worded.

        Raises UnknownKind, and KeyError when the kind's text needs a missing parameter.
        """
        if kind not in KINDS:
            raise UnknownKind(kind)
        spec = KINDS[kind]
        params = {"ussd_code": self.config.get("USSD_CODE", ""), **params}
        variables = {str(i): str(format_param(params[name], locale))
                     for i, name in enumerate(spec.variables, start=1) if name in params}
        return translate(locale, spec.msgid, **params), variables

    def send_after(self, kind):
        """When a notification of `kind` made now may go: now, or the end of the quiet hours."""
        return self.quiet_hours.send_after(self.clock.now(), self.clock.zone, KINDS[kind].urgent)

    def insert(self, rows):
        """Insert prepared rows, skipping `(kind, key)` pairs already made; return the new ids."""
        if not rows:
            return []
        # One compiled statement, sent as multi-row VALUES batches by SQLAlchemy's insertmanyvalues.
        statement = (insert(Notification).on_conflict_do_nothing(index_elements=["kind", "dedupe_key"])
                     .returning(Notification.id))
        return list(self.session.scalars(statement, rows))

    def schedule(self, ids, send_after):
        """Enqueue dispatch of `ids` after commit, at `send_after` when that is in the future."""
        from app.notifications.tasks import dispatch_notifications

        at = send_after if send_after > self.clock.now() else None
        self.enqueue("default", dispatch_notifications, list(ids), job_id=notification_dispatch_job_id(ids),
                     at=at)

    # -- handing to the outbox ---------------------------------------------------------

    def dispatch(self, ids, *, recipients=None):
        """Hand the queued, due notifications among `ids` to the outbox; return how many.

        Rows are locked SKIP LOCKED and marked dispatched in this transaction, so two
        jobs given the same ids send each notification once. Identical SMS texts go to
        the outbox as one batch (one provider request). A row that no longer applies
        (staleness.py: the question answered, the instalment paid) is marked `stale`, never sent.
        """
        rows = list(self.session.scalars(
            select(Notification).where(Notification.id.in_(list(ids)), Notification.status == QUEUED,
                                       Notification.send_after <= self.clock.now())
            .order_by(Notification.id).with_for_update(skip_locked=True)))
        return self._hand_over(rows, recipients=recipients)

    def _hand_over(self, rows, *, recipients=None):
        """`dispatch` for rows this transaction holds (locked, or inserted by it); return how many went."""
        gone = stale(self.session, rows)
        for row in rows:
            if row.id in gone:
                row.status = STALE
                log_event("notify.stale", kind=row.kind, key=row.dedupe_key)
        rows = [row for row in rows if row.id not in gone]
        recipients = recipients or self._recipients(rows)
        by_text = defaultdict(list)
        for row in rows:
            recipient = recipients.get(row.id)
            if wants_whatsapp(recipient):
                self._send_whatsapp(row)
            elif row.urgent:
                message = self.outbox.send_sms(row.phone, row.text, kind=row.kind, member_id=row.member_id,
                                               urgent=True)
                self._mark(row, "sms", message)
            else:
                by_text[row.text].append(row)
        for text, group in by_text.items():
            self._send_sms_batch(text, group)
        return len(rows)

    def _send_whatsapp(self, row):
        message = self.outbox.send_whatsapp(
            row.phone, text=row.text, content_sid=self.templates.get((row.kind, row.locale)),
            content_variables=row.template_variables or None, kind=row.kind, member_id=row.member_id,
            urgent=row.urgent, sms_text=row.text)
        self._mark(row, message.channel, message)

    def _send_sms_batch(self, text, rows):
        """One outbox batch per set of distinct phones (a phone told the same thing twice gets two)."""
        while rows:
            batch, rest, seen = [], [], set()
            for row in rows:
                (rest if row.phone in seen else batch).append(row)
                seen.add(row.phone)
            messages = self.outbox.send_sms_many([row.phone for row in batch], text, kind=batch[0].kind,
                                                 urgent=False)
            for row, message in zip(batch, messages, strict=True):
                self._mark(row, "sms", message)
            rows = rest

    def _mark(self, row, channel, message):
        row.status, row.channel, row.dispatched_at = DISPATCHED, channel, self.clock.now()
        row.message_id = message.id

    def _recipients(self, rows):
        """{notification id: member or agent} for the rows, in two queries."""
        from app.members.models import Member

        members = {}
        member_ids = {row.member_id for row in rows if row.member_id}
        if member_ids:
            members = {m.id: m for m in self.session.scalars(select(Member).where(Member.id.in_(member_ids)))}
        agents = {}
        agent_ids = {row.agent_id for row in rows if row.agent_id}
        if agent_ids:
            from app.agents.models import Agent

            agents = {a.id: a for a in self.session.scalars(select(Agent).where(Agent.id.in_(agent_ids)))}
        return {row.id: members.get(row.member_id) if row.member_id else agents.get(row.agent_id) for row in rows}

    # -- reading -----------------------------------------------------------------------

    def message_of(self, notification):
        """The OutboundMessage a dispatched notification became (its status and provider id), or None."""
        from app.notifications.messages import OutboundMessage

        return None if notification.message_id is None else self.session.get(OutboundMessage,
                                                                               notification.message_id)

    def stale_queued(self, older_than, limit=5000):
        """Ids of notifications still queued well after their time (their job was lost)."""
        cutoff = self.clock.now() - older_than
        return list(self.session.scalars(
            select(Notification.id).where(Notification.status == QUEUED, Notification.send_after < cutoff)
            .order_by(Notification.id).limit(limit)))
