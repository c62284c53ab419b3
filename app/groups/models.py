"""Savings groups (chamas): the group, its members, contributions per period, fines and payouts.

Money itself lives in the ledger; these rows say what the money was for. A
contribution row is one period's part of one ledger entry (a payment that covers two
missed weeks is one entry and two rows), so arrears per member per period are a sum
over rows, and the group's ledger shows who paid what for which period.
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import text

from app.extensions import db
from app.i18n import N_
from app.money import Money

ROLES = ("chair", "treasurer", "secretary", "member")
ROLE_LABELS = {"chair": N_("chair"), "treasurer": N_("treasurer"), "secretary": N_("secretary"),
               "member": N_("member")}
"""Each role as members read it (msgids)."""
SINGLE_ROLES = frozenset({"chair", "treasurer", "secretary"})
"""Roles a group has at most one of."""
OFFICIALS = frozenset({"chair", "treasurer"})
"""Roles that approve joiners, see everyone's arrears and run payouts."""
STATUSES = ("pending", "active", "declined", "left")
FREQUENCIES = ("weekly", "monthly")


class Group(db.Model):
    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint("contribution_minor > 0", name="contribution_positive"),
        CheckConstraint("fine_minor IS NULL OR fine_minor > 0", name="fine_positive"),
        CheckConstraint("frequency IN ('weekly', 'monthly')", name="frequency"),
        CheckConstraint("(frequency = 'weekly' AND meeting_day BETWEEN 1 AND 7) OR "
                        "(frequency = 'monthly' AND meeting_day BETWEEN 1 AND 28)", name="meeting_day"),
        # membership.keypad_column(): old letter codes found by the digits a keypad gives for them
        Index("ix_groups_keypad_code", func.translate(text("code"), "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                                      "22233344455566677778889999")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(8), unique=True)
    """Six digits (groups made before digit codes keep their letters: app/groups/membership.py)."""
    currency: Mapped[str] = mapped_column(String(3))
    contribution_minor: Mapped[int] = mapped_column(BigInteger)
    frequency: Mapped[str] = mapped_column(String(8))
    meeting_day: Mapped[int] = mapped_column(SmallInteger)
    """Weekly: ISO weekday 1 (Monday) to 7; monthly: day of month 1 to 28."""
    fine_minor: Mapped[int | None] = mapped_column(BigInteger)
    payout_order_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @property
    def contribution(self):
        return Money(self.contribution_minor, self.currency)

    @property
    def fine(self):
        """The late fine, or None when the group has none."""
        return Money(self.fine_minor, self.currency) if self.fine_minor else None

    def __repr__(self):
        return f"<Group {self.id} {self.code} {self.name!r}>"


class GroupMember(db.Model):
    __tablename__ = "group_members"
    __table_args__ = (
        UniqueConstraint("group_id", "member_id", name="uq_group_members_member"),
        CheckConstraint("role IN ('chair', 'treasurer', 'secretary', 'member')", name="role"),
        CheckConstraint("status IN ('pending', 'active', 'declined', 'left')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    joined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the membership became active: contributions are owed from then on."""
    payout_position: Mapped[int | None] = mapped_column(Integer)

    @property
    def is_official(self):
        return self.status == "active" and self.role in OFFICIALS

    def __repr__(self):
        return f"<GroupMember g{self.group_id} m{self.member_id} {self.role} {self.status}>"


class GroupContribution(db.Model):
    """One period's part of a contribution; `ledger_entry_id` or `payment_id` names the money."""

    __tablename__ = "group_contributions"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("ledger_entry_id IS NOT NULL OR payment_id IS NOT NULL", name="has_source"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    refunded_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    """The entry that gave this money back when the member left (app/groups/leaving.py): the row
    then pays no period, and no payout counts it."""
    shared_out_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    """The share-out that gave this money back (app/groups/share_out.py): the period stays paid,
    but no payout counts it."""

    @property
    def amount(self):
        return Money(self.amount_minor, self.currency)


class GroupFine(db.Model):
    """A late fine for one member and period; unpaid while `ledger_entry_id` is NULL."""

    __tablename__ = "group_fines"
    __table_args__ = (
        UniqueConstraint("group_id", "member_id", "period", name="uq_group_fines_period"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    period: Mapped[str] = mapped_column(String(8))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @property
    def amount(self):
        return Money(self.amount_minor, self.currency)


class GroupPayout(db.Model):
    """The merry-go-round payout of one period: at most one per group and period."""

    __tablename__ = "group_payouts"
    __table_args__ = (
        UniqueConstraint("group_id", "period", name="uq_group_payouts_period"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    ledger_entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @property
    def amount(self):
        return Money(self.amount_minor, self.currency)
