"""Staff accounts and their roles, maker-checker approvals, and the back-office work queue.

- `staff`: one row per person; `password_hash` is argon2 (app/staff/passwords.py),
  `totp_secret` the base32 TOTP seed (confirmed when `totp_enrolled`), with
  `totp_last_step` so a code is accepted once; `failed_logins` / `locked_until`
  the sign-in lockout. `phone` (optional) receives work-queue SMS.
- `staff_roles`: (staff_id, role), one row per role held; roles are in
  app/staff/permissions.py ROLES.
- `approvals`: a maker's request waiting for a different, signed-in checker; at most
  one pending request per (action, subject).
- `work_items`: "tell finance / the branch manager / compliance": an item owned by a
  role, open until someone with that role closes it; `dedupe_key` opens it once.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

ACTIVE, DISABLED = "active", "disabled"
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
OPEN, DONE = "open", "done"


class Staff(db.Model):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint("status IN ('active', 'disabled')", name="status"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    """E.164; where work-queue SMS for this person's roles go (none: the console queue only)."""
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE)
    password_hash: Mapped[str] = mapped_column(String(200))
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enrolled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    """The last 30-second step whose code was accepted: a code is never accepted twice."""
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    role_rows: Mapped[list["StaffRole"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self):
        """The role names held, sorted."""
        return tuple(sorted(row.role for row in self.role_rows))

    def __repr__(self):
        return f"<Staff {self.id} {self.username} {self.status} {','.join(self.roles)}>"


class StaffRole(db.Model):
    __tablename__ = "staff_roles"

    staff_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)


class Approval(db.Model):
    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'approved', 'rejected')", name="state"),
        Index("uq_approvals_pending_subject", "action", "subject_type", "subject_id", unique=True,
              postgresql_where=text("state = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSONB, default=dict)
    """What the action handler needs to run (ids, amounts in minor units, the target state)."""
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    maker_staff_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id"))
    state: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    checker_staff_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("staff.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSONB)
    """What the handler returned when it ran (a dict, JSON-able), for the record."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def subject(self):
        return f"{self.subject_type}:{self.subject_id}"

    def __repr__(self):
        return f"<Approval {self.id} {self.action} {self.subject} {self.state}>"


class WorkItem(db.Model):
    __tablename__ = "work_items"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'done')", name="status"),
        Index("ix_work_items_role_status", "role", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    """What needs doing: `payment_review`, `dispute_escalated`, `float_low`, ..."""
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(String(200))
    """One line for the queue and the staff SMS: no PIN, no full ID number."""
    details: Mapped[dict] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assignee_staff_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_staff_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("staff.id"))
    resolution: Mapped[str | None] = mapped_column(Text)

    @property
    def subject(self):
        return f"{self.subject_type}:{self.subject_id}"

    def __repr__(self):
        return f"<WorkItem {self.id} {self.kind} {self.subject} {self.role} {self.status}>"
