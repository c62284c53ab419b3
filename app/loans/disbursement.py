"""Disbursing an approved loan, and putting it back when a mobile-money payout fails.

`disburse` fixes the schedule from today (app/loans/schedule.build_schedule) and moves the
money in ONE ledger entry: into savings it debits the loan's principal receivable and
credits the member's savings (the principal less a deducted fee) and fee income (the
fee); by mobile money the payments service's reservation entry does the same against
money in flight (app/loans/settlement.py). A failed payout is reversed by the payments
service; `revert_failed_disbursements` then puts the loan back to `approved`. The member hears
"paid out" when the money is theirs: at once into savings, on the payout's success by mobile money.
A collaborator of LoanService (wired there), working inside the caller's transaction.
"""

from sqlalchemy import select

from app.loans import errors
from app.loans.models import Loan, LoanInstalment
from app.loans.schedule import build_schedule
from app.loans.states import APPROVED, DISBURSED, move
from app.money import Money


def payout_params(loan, net, first_due):
    """What the "paid out" message says: the loan, its fee, what the member gets and the first due date."""
    return {"amount": loan.principal, "fee": Money(loan.fee_minor, loan.currency), "net": net, "due_date": first_due}


class Disbursements:
    def __init__(self, session, *, clock, ledger, members, payments, repayments, decisions, notify):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.members = members
        self.payments = payments
        self.repayments = repayments
        self.decisions = decisions
        self.accounts = repayments.accounts
        self.notify = notify

    def disburse(self, loan, *, actor, channel):
        """Fix the schedule from today and move the money (see the module docstring)."""
        if loan.state != APPROVED:
            raise errors.WrongState()
        today = self.clock.today()
        rows = build_schedule(principal_minor=loan.principal_minor, currency=loan.currency,
                              annual_rate=loan.annual_rate, instalments=loan.instalments, frequency=loan.frequency,
                              method=loan.interest_method, start=today, in_multiples_of=loan.in_multiples_of_minor)
        added_fee = loan.fee_minor if loan.fee_timing == "first_instalment" else 0
        deducted = Money(loan.fee_minor - added_fee, loan.currency)
        for row in rows:
            self.session.add(LoanInstalment(
                loan_id=loan.id, number=row.number, due_date=row.due_date, principal_due_minor=row.principal,
                interest_due_minor=row.interest, fee_due_minor=added_fee if row.number == 1 else 0,
                penalty_due_minor=0, principal_paid_minor=0, interest_paid_minor=0, fee_paid_minor=0,
                penalty_paid_minor=0, paid=False, days_overdue=0))
        key = f"loan:{loan.id}:disbursement:{self.decisions.count(loan, 'disbursement_failed')}"
        net = loan.principal - deducted
        member = self.members.get(loan.member_id)
        if loan.destination == "mobile_money":
            from app.payments.providers.base import DISBURSEMENT

            payment = self.payments.start(key, member, DISBURSEMENT, "loan_disbursement", net, member.phone,
                                          purpose_ref=loan.id, fee=deducted or None,
                                          initiated_by=actor, channel=channel, session_ref=loan.session_ref)
            loan.disbursement_payment_id = payment.id
        else:
            postings = [(self.accounts.principal(loan), loan.principal),
                        (self.accounts.savings(loan.member_id, loan.currency), -net)]
            if deducted:
                postings.append((self.accounts.income("fee_income", loan.currency), -deducted))
            self.ledger.post(key, postings, kind="loan_disbursement", memo=f"loan {loan.id} to savings",
                             initiated_by=actor, channel=channel, session_ref=loan.session_ref)
        move(loan, DISBURSED)
        loan.disbursed_on, loan.disbursed_at = today, self.clock.now()
        self.decisions.record(loan, "disbursed", actor, channel, loan.destination)
        self.session.flush()
        if loan.destination != "mobile_money":  # a payout is told when it succeeds (settlement.disbursement_notice)
            self.notify(member, "loan_disbursed", key=f"{key}:notice", **payout_params(loan, net, rows[0].due_date))
        return loan

    def revert_failed(self):
        """Loans whose mobile-money disbursement failed go back to `approved` (the payments service has
        already reversed the reservation entry) so an officer can disburse again; returns them."""
        from app.payments.models import Payment

        reverted = []
        loans = self.session.scalars(select(Loan).join(Payment, Payment.id == Loan.disbursement_payment_id)
                                     .where(Loan.state == DISBURSED, Payment.state == "failed")).all()
        for loan in loans:
            loan = self.repayments.lock(loan.id)
            for row in self.repayments.schedule(loan):
                self.session.delete(row)
            move(loan, APPROVED)
            loan.disbursement_payment_id, loan.disbursed_on = None, None
            self.decisions.record(loan, "disbursement_failed", "system", "system", "mobile money payout failed")
            reverted.append(loan)
        return reverted

    def redisburse(self, loan, *, actor, channel, destination=None):
        """Disburse an approved (locked) loan again (after a failed payout), optionally to savings."""
        for row in self.repayments.schedule(loan):
            self.session.delete(row)
        self.session.flush()
        loan.destination = destination or loan.destination
        return self.disburse(loan, actor=actor, channel=channel)
