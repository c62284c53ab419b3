"""The record of every decision on a loan: who, when, on which channel, and why.

Applying, approving, declining, paying out, a failed payout, closing, default and
recovery each add one LoanDecision row; the rows are never changed. A group loan's
officials' approvals are rows too, so counting distinct approvers is a query here.
"""

from sqlalchemy import func, select

from app.loans.models import LoanDecision


class Decisions:
    def __init__(self, session, *, clock):
        self.session = session
        self.clock = clock

    def record(self, loan, decision, actor, channel, reason=""):
        """Add one decision row (the reason cut to its column's 200 characters)."""
        self.session.add(LoanDecision(loan_id=loan.id, decision=decision, actor=actor, channel=channel,
                                      reason=reason[:200], created_at=self.clock.now()))
        self.session.flush()

    def of_loan(self, loan):
        """Every decision on `loan`, oldest first."""
        return list(self.session.scalars(select(LoanDecision).where(LoanDecision.loan_id == loan.id)
                                         .order_by(LoanDecision.id)))

    def count(self, loan, decision):
        """How many times `decision` was recorded on `loan` (failed payouts number the next attempt)."""
        return self.session.scalar(select(func.count(LoanDecision.id)).where(
            LoanDecision.loan_id == loan.id, LoanDecision.decision == decision))

    def actors(self, loan, decision):
        """The distinct actors who recorded `decision` on `loan`."""
        return set(self.session.scalars(select(LoanDecision.actor).where(
            LoanDecision.loan_id == loan.id, LoanDecision.decision == decision)))

    def loan_ids_by(self, actor, decision):
        """Ids of the loans on which `actor` recorded `decision`."""
        return set(self.session.scalars(select(LoanDecision.loan_id).where(
            LoanDecision.decision == decision, LoanDecision.actor == actor)))
