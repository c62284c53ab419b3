"""The loans' payment purposes, listed by app/services.py (see app/payments/settlement.py).

- `loan_repayment` (collection): allocate the money to the loan named by the payment's
  purpose_ref, under the loan's row lock, in the transaction that marks the payment
  succeeded; the excess (or all of it, for a loan already closed) goes to savings.
- `loan_disbursement` (disbursement): the reservation debits the loan's principal
  receivable with the whole principal; the payments service credits the money in
  flight (what the member receives) and fee income (the deducted fee), so the
  disbursement is ONE entry.
"""

from sqlalchemy import select

from app.loans.accounts import LoanAccounts
from app.loans.disbursement import payout_params
from app.loans.guarantors import Guarantees, repayments_releasing_pledges
from app.loans.models import Loan, LoanInstalment
from app.loans.repayment_booking import Repayments
from app.members.models import Member
from app.payments.settlement import Notice


def settle_loan_repayment(ledger, payment):
    guarantees = Guarantees(ledger.session, ledger=ledger, clock=ledger.clock)
    return repayments_releasing_pledges(guarantees).settle_mobile_money(payment)


def repayment_notice(ledger, payment):
    """The member's receipt for a repayment by mobile money, with what is left on the loan (as from savings).

    Money for a loan already closed (or unknown) went to savings: that is a deposit, and said so.
    """
    session = ledger.session
    member = session.get(Member, payment.member_id)
    loan = session.get(Loan, int(payment.purpose_ref)) if (payment.purpose_ref or "").isdigit() else None
    if loan is None or not Repayments(session, ledger=ledger, clock=ledger.clock).by_key(f"payment:{payment.id}"):
        savings = ledger.account("member", payment.member_id, "member_savings", payment.currency)
        return Notice(member, "deposit_received", {"amount": payment.amount, "balance": ledger.balance(savings)})
    balance = Repayments(session, ledger=ledger, clock=ledger.clock).outstanding(loan)  # as My loan's "Balance"
    return Notice(member, "repayment_received", {"amount": payment.amount, "balance": balance})


def reserve_loan_disbursement(ledger, payment):
    loan = ledger.session.scalar(select(Loan).where(Loan.id == int(payment.purpose_ref)))
    return [(LoanAccounts(ledger).principal(loan), loan.principal)]


def disbursement_notice(ledger, payment):
    """The "paid out" message of a loan paid by mobile money, once the operator says the money arrived
    (a payout that fails is told by the payments service instead, and the loan goes back to approved)."""
    session = ledger.session
    loan = session.get(Loan, int(payment.purpose_ref))
    first_due = session.scalar(select(LoanInstalment.due_date).where(LoanInstalment.loan_id == loan.id)
                               .order_by(LoanInstalment.number).limit(1))
    return Notice(session.get(Member, payment.member_id), "loan_disbursed",
                  payout_params(loan, payment.amount, first_due))
