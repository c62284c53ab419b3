"""`kyc_changes`: every change of a member's tier, the member's verification history.

One row per change, written with the audit event in the same transaction: from and to
tier, who (`agent:5`, `staff:3`, `system:migration-0017`), the ID type sighted, the
reason. The 0017 data migration wrote one row per member it moved to the new numbering
(`source="migration"`); `flask members notify-kyc-change` tells those members by SMS.
"""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

AGENT, STAFF, MIGRATION = "agent", "staff", "migration"
"""Where a change came from."""


class KycChange(db.Model):
    __tablename__ = "kyc_changes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    from_tier: Mapped[int] = mapped_column(Integer)
    """For a `migration` row: the level in the old numbering (2 = "typed an ID", 1 = none)."""
    to_tier: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(60))
    id_type: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self):
        return f"<KycChange {self.id} member {self.member_id} {self.from_tier}->{self.to_tier}>"
