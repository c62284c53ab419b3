"""The notification record: what we told whom and why, made once per (kind, key).

`(kind, dedupe_key)` is unique, so a reminder keyed `repayment_due:<loan>:<inst>:<date>`
is inserted once however many workers or scheduler runs try (INSERT ... ON CONFLICT
DO NOTHING); a notification with no key is never deduplicated. The text is rendered
when the notification is made, in the recipient's language. When it is due (at once,
or after quiet hours) it is handed to the outbox in the same transaction that marks
it `dispatched`, and `message_id` points at the OutboundMessage whose status and
provider id say what became of it. A recipient is a member or a field agent.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

QUEUED = "queued"
"""Recorded; waiting for its time (quiet hours) or for the dispatch job."""
DISPATCHED = "dispatched"
"""Handed to the outbox: see the OutboundMessage `message_id` for status and provider id."""
STALE = "stale"
"""No longer applied when its time came (the guarantor answered, the instalment was paid): never sent
(app/notifications/staleness.py)."""


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("kind", "dedupe_key", name="uq_notifications_kind_dedupe_key"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str | None] = mapped_column(String(160))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    phone: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(5))
    urgent: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str] = mapped_column(Text)
    template_variables: Mapped[dict] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED, index=True)
    channel: Mapped[str | None] = mapped_column(String(10))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    send_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self):
        return f"<Notification {self.id} {self.kind} {self.status}>"
