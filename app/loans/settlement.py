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
from app.loans.guarantors import Guarantees, repayments_releasing_pledges
from app.loans.models import Loan


def settle_loan_repayment(ledger, payment):
    guarantees = Guarantees(ledger.session, ledger=ledger, clock=ledger.clock)
    return repayments_releasing_pledges(guarantees).settle_mobile_money(payment)


def reserve_loan_disbursement(ledger, payment):
    loan = ledger.session.scalar(select(Loan).where(Loan.id == int(payment.purpose_ref)))
    return [(LoanAccounts(ledger).principal(loan), loan.principal)]
