"""Booking a repayment: lock the loan, allocate, post one ledger entry, update the schedule, close when cleared.

Every repayment locks the loan row first (`SELECT ... FOR UPDATE`), then reads the
schedule fresh, so two repayments of one loan (two phones, a callback and a USSD
session) queue behind each other and never allocate the same shilling twice. The
repayment row has a unique key: a replay returns the first repayment unchanged.

Where the money goes (debit one source, credit by component):
penalty -> the loan's penalty_receivable (accrued by ageing); fee -> fee_income and
interest -> interest_income (both recognised when paid); principal -> the loan's
loan_principal_receivable; excess -> the member's savings (mobile money only).

A repayment that may clear the loan also releases the guarantors' pledges (each
guarantor's guarantee_pledged -> member_savings) after it has locked the shared
income accounts; a guarantor's own transfer locks their savings and then fee_income.
So before its checks such a repayment locks the paying account AND every account the
release will touch in ONE `LedgerService.lock` (the ledger's one order): holders first,
shared accounts after, as every other movement does. `closing_accounts(loan)` names
those accounts (Guarantees.release_accounts).

This class needs only the session, the ledger and the clock, so the payments
settlement handler (which is handed just the ledger) can use it too.
"""

from sqlalchemy import select

from app.ledger.errors import IdempotencyConflict
from app.loans import errors
from app.loans.accounts import LoanAccounts
from app.loans.allocation import allocate, apply_allocation, payoff
from app.loans.decisions import Decisions
from app.loans.early_settlement import settle_early, settlement
from app.loans.models import Loan, LoanInstalment, LoanRepayment
from app.loans.states import CLOSED, DISBURSED, ON_BOOKS, move
from app.money import Money


