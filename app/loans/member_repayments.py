"""A member's repayments: what they are told before anything moves, and after.

Booking (lock, allocate, post, close) is app/loans/repayment_booking.py's; this
collaborator adds the one member-facing rule, never beyond the payoff on USSD and
SMS (`check`, asked by the screens before the PIN and again under the loan's lock),
the "repayment received" notice, and the mobile-money request. A collaborator of
LoanService (wired there).
"""

from app.ledger.references import entry_reference
from app.loans import errors
from app.loans.models import Loan
from app.loans.states import ON_BOOKS


class MemberRepayments:
    def __init__(self, *, repayments, members, payments, notify):
        self.repayments = repayments
        self.members = members
        self.payments = payments
        self.notify = notify

    def payoff(self, loan):
        """What clears `loan` today, as Money."""
        return self.repayments.payoff(loan)

    def check(self, loan, amount):
        """Raise NoLoan for a loan not on the books, PaysTooMuch beyond what clears it."""
        if loan is None or loan.state not in ON_BOOKS:
            raise errors.NoLoan()
        owed = self.payoff(loan)
        if amount > owed:
            raise errors.PaysTooMuch(owed)

    def from_savings(self, loan_id, amount, *, idempotency_key, actor, channel, session_ref=None):
        """Repay from the borrower's savings; raises NoLoan, PaysTooMuch, InsufficientFunds."""
        repayment = self.repayments.from_savings(loan_id, amount, key=idempotency_key, actor=actor,
                                                 channel=channel, session_ref=session_ref)
        loan = self.repayments.session.get(Loan, loan_id)
        self.notify(self.members.get(loan.member_id), "repayment_received", key=f"loan-repayment:{repayment.id}",
                    amount=amount, balance=self.payoff(loan), ref=entry_reference(repayment.ledger_entry_id))
        return repayment

    def by_mobile_money(self, loan, amount, *, idempotency_key, actor, channel, session_ref=None):
        """Ask the member's mobile money for a repayment of a locked `loan`; settles on the callback."""
        from app.payments.providers.base import COLLECTION

        self.check(loan, amount)
        member = self.members.get(loan.member_id)
        return self.payments.start(idempotency_key, member, COLLECTION, "loan_repayment", amount, member.phone,
                                   purpose_ref=loan.id, initiated_by=actor, channel=channel, session_ref=session_ref)
