"""Guarantors: requests, pledges locked in the ledger, release, and recovery on default.

A member borrowing above their own limit names guarantors by phone; each gets a
request ("Guarantee requests" on USSD, and a notification). A pledge moves the
amount from the guarantor's member_savings to their guarantee_pledged account in
one entry, so the ledger's no-overdraft rule on member_savings is what stops them
withdrawing it. When the loan closes (or is declined) every pledge moves back.

Recovery on default (`flask loans recover`), in this order:
1. the borrower's own available savings;
2. the guarantors' pledges, oldest pledge first, each up to its pledged amount;
whatever a pledge did not need is released. What is still owed stays on the loan.
"""

from sqlalchemy import select

from app.ledger.errors import InsufficientFunds
from app.loans import errors
from app.loans.accounts import LoanAccounts
from app.loans.models import Loan, LoanGuarantee
from app.loans.repayment_booking import Repayments
from app.loans.states import (
    APPLIED,
    CANCELLED,
    DEFAULTED,
    GUARANTEE_DECLINED,
    PLEDGED,
    RECOVERED,
    RELEASED,
    REQUESTED,
    move_guarantee,
)
from app.money import Money

MAX_GUARANTORS = 3
"""The most guarantors a borrower may name (errors.TooManyGuarantors says so)."""


def repayments_releasing_pledges(guarantees):
    """Repayments that give a loan's pledges back when a repayment clears it: the one wiring of that rule,
    for the loan service (app/services.py) and the mobile-money settlement (app/loans/settlement.py)."""
    return Repayments(guarantees.session, ledger=guarantees.ledger, clock=guarantees.clock,
                      on_closed=lambda loan: guarantees.release_all(loan, reason="repaid"),
                      closing_accounts=guarantees.release_accounts)


