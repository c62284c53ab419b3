"""The outbound message record and the provider reports about it.

Every SMS and WhatsApp message we send is one `OutboundMessage` row, written before
the provider is called (status `queued`) and updated by the send job (`accepted`
with the provider's id, segments and cost, or `failed`) and then by delivery
reports (`sent`, `delivered`, `read`, `failed`). Each status change is appended to
`status_history`, so an operator can read what happened and when.

`MessageReport` keeps every delivery report once (`dedupe_key` is unique: a report
delivered twice is stored once). A report whose provider id is not known yet (it
overtook the send job's commit) stays with `applied_at` NULL and is applied when the
send job stores that id: reports are never lost, whatever order they arrive in.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

QUEUED = "queued"
"""Recorded; the send job has not handed it to the provider yet."""
SUPPRESSED = "suppressed"
"""Not sent on purpose: a promotional or reminder SMS to a member who sent STOP."""
ACCEPTED = "accepted"
"""The provider took it; reports tell the rest."""
SENT = "sent"
"""The provider passed it to the network."""
DELETED, GONE, REFUSED = "deleted", "gone", "refused"
"""What asking a provider to delete a message it holds came to: deleted now, already gone (404), or
refused for good (auth, permissions)."""
DELIVERED = "delivered"
"""The handset has it."""
READ = "read"
"""WhatsApp: the member opened it."""
FAILED = "failed"
"""Refused by the provider or not deliverable; see `status_reason`."""

STATUS_RANK = {QUEUED: 0, SUPPRESSED: 9, ACCEPTED: 1, SENT: 2, DELIVERED: 3, FAILED: 3, READ: 4}
"""Reports arrive out of order: a status only replaces one of lower rank (never delivered -> sent).
Suppressed is final: nothing was sent, so no report can follow."""

SMS = "sms"
WHATSAPP = "whatsapp"


class OutboundMessage(db.Model):
    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(20), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(Boolean, default=True)
    text: Mapped[str | None] = mapped_column(Text)
    content_sid: Mapped[str | None] = mapped_column(String(64))
    content_variables: Mapped[dict | None] = mapped_column(JSONB)
    sms_text: Mapped[str | None] = mapped_column(Text)
    """WhatsApp only: what to send by SMS if WhatsApp refuses (defaults to `text`)."""
    segments: Mapped[int | None] = mapped_column(Integer)
    encoding: Mapped[str | None] = mapped_column(String(8))
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    cost_amount: Mapped[object | None] = mapped_column(Numeric(12, 4))
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(12), default=QUEUED, index=True)
    status_reason: Mapped[str | None] = mapped_column(String(200))
    status_history: Mapped[list] = mapped_column(JSONB, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    fallback_of_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id"))
    sending_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set and committed just before the provider is called, cleared with its answer: still set
    after the call means the outcome is unknown (a killed worker, a read timeout)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self):
        return f"<OutboundMessage {self.id} {self.channel} {self.status}>"


class MessageReport(db.Model):
    __tablename__ = "message_reports"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    provider_id: Mapped[str] = mapped_column(String(100), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(200))
    raw: Mapped[dict] = mapped_column(JSONB, default=dict)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """NULL while the message with this provider id is not known yet."""