class Repayments:
    """Lock, allocate, post and record repayments of any source (see the module docstring)."""

    def __init__(self, session, *, ledger, clock, on_closed=None, closing_accounts=None):
        self.session = session
        self.ledger = ledger
        self.clock = clock
        self.accounts = LoanAccounts(ledger)
        self.decisions = Decisions(session, clock=clock)
        self.on_closed = on_closed or (lambda loan: None)
        self.closing_accounts = closing_accounts or (lambda loan: [])

    def lock(self, loan_id):
        """The loan row, locked for this transaction, with fresh values; None when unknown."""
        return self.session.scalar(select(Loan).where(Loan.id == loan_id).with_for_update()
                                   .execution_options(populate_existing=True))

    def schedule(self, loan):
        return list(self.session.scalars(
            select(LoanInstalment).where(LoanInstalment.loan_id == loan.id).order_by(LoanInstalment.number)
            .execution_options(populate_existing=True)))

    def by_key(self, idempotency_key):
        return self.session.scalar(select(LoanRepayment).where(LoanRepayment.idempotency_key == idempotency_key))

    def payoff(self, loan):
        """What clears the loan today, as Money (app/loans/early_settlement.py: a declining loan owes
        the interest accrued to date, not the whole schedule's)."""
        return Money(settlement(loan, self.schedule(loan), self.clock.today()), loan.currency)

    def outstanding(self, loan):
        """Everything left on the schedule, as Money: the loan's balance if it runs its term."""
        return Money(payoff(self.schedule(loan)), loan.currency)

    def credits(self, loan, allocation):
        """Credit postings for an allocation (negative Money), excess excluded."""
        targets = {
            "penalty": self.accounts.penalty(loan),
            "fee": self.accounts.income("fee_income", loan.currency),
            "interest": self.accounts.income("interest_income", loan.currency),
            "principal": self.accounts.principal(loan),
        }
        return [(targets[component], Money(-amount, loan.currency))
                for component, amount in allocation.totals.items() if amount]

    def allocate_locked(self, loan, amount, *, allow_excess):
        """Allocate `amount` on a locked, disbursed loan; returns (rows, allocation).

        Raises PaysTooMuch for more than the payoff unless `allow_excess`. A payment that clears the
        loan first waives the interest not yet earned and counts interest paid ahead as principal
        (app/loans/early_settlement.py); the allocation's totals say so, its parts are the payment's.
        """
        rows = self.schedule(loan)
        owed = settlement(loan, rows, self.clock.today())
        if amount.minor > owed and not allow_excess:
            raise errors.PaysTooMuch(Money(owed, loan.currency))
        ahead = settle_early(loan, rows, self.clock.today()) if amount.minor >= owed else 0
        allocation = allocate(rows, amount.minor)
        # interest paid ahead of time is now principal: the entry moves it out of interest income
        allocation.totals["interest"] -= ahead
        allocation.totals["principal"] += ahead
        return rows, allocation

    def lock_if_closing(self, loan, rows, amount, holders):
        """Lock `holders` and what closing `loan` touches, once, when `amount` may clear it (see the module doc).

        A part payment closes nothing, so it leaves the locking to `post` (one entry, one order).
        """
        closing = self.closing_accounts(loan)
        if closing and amount.minor >= payoff(rows):  # after allocate_locked: the rows owe only what clears
            self.ledger.lock([*holders, *closing])

    def record(self, loan, rows, allocation, amount, *, key, source, channel, payment_id=None, entry=None):
        """Apply the allocation to the schedule, keep the repayment row, close a cleared loan."""
        apply_allocation(rows, allocation, self.clock.today())
        totals = allocation.totals
        repayment = LoanRepayment(
            idempotency_key=key, loan_id=loan.id, source=source, amount_minor=amount.minor,
            penalty_minor=totals["penalty"], fee_minor=totals["fee"], interest_minor=totals["interest"],
            principal_minor=totals["principal"], excess_minor=allocation.excess,
            payment_id=payment_id, ledger_entry_id=entry.id if entry is not None else None, channel=channel,
            created_at=self.clock.now())
        self.session.add(repayment)
        if rows and all(row.paid for row in rows) and loan.state in ON_BOOKS:
            move(loan, CLOSED)
            loan.closed_at = self.clock.now()
            self.decisions.record(loan, "closed", "system", channel, f"repaid in full ({source})")
            self.on_closed(loan)
        self.session.flush()
        return repayment

    def repay_from(self, loan_id, amount, debit_account, *, key, source, actor, channel, session_ref=None,
                   states=frozenset({DISBURSED})):
        """Repay from a ledger account (savings, a pledge): one entry, debit `debit_account`.

        Raises NoLoan when the loan is not repayable, PaysTooMuch beyond the payoff, the
        ledger's InsufficientFunds when the account cannot pay, and ConflictingRequest when
        the key was used for another movement (nothing is written then). The same key for
        the same repayment returns the first one.
        """
        loan = self.lock(loan_id)
        existing = self.by_key(key)
        if existing is not None:
            if (existing.loan_id, existing.amount_minor, existing.source) != (loan_id, amount.minor, source):
                raise errors.ConflictingRequest(IdempotencyConflict.message)
            return existing
        if loan is None or loan.state not in states:
            raise errors.NoLoan()
        rows, allocation = self.allocate_locked(loan, amount, allow_excess=False)
        self.lock_if_closing(loan, rows, amount, [debit_account])
        try:
            entry = self.ledger.post(key, [(debit_account, amount), *self.credits(loan, allocation)],
                                     kind="loan_recovery" if source.startswith("recovery") else "loan_repayment",
                                     memo=f"loan {loan.id} repayment from {source}",
                                     initiated_by=actor, channel=channel, session_ref=session_ref)
        except IdempotencyConflict as exc:
            raise errors.ConflictingRequest(exc.message) from exc
        return self.record(loan, rows, allocation, amount, key=key, source=source, channel=channel, entry=entry)

    def from_savings(self, loan_id, amount, *, key, actor, channel, session_ref=None):
        loan = self.session.get(Loan, loan_id)
        if loan is None:
            raise errors.NoLoan()
        savings = self.accounts.savings(loan.member_id, loan.currency)
        return self.repay_from(loan_id, amount, savings, key=key, source="savings", actor=actor, channel=channel,
                               session_ref=session_ref)

    def settle_mobile_money(self, payment):
        """Credit postings for a succeeded `loan_repayment` collection (the settlement handler).

        Allocates to the loan named by `purpose_ref`; the excess (or everything, when the loan
        is closed or unknown) goes to the payer's savings, never lost and never refused.
        """
        key = f"payment:{payment.id}"
        amount = payment.amount
        savings = self.accounts.savings(payment.member_id, payment.currency)
        loan = self.lock(int(payment.purpose_ref)) if (payment.purpose_ref or "").isdigit() else None
        if loan is None or loan.state not in ON_BOOKS or loan.currency != amount.currency:
            return [(savings, -amount)]
        existing = self.by_key(key)
        if existing is not None:  # a handler run again inside a retried transaction
            raise RuntimeError(f"payment {payment.id} already allocated to loan {loan.id}")
        rows, allocation = self.allocate_locked(loan, amount, allow_excess=True)
        self.lock_if_closing(loan, rows, amount, [savings])
        credits = self.credits(loan, allocation)
        if allocation.excess:
            credits.append((savings, Money(-allocation.excess, amount.currency)))
        self.record(loan, rows, allocation, amount, key=key, source="mobile_money", channel=payment.channel,
                    payment_id=payment.id)
        return credits
