"""`audit_events`: one append-only row per audited action (the database refuses UPDATE and DELETE)."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_subject", "subject_type", "subject_id", "id"),
        Index("ix_audit_events_actor", "actor_kind", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_kind: Mapped[str] = mapped_column(String(10))
    """staff, member, agent or system (app/staff/actor.py)."""
    actor_id: Mapped[str | None] = mapped_column(String(60))
    os_user: Mapped[str | None] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(12))
    request_id: Mapped[str | None] = mapped_column(String(64))

    @property
    def subject(self):
        return f"{self.subject_type}:{self.subject_id}"

    @property
    def actor(self):
        return f"{self.actor_kind}:{self.actor_id}"

    def __repr__(self):
        return f"<AuditEvent {self.id} {self.actor} {self.action} {self.subject}>"
