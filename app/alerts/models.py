"""The alert row a velocity rule raises: what rule, about whom, with what evidence."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

OPEN = "open"
CLOSED = "closed"
STATUSES = (OPEN, CLOSED)


class SecurityAlert(db.Model):
    """One alert; (rule, subject_type, subject_id, window_key) is unique, so each is raised once."""

    __tablename__ = "security_alerts"
    __table_args__ = (
        UniqueConstraint("rule", "subject_type", "subject_id", "window_key", name="uq_security_alerts_rule"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(20))
    """`member` or `agent`."""
    subject_id: Mapped[int] = mapped_column(BigInteger)
    window_key: Mapped[str] = mapped_column(String(80))
    """Which window of the rule this is (a bucket start, a change's time, a day and member)."""
    evidence: Mapped[dict] = mapped_column(JSONB, default=dict)
    """The movements, amounts and settings that made the rule fire, for the reviewer."""
    status: Mapped[str] = mapped_column(String(10), default=OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self):
        return f"<SecurityAlert {self.id} {self.rule} {self.subject_type}:{self.subject_id} {self.status}>"
