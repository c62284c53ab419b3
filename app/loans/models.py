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
from app.loans.states import APPLIED, GUARANTEE_STATES, REQUESTED, STATES
from app.money import Money


class MoneyOf:
    """A read-only Money view of an integer `*_minor` attribute (columns keep minor units; Python reads Money).

    The currency is the row's own (`currency_of=None`) or the one `currency_of(row)` returns,
    e.g. the loan's for its instalments, repayments and guarantees.
    """

    def __init__(self, minor_attribute, doc=None, *, currency_of=None):
        self.minor_attribute = minor_attribute
        self.currency_of = currency_of or (lambda row: row.currency)
        self.__doc__ = doc

    def __get__(self, row, owner=None):
        if row is None:
            return self
        return Money(getattr(row, self.minor_attribute), self.currency_of(row))


def _state_check(states):
    """The CHECK that keeps a `state` column to its machine's states (app/loans/states.py)."""
    return CheckConstraint(f"state IN ({', '.join(repr(state) for state in states)})", name="state")


def _loan_currency(row):
    return row.loan.currency


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
        CheckConstraint("in_multiples_of_minor >= 1", name="in_multiples_of_positive"),
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
    in_multiples_of_minor: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    """Schedules, fees and penalties round to multiples of this (100 for KES: whole shillings, all M-Pesa
    carries); defaults to what the currency's operators can carry (app/operator_units.py)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    min_amount = MoneyOf("min_amount_minor")
    max_amount = MoneyOf("max_amount_minor")
    auto_approve_max = MoneyOf("auto_approve_max_minor")

    def __repr__(self):
        return f"<LoanProduct {self.id} {self.code}>"


class Loan(db.Model):
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("principal > 0", name="principal_positive"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        _state_check(STATES),
        CheckConstraint("destination IN ('savings', 'mobile_money')", name="destination"),
        CheckConstraint("in_multiples_of_minor >= 1", name="in_multiples_of_positive"),
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
    in_multiples_of_minor: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    """The product's rounding unit when applied for: the schedule and penalties round to it."""
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

    principal = MoneyOf("principal_minor")
    fee = MoneyOf("fee_minor", "The processing fee (deducted from the payout, or added to the first instalment).")
    own_limit = MoneyOf("own_limit_minor")

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
    principal_due_minor: Mapped[int] = mapped_column("principal_due", BigInteger)
    interest_due_minor: Mapped[int] = mapped_column("interest_due", BigInteger)
    fee_due_minor: Mapped[int] = mapped_column("fee_due", BigInteger, default=0)
    penalty_due_minor: Mapped[int] = mapped_column("penalty_due", BigInteger, default=0)
    principal_paid_minor: Mapped[int] = mapped_column("principal_paid", BigInteger, default=0)
    interest_paid_minor: Mapped[int] = mapped_column("interest_paid", BigInteger, default=0)
    fee_paid_minor: Mapped[int] = mapped_column("fee_paid", BigInteger, default=0)
    penalty_paid_minor: Mapped[int] = mapped_column("penalty_paid", BigInteger, default=0)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_on: Mapped[date | None] = mapped_column(Date)
    days_overdue: Mapped[int] = mapped_column(Integer, default=0)
    penalty_on: Mapped[date | None] = mapped_column(Date)
    """When the late penalty was charged (at most once per instalment)."""

    loan: Mapped[Loan] = relationship(back_populates="schedule")

    principal_due = MoneyOf("principal_due_minor", currency_of=_loan_currency)
    interest_due = MoneyOf("interest_due_minor", currency_of=_loan_currency)
    fee_due = MoneyOf("fee_due_minor", currency_of=_loan_currency)
    penalty_due = MoneyOf("penalty_due_minor", currency_of=_loan_currency)
    principal_paid = MoneyOf("principal_paid_minor", currency_of=_loan_currency)
    interest_paid = MoneyOf("interest_paid_minor", currency_of=_loan_currency)
    fee_paid = MoneyOf("fee_paid_minor", currency_of=_loan_currency)
    penalty_paid = MoneyOf("penalty_paid_minor", currency_of=_loan_currency)

    @hybrid_property
    def total_due_minor(self):
        """Minor units due on this instalment, penalty included (a SQL expression on the class)."""
        return self.principal_due_minor + self.interest_due_minor + self.fee_due_minor + self.penalty_due_minor

    @hybrid_property
    def total_paid_minor(self):
        return self.principal_paid_minor + self.interest_paid_minor + self.fee_paid_minor + self.penalty_paid_minor

    @hybrid_property
    def remaining_minor(self):
        """What is still owed on this instalment, in minor units: the one rule, in Python on a row
        and in SQL on the class (`select(LoanInstalment.remaining_minor)`, the reminders' query)."""
        return self.total_due_minor - self.total_paid_minor

    @hybrid_property
    def principal_left_minor(self):
        """Principal still outstanding on this instalment (in SQL too: the PAR report's query)."""
        return self.principal_due_minor - self.principal_paid_minor

    total_due = MoneyOf("total_due_minor", currency_of=_loan_currency)
    total_paid = MoneyOf("total_paid_minor", currency_of=_loan_currency)
    remaining = MoneyOf("remaining_minor", currency_of=_loan_currency)


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

    amount = MoneyOf("amount_minor", "What was paid, in the loan's currency; the parts below say where it went.",
                     currency_of=_loan_currency)
    penalty = MoneyOf("penalty_minor", currency_of=_loan_currency)
    fee = MoneyOf("fee_minor", currency_of=_loan_currency)
    interest = MoneyOf("interest_minor", currency_of=_loan_currency)
    principal = MoneyOf("principal_minor", currency_of=_loan_currency)
    excess = MoneyOf("excess_minor", "Beyond the payoff: credited to the payer's savings (mobile money only).",
                     currency_of=_loan_currency)


class LoanGuarantee(db.Model):
    """A guarantor's request and pledge; its states and their transitions are in app/loans/states.py."""

    __tablename__ = "loan_guarantees"
    __table_args__ = (
        UniqueConstraint("loan_id", "guarantor_id", name="uq_loan_guarantees_loan_guarantor"),
        _state_check(GUARANTEE_STATES),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    guarantor_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), default=REQUESTED)
    pledged_minor: Mapped[int] = mapped_column("pledged", BigInteger, default=0)
    recovered_minor: Mapped[int] = mapped_column("recovered", BigInteger, default=0)
    """What recovery took from the pledge (never more than pledged)."""
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    loan: Mapped[Loan] = relationship()

    pledged = MoneyOf("pledged_minor", currency_of=_loan_currency)
    recovered = MoneyOf("recovered_minor", currency_of=_loan_currency)

    @property
    def unrecovered(self):
        """What of the pledge recovery did not take (released when the loan ends)."""
        return self.pledged - self.recovered
