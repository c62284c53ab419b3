"""The agent and every cash transaction an agent makes for a member.

An agent is not a member: their own PIN (hashed like members', app/members/pin_hashing.py),
their own lockout, a float account in the ledger (owner "agent", kind
`agent_float`) and limits per transaction and per day. An agent transaction is one
ledger entry plus this row, which carries the receipt code the member gets by SMS
and, when the member disputes it within 24 hours, the dispute: an AgentDispute row
that staff take from open through investigating to upheld or rejected (disputes.py).
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.money import Money

ACTIVE = "active"
SUSPENDED = "suspended"

COMPLETED = "completed"
DISPUTED = "disputed"

CASH_DEPOSIT = "cash_deposit"
CASH_WITHDRAWAL = "cash_withdrawal"
"""A cash-out (member savings -> agent float, the agent hands over cash): not offered yet; disputes know it."""
LOAN_REPAYMENT = "cash_loan_repayment"
CONTRIBUTION = "cash_contribution"


class Agent(db.Model):
    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended')", name="status"),
        CheckConstraint("per_transaction_limit_minor > 0 AND daily_limit_minor > 0", name="limits_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    currency: Mapped[str] = mapped_column(String(3))
    pin_hash: Mapped[str] = mapped_column(String(128))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE)
    per_transaction_limit_minor: Mapped[int] = mapped_column(BigInteger)
    daily_limit_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    # What the notification service asks of any recipient: agents always get SMS.
    recipient_kind = "agent"
    preferred_channel = "sms"
    sms_opted_out = False
    last_whatsapp_at = None

    @property
    def per_transaction_limit(self):
        return Money(self.per_transaction_limit_minor, self.currency)

    @property
    def daily_limit(self):
        return Money(self.daily_limit_minor, self.currency)

    def __repr__(self):
        return f"<Agent {self.id} {self.code}>"


class AgentTransaction(db.Model):
    __tablename__ = "agent_transactions"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("status IN ('completed', 'disputed')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    purpose_ref: Mapped[str | None] = mapped_column(String(60))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    receipt: Mapped[str] = mapped_column(String(12), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    status: Mapped[str] = mapped_column(String(10), default=COMPLETED, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    disputed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def amount(self):
        return Money(self.amount_minor, self.currency)

    def __repr__(self):
        return f"<AgentTransaction {self.id} {self.kind} {self.receipt}>"


OPEN = "open"
INVESTIGATING = "investigating"
UPHELD = "upheld"
REJECTED = "rejected"

DISPUTE_TRANSITIONS = {
    OPEN: frozenset({INVESTIGATING}),
    INVESTIGATING: frozenset({UPHELD, REJECTED}),
    UPHELD: frozenset(),
    REJECTED: frozenset(),
}
"""state -> the states a dispute may move to: support investigates, then a branch manager decides."""

UNRESOLVED = (OPEN, INVESTIGATING)
"""States the SLA watches."""


class AgentDispute(db.Model):
    """A member's dispute of one agent transaction and what staff decided (one per transaction)."""

    __tablename__ = "agent_disputes"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'investigating', 'upheld', 'rejected')", name="state"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("agent_transactions.id"), unique=True)
    state: Mapped[str] = mapped_column(String(15), default=OPEN, index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """The SLA: still open or investigating at this time, the dispute escalates to the branch manager."""
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    investigated_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    investigated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_reason: Mapped[str | None] = mapped_column(String(500))
    reversal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    def __repr__(self):
        return f"<AgentDispute {self.id} {self.state}>"
