"""A member's repayments: what they are told before anything moves, and after.

Booking (lock, allocate, post, close) is app/loans/repayment_booking.py's; this
collaborator adds the one member-facing rule, never beyond the payoff on USSD and
SMS (`check`, asked by the screens before the PIN and again under the loan's lock),
the "repayment received" notice, and the mobile-money request. A collaborator of
LoanService (wired there).

A payoff with a fraction mobile money cannot carry (a loan scheduled before its product
rounded to whole units: KES 10,352.91) may be cleared by the next whole amount (KES
10,353): by mobile money the excess goes to savings as any excess does; from savings
only the payoff is taken. So no loan is ever left with an unpayable fraction.
"""

from app.ledger.references import entry_reference
from app.loans import errors
from app.loans.models import Loan
from app.loans.states import ON_BOOKS
from app.money import Money
from app.operator_units import OperatorUnits


class MemberRepayments:
    def __init__(self, *, repayments, members, payments, notify, operator_units=None):
        self.operator_units = operator_units or OperatorUnits()
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
        if amount > self.clearing_amount(owed):
            raise errors.PaysTooMuch(owed)

    def clearing_amount(self, owed):
        """The payoff rounded up to what the currency's mobile money carries: the most a member may pay."""
        unit = self.operator_units.of(owed.currency)
        return Money(-(-owed.minor // unit) * unit, owed.currency)

    def from_savings(self, loan_id, amount, *, idempotency_key, actor, channel, session_ref=None):
        """Repay from the borrower's savings (at most the payoff is taken); raises NoLoan, PaysTooMuch,
        InsufficientFunds."""
        amount = self.taken_from_savings(loan_id, amount, idempotency_key)
        repayment = self.repayments.from_savings(loan_id, amount, key=idempotency_key, actor=actor,
                                                 channel=channel, session_ref=session_ref)
        loan = self.repayments.session.get(Loan, loan_id)
        self.notify(self.members.get(loan.member_id), "repayment_received", key=f"loan-repayment:{repayment.id}",
                    amount=amount, balance=self.repayments.outstanding(loan),
                    ref=entry_reference(repayment.ledger_entry_id))
        return repayment

    def taken_from_savings(self, loan_id, amount, key):
        """What a savings repayment of `amount` takes: at most the payoff (the same on a replay of `key`)."""
        existing = self.repayments.by_key(key)
        if existing is not None:
            taken = Money(existing.amount_minor, amount.currency)
            return taken if taken < amount <= self.clearing_amount(taken) else amount
        loan = self.repayments.session.get(Loan, loan_id)
        if loan is None or loan.state not in ON_BOOKS:
            return amount
        self.check(loan, amount)
        return min(amount, self.payoff(loan))

    def by_mobile_money(self, loan, amount, *, idempotency_key, actor, channel, session_ref=None):
        """Ask the member's mobile money for a repayment of a locked `loan`; settles on the callback."""
        from app.payments.providers.base import COLLECTION

        self.check(loan, amount)
        member = self.members.get(loan.member_id)
        return self.payments.start(idempotency_key, member, COLLECTION, "loan_repayment", amount, member.phone,
                                   purpose_ref=loan.id, initiated_by=actor, channel=channel, session_ref=session_ref)
