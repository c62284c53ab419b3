"""Cash an agent takes for a member: one flow for every kind.

Every cash transaction runs the same steps in the caller's transaction: replay
check (the idempotency key), lock the agent row (so one agent's transactions are
serialised and the daily limit cannot be passed by two at once), refuse an
inactive agent, self-dealing, another currency and the limits, post ONE ledger
entry from the agent's float (the ledger refuses to take the float below zero,
under its own row locks), record the transaction with a receipt code, and SMS the
receipt to the member: their one confirmation, so it says what is now theirs (the
savings or loan balance) or, for a contribution, the group. Loan repayments and group contributions are posted by the
loans and groups rules through app/agents/collections.py.
"""

import secrets

from sqlalchemy import select

from app.agents import collections, errors
from app.agents.models import ACTIVE, CASH_DEPOSIT, COMPLETED, AgentTransaction
from app.agents.settlement import float_account
from app.i18n import N_, T
from app.ledger.errors import IdempotencyConflict, InsufficientFunds
from app.money import Money

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Receipt characters: no 0/O or 1/I, so a receipt read aloud or typed back is unambiguous."""

WHAT = {
    CASH_DEPOSIT: N_("Cash deposit"),
    collections.LOAN_REPAYMENT: N_("Cash loan repayment"),
    collections.CONTRIBUTION: N_("Cash contribution"),
}
"""How a receipt names each kind of transaction."""

SAVINGS_AFTER = N_("Savings balance: {balance}.")
LOAN_AFTER = N_("Loan balance: {balance}.")
GROUP_AFTER = N_("Group: {group}.")
"""What a receipt says after the amount: the member's balance where the money is now theirs, else the group."""


class AgentCash:
    def __init__(self, session, *, clock, ledger, notify, roster, reports, loans, contributions, memberships,
                 kyc_limits):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.notify = notify
        self.roster = roster
        self.reports = reports
        self.loans = loans
        self.contributions = contributions
        self.memberships = memberships
        self.kyc_limits = kyc_limits

    def cash_deposit(self, agent, member, amount, *, idempotency_key, channel="ussd", session_ref=None):
        """Cash into the member's savings: agent float -> member savings, one entry."""
        def postings(float_):
            savings = self.ledger.account("member", member.id, "member_savings", amount.currency)
            self.ledger.lock([float_, savings])
            self._check_kyc(member, amount)
            return [(float_, amount), (savings, -amount)]

        def after(_purpose_ref):
            savings = self.ledger.account("member", member.id, "member_savings", amount.currency)
            return T(SAVINGS_AFTER, balance=self.ledger.balance(savings))

        return self._transact(agent, member, CASH_DEPOSIT, amount, idempotency_key, channel, session_ref,
                              post=self._poster(postings, CASH_DEPOSIT, agent, member, channel, session_ref),
                              after=after)

    def loan_repayment(self, agent, member, amount, *, idempotency_key, channel="ussd", session_ref=None):
        """Cash repayment of the member's loan, allocated by the loans service from the agent's float."""
        post = collections.loan_repayment_poster(self.loans, agent, member, amount, channel, session_ref)

        def after(loan_id):
            return T(LOAN_AFTER, balance=self.loans.payoff(self.loans.get(int(loan_id))))

        return self._transact(agent, member, collections.LOAN_REPAYMENT, amount, idempotency_key, channel,
                              session_ref, post=post, after=after)

    def member_groups(self, member):
        """The groups the member can contribute to."""
        return [group for group, membership in self.memberships.groups_of(member) if membership.status == "active"]

    def contribution(self, agent, member, group, amount, *, idempotency_key, channel="ussd", session_ref=None):
        """Cash contribution to the member's group, allocated by the groups rules, from the agent's float."""
        post = collections.contribution_poster(self.contributions, agent, member, group, amount, channel, session_ref)
        return self._transact(agent, member, collections.CONTRIBUTION, amount, idempotency_key, channel,
                              session_ref, post=post, after=lambda _group_id: T(GROUP_AFTER, group=group.name))

    def _poster(self, postings, kind, agent, member, channel, session_ref):
        def post(key, float_):
            entry = self.ledger.post(key, postings(float_), kind=kind, memo=f"agent {agent.code} for {member.id}",
                                     initiated_by=f"agent:{agent.id}", channel=channel, session_ref=session_ref)
            return entry.id, None

        return post

    def _transact(self, agent, member, kind, amount, key, channel, session_ref, *, post, after):
        """`post(key, float) -> (entry id, purpose_ref)` moves the money; `after(purpose_ref)` is the receipt's
        last word (a Text: the member's new balance, or the group)."""
        existing = self.session.scalar(select(AgentTransaction).where(AgentTransaction.idempotency_key == key))
        if existing is not None:
            if (existing.agent_id, existing.member_id, existing.kind, existing.amount_minor, existing.currency) != (
                    agent.id, member.id, kind, amount.minor, amount.currency):
                raise errors.ConflictingRequest(IdempotencyConflict.message)
            return existing
        agent = self.roster.lock(agent.id)
        self._check(agent, member, amount)
        float_ = float_account(self.ledger, agent.id, agent.currency)
        try:
            entry_id, purpose_ref = post(f"agent:{key}", float_)
        except InsufficientFunds as exc:
            if exc.account.id == float_.id:
                raise errors.InsufficientFloat(exc.available) from None
            raise
        except IdempotencyConflict as exc:
            raise errors.ConflictingRequest(exc.message) from exc
        transaction = AgentTransaction(
            agent_id=agent.id, member_id=member.id, kind=kind, purpose_ref=purpose_ref, amount_minor=amount.minor,
            currency=amount.currency, receipt=self._receipt(), idempotency_key=key, ledger_entry_id=entry_id,
            status=COMPLETED, channel=channel, created_at=self.clock.now())
        self.session.add(transaction)
        self.session.flush()
        self.notify(member, "agent_receipt", f"agent_receipt:{transaction.id}", receipt=transaction.receipt,
                    what=T(WHAT[kind]), amount=amount, agent=agent.code, after=after(purpose_ref))
        return transaction

    def check(self, agent, member, amount, *, into_savings):
        """Refuse now, at the amount screen, what the transaction would refuse after "Yes": the agent's
        state and limits, their float and (`into_savings`: a deposit) the member's KYC limits. A read:
        the transaction checks again under its locks, so this is advice, never the guard."""
        self._check(agent, member, amount)
        available = self.ledger.balance(float_account(self.ledger, agent.id, agent.currency))
        if amount > available:
            raise errors.InsufficientFloat(available)
        if into_savings:
            self._check_kyc(member, amount)

    def _check_kyc(self, member, amount):
        """The member's KYC tier (app/members/kyc); the agent reads the refusal, so it is worded for them."""
        if self.kyc_limits.refuse_in(member, amount) is not None:
            raise errors.MemberOverKycLimit(amount)

    def _check(self, agent, member, amount):
        if agent.status != ACTIVE:
            raise errors.AgentInactive()
        if member.phone == agent.phone:
            raise errors.SelfDealing()
        if amount.currency != agent.currency or member.currency != agent.currency:
            raise errors.WrongCurrency()
        if amount > agent.per_transaction_limit:
            raise errors.OverTransactionLimit(agent.per_transaction_limit)
        left = agent.daily_limit - self.reports.collected_today(agent)
        if amount > left:
            raise errors.OverDailyLimit(max(left, Money.zero(agent.currency)))

    def _receipt(self):
        while True:
            code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
            if self.session.scalar(select(AgentTransaction.id).where(AgentTransaction.receipt == code)) is None:
                return code