class Guarantees:
    def __init__(self, session, *, ledger, clock, notify=None):
        self.session = session
        self.ledger = ledger
        self.clock = clock
        self.accounts = LoanAccounts(ledger)
        self.notify = notify or (lambda member, kind, **params: None)

    def of_loan(self, loan):
        return list(self.session.scalars(select(LoanGuarantee).where(LoanGuarantee.loan_id == loan.id)
                                         .order_by(LoanGuarantee.id)))

    def pledged_total(self, loan):
        return Money(sum(g.pledged_minor for g in self.of_loan(loan) if g.state == PLEDGED), loan.currency)

    def missing(self, loan):
        """How much of the part above the member's limit no pledge covers yet (Money, zero when covered)."""
        return max(loan.guarantee_needed - self.pledged_total(loan), Money.zero(loan.currency))

    @staticmethod
    def check(guarantors, borrower):
        """Raise TooManyGuarantors, or BadGuarantor for an unknown member, the borrower or a repeat."""
        if len(guarantors) > MAX_GUARANTORS:
            raise errors.TooManyGuarantors()
        if any(g is None or g.id == borrower.id for g in guarantors) or len({g.id for g in guarantors}) < len(
                guarantors):
            raise errors.BadGuarantor()

    def request(self, loan, guarantors, borrower):
        """Ask each guarantor (Members, not the borrower, at most 3) to pledge."""
        self.check(guarantors, borrower)
        for guarantor in guarantors:
            self.session.add(LoanGuarantee(loan_id=loan.id, guarantor_id=guarantor.id, state=REQUESTED,
                                           requested_at=self.clock.now()))
        self.session.flush()
        for guarantor in guarantors:
            self.notify(guarantor, "guarantor_request", key=f"loan:{loan.id}:guarantor:{guarantor.id}",
                        name=borrower.name, amount=loan.guarantee_needed)

    def open_requests(self, member):
        """Requests waiting for this member's answer, on loans still being applied for."""
        return list(self.session.scalars(
            select(LoanGuarantee).join(Loan, Loan.id == LoanGuarantee.loan_id)
            .where(LoanGuarantee.guarantor_id == member.id, LoanGuarantee.state == REQUESTED,
                   Loan.state == APPLIED).order_by(LoanGuarantee.id)))

    def request_of(self, guarantee_id, member):
        """The member's own guarantee request with this id (any state); raises GuaranteeClosed otherwise."""
        guarantee = self.session.get(LoanGuarantee, guarantee_id)
        if guarantee is None or guarantee.guarantor_id != member.id:
            raise errors.GuaranteeClosed()
        return guarantee

    def check_pledge(self, guarantee, member, amount):
        """Raise PledgeTooLarge beyond what the loan still needs, the ledger's InsufficientFunds
        beyond the guarantor's savings: what `pledge` refuses, asked before the PIN."""
        loan = guarantee.loan
        missing = self.missing(loan)
        if amount > missing:
            raise errors.PledgeTooLarge(missing)
        savings = self.accounts.savings(member.id, loan.currency)
        available = self.ledger.balance(savings)
        if amount > available:
            raise InsufficientFunds(savings, available)

    def _lock_open(self, guarantee_id, member):
        guarantee = self.session.scalar(select(LoanGuarantee).where(LoanGuarantee.id == guarantee_id)
                                        .with_for_update().execution_options(populate_existing=True))
        if guarantee is None or guarantee.guarantor_id != member.id or guarantee.state != REQUESTED:
            raise errors.GuaranteeClosed()
        loan = self.session.scalar(select(Loan).where(Loan.id == guarantee.loan_id).with_for_update())
        if loan.state != APPLIED:
            raise errors.GuaranteeClosed()
        return guarantee, loan

    def pledge(self, guarantee_id, member, amount, *, key, channel, session_ref=None):
        """Lock `amount` of the guarantor's savings for the loan; returns the guarantee.

        Raises GuaranteeClosed, PledgeTooLarge (more than still needed) and the ledger's
        InsufficientFunds (nothing is written then).
        """
        guarantee, loan = self._lock_open(guarantee_id, member)
        missing = self.missing(loan)
        if amount > missing:
            raise errors.PledgeTooLarge(missing)
        self.ledger.post(key, [(self.accounts.savings(member.id, loan.currency), amount),
                               (self.accounts.pledged(member.id, loan.currency), -amount)],
                         kind="guarantee_pledge", memo=f"pledge for loan {loan.id}", initiated_by=f"member:{member.id}",
                         channel=channel, session_ref=session_ref)
        move_guarantee(guarantee, PLEDGED)
        guarantee.pledged_minor, guarantee.pledged_at = amount.minor, self.clock.now()
        self.session.flush()
        return guarantee

    def decline(self, guarantee_id, member):
        guarantee, _loan = self._lock_open(guarantee_id, member)
        move_guarantee(guarantee, GUARANTEE_DECLINED)
        guarantee.settled_at = self.clock.now()
        return guarantee

    def release_accounts(self, loan):
        """The holder accounts `release_all` posts to: each pledging guarantor's pledge and savings.

        Whoever may close the loan locks these with its own before its checks (Repayments).
        """
        return [account for guarantee in self.of_loan(loan) if guarantee.state == PLEDGED
                for account in (self.accounts.pledged(guarantee.guarantor_id, loan.currency),
                                self.accounts.savings(guarantee.guarantor_id, loan.currency))]

    def release_all(self, loan, reason="released"):
        """Give every remaining pledge back (loan closed, declined or recovered); close open requests."""
        for guarantee in self.of_loan(loan):
            if guarantee.state == REQUESTED:
                move_guarantee(guarantee, CANCELLED)
                guarantee.settled_at = self.clock.now()
            elif guarantee.state == PLEDGED:
                self._unpledge(loan, guarantee, guarantee.unrecovered, reason)
                move_guarantee(guarantee, RECOVERED if guarantee.recovered_minor else RELEASED)
                guarantee.settled_at = self.clock.now()
        self.session.flush()

    def _unpledge(self, loan, guarantee, amount, reason):
        if amount.minor <= 0:
            return
        self.ledger.post(f"loan:{loan.id}:guarantee:{guarantee.id}:release",
                         [(self.accounts.pledged(guarantee.guarantor_id, loan.currency), amount),
                          (self.accounts.savings(guarantee.guarantor_id, loan.currency), -amount)],
                         kind="guarantee_release", memo=f"{reason}: loan {loan.id}", initiated_by="system",
                         channel="system")

    def recover(self, loan, *, actor, channel="cli"):
        """Recover a defaulted loan in the defined order; returns [(source, Money)] taken."""
        repayments = Repayments(self.session, ledger=self.ledger, clock=self.clock,
                                on_closed=lambda closed: None)
        taken = []
        sources = [("savings", loan.member_id, self.accounts.savings(loan.member_id, loan.currency), None)]
        pledged = sorted((g for g in self.of_loan(loan) if g.state == PLEDGED), key=lambda g: (g.pledged_at, g.id))
        sources += [("guarantee", g.guarantor_id, self.accounts.pledged(g.guarantor_id, loan.currency), g)
                    for g in pledged]
        # Every holder account read below or released at the end (the guarantors' savings), locked
        # once and in the ledger's order before any is read (a balance read unlocked could be spent
        # before its posting; one by one, or a release after the shared income accounts, could deadlock).
        self.ledger.lock([*(account for _source, _owner, account, _guarantee in sources),
                          *self.release_accounts(loan)])
        for source, owner_id, account, guarantee in sources:
            owed = repayments.payoff(loan).minor
            available = self.ledger.balance(account).minor
            if guarantee is not None:
                available = min(available, guarantee.unrecovered.minor)
            take = min(owed, available)
            if take <= 0:
                continue
            amount = Money(take, loan.currency)
            repayments.repay_from(loan.id, amount, account, key=f"loan:{loan.id}:recover:{source}:{owner_id}",
                                  source=f"recovery_{source}", actor=actor, channel=channel,
                                  states=frozenset({DEFAULTED}))
            if guarantee is not None:
                guarantee.recovered_minor += take
            taken.append((source, owner_id, amount))
        self.release_all(loan, reason="recovery done")
        return taken
