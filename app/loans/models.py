"""Loan tables: products, loans, their instalments, decisions, repayments and guarantees.

A loan copies its product's terms (rate, method, frequency, fee, penalty) when it is
applied for, so changing a product never changes a loan already on the books. The
schedule rows are written once, at disbursement; afterwards only their *paid*
amounts, penalty, days overdue and paid flag move. What a member owes is derived
from the rows (due - paid); the ledger's per-loan accounts hold the same figures.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.loans.states import APPLIED, STATES
from app.money import Money


class LoanProduct(db.Model):
    __tablename__ = "loan_products"
    __table_args__ = (
        CheckConstraint("min_amount > 0 AND max_amount >= min_amount", name="amounts"),
        CheckConstraint("frequency IN ('weekly', 'monthly')", name="frequency"),
        CheckConstraint("interest_method IN ('flat', 'declining')", name="interest_method"),
        CheckConstraint("fee_type IN ('flat', 'percent')", name="fee_type"),
        CheckConstraint("fee_timing IN ('deducted', 'first_instalment')", name="fee_timing"),
        CheckConstraint("penalty_type IN ('flat', 'percent')", name="penalty_type"),
        CheckConstraint("guarantor_rule IN ('none', 'above_limit')", name="guarantor_rule"),
        CheckConstraint("approval IN ('auto', 'officer', 'group')", name="approval"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    min_amount_minor: Mapped[int] = mapped_column("min_amount", BigInteger)
    max_amount_minor: Mapped[int] = mapped_column("max_amount", BigInteger)
    terms: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    frequency: Mapped[str] = mapped_column(String(10))
    interest_method: Mapped[str] = mapped_column(String(10))
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    fee_type: Mapped[str] = mapped_column(String(10), default="percent")
    fee_value: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=0)
    """Minor units when flat, a percentage of the principal when percent."""
    fee_timing: Mapped[str] = mapped_column(String(20), default="deducted")
    penalty_type: Mapped[str] = mapped_column(String(10), default="percent")
    penalty_value: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=0)
    """Minor units when flat, a percentage of the overdue instalment when percent."""
    grace_days: Mapped[int] = mapped_column(Integer, default=0)
    savings_multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=3)
    min_membership_days: Mapped[int] = mapped_column(Integer, default=0)
    guarantor_rule: Mapped[str] = mapped_column(String(12), default="above_limit")
    approval: Mapped[str] = mapped_column(String(10), default="auto")
    auto_approve_max_minor: Mapped[int] = mapped_column("auto_approve_max", BigInteger, default=0)
    """Loans up to this amount within the member's limit approve themselves."""
    group_id: Mapped[int | None] = mapped_column(BigInteger)
    """Set for a group's own product (lent from its pool); no FK until the groups package lands."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def money(self, minor):
        return Money(minor, self.currency)

    @property
    def min_amount(self):
        return Money(self.min_amount_minor, self.currency)

    @property
    def max_amount(self):
        return Money(self.max_amount_minor, self.currency)

    @property
    def auto_approve_max(self):
        return Money(self.auto_approve_max_minor, self.currency)

    def __repr__(self):
        return f"<LoanProduct {self.id} {self.code}>"


class Loan(db.Model):
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("principal > 0", name="principal_positive"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        CheckConstraint(f"state IN ({', '.join(repr(state) for state in STATES)})", name="state"),
        CheckConstraint("destination IN ('savings', 'mobile_money')", name="destination"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_products.id"), index=True)
    principal_minor: Mapped[int] = mapped_column("principal", BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    instalments: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[str] = mapped_column(String(10))
    interest_method: Mapped[str] = mapped_column(String(10))
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    fee_minor: Mapped[int] = mapped_column("fee", BigInteger, default=0)
    fee_timing: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12), default=APPLIED, index=True)
    """See app/loans/states.py; changed only by its move()."""
    destination: Mapped[str] = mapped_column(String(12), default="savings")
    own_limit_minor: Mapped[int] = mapped_column("own_limit", BigInteger, default=0)
    """The member's limit when they applied; above it, guarantors' pledges must cover the rest."""
    disbursement_payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    disbursed_on: Mapped[date | None] = mapped_column(Date)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disbursed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(20), default="system")
    session_ref: Mapped[str | None] = mapped_column(String(120))

    product: Mapped[LoanProduct] = relationship()
    schedule: Mapped[list["LoanInstalment"]] = relationship(order_by="LoanInstalment.number",
                                                            back_populates="loan")

    def money(self, minor):
        return Money(minor, self.currency)

    @property
    def principal(self):
        return Money(self.principal_minor, self.currency)

    @property
    def fee(self):
        """The processing fee (deducted from the payout, or added to the first instalment)."""
        return Money(self.fee_minor, self.currency)

    @property
    def own_limit(self):
        return Money(self.own_limit_minor, self.currency)

    @property
    def guarantee_needed(self):
        """The part of the principal above the member's own limit."""
        return Money(max(0, self.principal_minor - self.own_limit_minor), self.currency)

    def __repr__(self):
        return f"<Loan {self.id} member {self.member_id} {self.state}>"


