"""The payment record (one per mobile-money request) and the audit of every callback and query.

A payment's `idempotency_key` is chosen by the caller (`deposit:<member>:<session>`),
so a replayed request finds the same row. `reference` is what we tell the operator
(`PMJ000000042`); `provider_ref` is the operator's id for it, when it gives one.
`in_doubt` is set, and committed, just before the operator is called: a worker that
dies mid-call leaves it set, and the next attempt knows a request may already be out.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.money import Money


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("direction IN ('collection', 'disbursement')", name="direction"),
        CheckConstraint("state IN ('initiated', 'pending', 'succeeded', 'failed', 'timed_out', 'reversed', "
                        "'review')", name="state"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(12))
    purpose: Mapped[str] = mapped_column(String(30))
    purpose_ref: Mapped[str | None] = mapped_column(String(60))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    phone: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(12), default="initiated", index=True)
    provider_ref: Mapped[str | None] = mapped_column(String(100), index=True)
    receipt: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(String(60))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    in_doubt: Mapped[bool] = mapped_column(Boolean, default=False)
    initiated_by: Mapped[str] = mapped_column(String(60), default="system")
    channel: Mapped[str] = mapped_column(String(20), default="system")
    session_ref: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    @property
    def amount(self):
        return Money(self.amount_minor, self.currency)

    @property
    def fee(self):
        return Money(self.fee_minor, self.currency)

    def __repr__(self):
        return f"<Payment {self.id} {self.direction} {self.purpose} {self.state}>"


class PaymentEvent(db.Model):
    """One callback, status query or job outcome as received, with what we did with it."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10))
    raw: Mapped[dict] = mapped_column(JSONB)
    outcome: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