class LoanInstalment(db.Model):
    __tablename__ = "loan_instalments"
    __table_args__ = (
        UniqueConstraint("loan_id", "number", name="uq_loan_instalments_loan_number"),
        CheckConstraint("principal_paid <= principal_due AND interest_paid <= interest_due AND "
                        "fee_paid <= fee_due AND penalty_paid <= penalty_due", name="not_overpaid"),
        CheckConstraint("principal_paid >= 0 AND interest_paid >= 0 AND fee_paid >= 0 AND penalty_paid >= 0",
                        name="paid_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    principal_due: Mapped[int] = mapped_column(BigInteger)
    interest_due: Mapped[int] = mapped_column(BigInteger)
    fee_due: Mapped[int] = mapped_column(BigInteger, default=0)
    penalty_due: Mapped[int] = mapped_column(BigInteger, default=0)
    principal_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    interest_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    penalty_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_on: Mapped[date | None] = mapped_column(Date)
    days_overdue: Mapped[int] = mapped_column(Integer, default=0)
    penalty_on: Mapped[date | None] = mapped_column(Date)
    """When the late penalty was charged (at most once per instalment)."""

    loan: Mapped[Loan] = relationship(back_populates="schedule")

    @hybrid_property
    def total_due(self):
        """Minor units due on this instalment, penalty included (a SQL expression on the class)."""
        return self.principal_due + self.interest_due + self.fee_due + self.penalty_due

    @hybrid_property
    def total_paid(self):
        return self.principal_paid + self.interest_paid + self.fee_paid + self.penalty_paid

    @hybrid_property
    def remaining(self):
        """What is still owed on this instalment, in minor units: the one rule, in Python on a row
        and in SQL on the class (`select(LoanInstalment.remaining)`, the reminders' query)."""
        return self.total_due - self.total_paid

    @hybrid_property
    def principal_left(self):
        """Principal still outstanding on this instalment (in SQL too: the PAR report's query)."""
        return self.principal_due - self.principal_paid


class LoanDecision(db.Model):
    """Every decision on a loan: who, when, on which channel, and why."""

    __tablename__ = "loan_decisions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoanRepayment(db.Model):
    """One repayment and how it was allocated; its key makes a replay change nothing."""

    __tablename__ = "loan_repayments"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int] = mapped_column("amount", BigInteger)
    penalty_minor: Mapped[int] = mapped_column("penalty", BigInteger, default=0)
    fee_minor: Mapped[int] = mapped_column("fee", BigInteger, default=0)
    interest_minor: Mapped[int] = mapped_column("interest", BigInteger, default=0)
    principal_minor: Mapped[int] = mapped_column("principal", BigInteger, default=0)
    excess_minor: Mapped[int] = mapped_column("excess", BigInteger, default=0)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    channel: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    loan: Mapped[Loan] = relationship()

    @property
    def amount(self):
        """What was paid, in the loan's currency; the parts below say where it went."""
        return self.loan.money(self.amount_minor)

    @property
    def penalty(self):
        return self.loan.money(self.penalty_minor)

    @property
    def fee(self):
        return self.loan.money(self.fee_minor)

    @property
    def interest(self):
        return self.loan.money(self.interest_minor)

    @property
    def principal(self):
        return self.loan.money(self.principal_minor)

    @property
    def excess(self):
        """Beyond the payoff: credited to the payer's savings (mobile money only)."""
        return self.loan.money(self.excess_minor)


class LoanGuarantee(db.Model):
    """A guarantor's request and pledge: requested -> pledged -> released | recovered; or declined."""

    __tablename__ = "loan_guarantees"
    __table_args__ = (
        UniqueConstraint("loan_id", "guarantor_id", name="uq_loan_guarantees_loan_guarantor"),
        CheckConstraint("state IN ('requested', 'pledged', 'declined', 'released', 'recovered', 'cancelled')",
                        name="state"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    guarantor_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="requested")
    pledged_minor: Mapped[int] = mapped_column("pledged", BigInteger, default=0)
    recovered_minor: Mapped[int] = mapped_column("recovered", BigInteger, default=0)
    """What recovery took from the pledge (never more than pledged)."""
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    loan: Mapped[Loan] = relationship()

    @property
    def pledged(self):
        return self.loan.money(self.pledged_minor)

    @property
    def recovered(self):
        return self.loan.money(self.recovered_minor)

    @property
    def unrecovered(self):
        """What of the pledge recovery did not take (released when the loan ends)."""
        return self.loan.money(self.pledged_minor - self.recovered_minor)
