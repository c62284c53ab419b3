"""The agent service: cash in for members, float, limits, receipts and disputes.

Every cash transaction runs the same steps in the caller's transaction: replay
check (the idempotency key), lock the agent row (so one agent's transactions are
serialised and the daily limit cannot be passed by two at once), refuse an
inactive agent, self-dealing, another currency and the limits, post ONE ledger
entry from the agent's float (the ledger refuses to take the float below zero,
under its own row locks), record the transaction with a receipt code, and SMS the
receipt to the member. Loan repayments and group contributions are handed to the
loans and groups services through app/agents/collections.py.
"""

import secrets
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.agents import collections, errors
from app.agents.models import ACTIVE, CASH_DEPOSIT, COMPLETED, DISPUTED, Agent, AgentTransaction
from app.agents.settlement import FLOAT_TOPUP, float_account
from app.i18n import N_, T
from app.ledger.errors import InsufficientFunds
from app.members.pins import check_pin, hash_pin, is_pin_shaped
from app.money import Money
from app.phones import InvalidPhone, currency_for, normalize_phone

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Receipt characters: no 0/O or 1/I, so a receipt read aloud or typed back is unambiguous."""

DISPUTE_WINDOW = timedelta(hours=24)

WHAT = {
    CASH_DEPOSIT: N_("Cash deposit"),
    collections.LOAN_REPAYMENT: N_("Cash loan repayment"),
    collections.CONTRIBUTION: N_("Cash contribution"),
}


class AgentService:
    def __init__(self, session, *, clock, ledger, members, notify, pepper, payments=None, loans=None,
                 groups=None, max_attempts=3, lock_minutes=30, default_region="KE", default_currency="KES"):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.members = members
        self.notify = notify
        self.pepper = pepper
        self.payments = payments
        self.loans = loans
        self.groups = groups
        self.max_attempts = max_attempts
        self.lock_minutes = lock_minutes
        self.default_region = default_region
        self.default_currency = default_currency

    # -- agents ------------------------------------------------------------------------

    def create(self, *, code, phone, name, pin, per_transaction_limit, daily_limit, locale="en"):
        """Create an agent (operator command). Raises AgentExists, InvalidPhone, MemberError (name/PIN)."""
        phone = normalize_phone(phone, self.default_region)
        self.members.check_new_pin(pin)
        currency = currency_for(phone, self.default_currency)
        agent = Agent(code=code.strip().upper(), phone=phone, name=self.members.clean_name(name), locale=locale,
                      currency=currency, pin_hash=hash_pin(pin, self.pepper), pin_failures=0, status=ACTIVE,
                      per_transaction_limit_minor=Money.from_major(per_transaction_limit, currency).minor,
                      daily_limit_minor=Money.from_major(daily_limit, currency).minor)
        try:
            with self.session.begin_nested():
                self.session.add(agent)
                self.session.flush()
        except IntegrityError:
            raise errors.AgentExists() from None
        float_account(self.ledger, agent.id, currency)
        return agent

    def get(self, agent_id):
        """The agent with this id, or None."""
        return self.session.get(Agent, agent_id)

    def by_phone(self, phone):
        """The agent whose phone this is, or None."""
        return self.session.scalar(select(Agent).where(Agent.phone == phone))

    def by_code(self, code):
        """The agent with this code, or None."""
        return self.session.scalar(select(Agent).where(Agent.code == code.strip().upper()))

    def locked_minutes_left(self, agent):
        if agent.pin_locked_until is None:
            return 0
        left = agent.pin_locked_until - self.clock.now()
        return max(0, -(-int(left.total_seconds()) // 60))

    def check_pin(self, agent, pin):
        """None when right, else the AgentError to show (returned, so the failure count is committed)."""
        agent = self._lock(agent.id)
        if agent.status != ACTIVE:
            return errors.AgentInactive()
        minutes = self.locked_minutes_left(agent)
        if minutes:
            return errors.AgentLocked(minutes)
        if is_pin_shaped(pin or "") and check_pin(pin, agent.pin_hash, self.pepper):
            agent.pin_failures, agent.pin_locked_until = 0, None
            return None
        agent.pin_failures += 1
        if agent.pin_failures < self.max_attempts:
            return errors.WrongAgentPin(self.max_attempts - agent.pin_failures)
        agent.pin_failures = 0
        agent.pin_locked_until = self.clock.now() + timedelta(minutes=self.lock_minutes)
        return errors.AgentLocked(self.lock_minutes)

    def _lock(self, agent_id):
        return self.session.scalar(select(Agent).where(Agent.id == agent_id).with_for_update()
                                   .execution_options(populate_existing=True))

    # -- members -----------------------------------------------------------------------

    def member_for(self, agent, raw_phone):
        """The member an agent serves, by the number typed. Raises UnknownMember or SelfDealing."""
        try:
            phone = normalize_phone(raw_phone, self.default_region)
        except InvalidPhone:
            raise errors.UnknownMember() from None
        if phone == agent.phone:
            raise errors.SelfDealing()
        member = self.members.by_phone(phone)
        if member is None:
            raise errors.UnknownMember()
        return member

    def register_member(self, agent, *, phone, name, national_id, locale="en"):
        """Register a member on their behalf; they set their PIN on first dial (welcome SMS from members)."""
        if phone == agent.phone:
            raise errors.SelfDealing()
        return self.members.register(phone=phone, name=name, national_id=national_id, locale=locale, pin=None,
                                     agent_id=agent.id)

    # -- float -------------------------------------------------------------------------

    def float_balance(self, agent):
        return self.ledger.balance(float_account(self.ledger, agent.id, agent.currency))

    def start_float_topup(self, agent, amount, *, idempotency_key, channel="ussd", session_ref=None):
        """Ask the agent's mobile money for `amount`; the float is credited when the operator confirms."""
        if self.payments is None:
            raise errors.NotAvailable()
        return self.payments.start(idempotency_key, None, "collection", FLOAT_TOPUP, amount, agent.phone,
                                   purpose_ref=agent.id, initiated_by=f"agent:{agent.id}", channel=channel,
                                   session_ref=session_ref)

    # -- cash transactions -------------------------------------------------------------

    def cash_deposit(self, agent, member, amount, *, idempotency_key, channel="ussd", session_ref=None):
        """Cash into the member's savings: agent float -> member savings, one entry."""
        def postings(float_):
            savings = self.ledger.account("member", member.id, "member_savings", amount.currency)
            return [(float_, amount), (savings, -amount)]

        return self._transact(agent, member, CASH_DEPOSIT, amount, idempotency_key, channel, session_ref,
                              post=self._poster(postings, CASH_DEPOSIT, agent, member, channel, session_ref))

    def loan_repayment(self, agent, member, amount, *, idempotency_key, channel="ussd", session_ref=None):
        """Cash repayment of the member's loan, allocated by the loans service from the agent's float."""
        post = collections.loan_repayment_poster(self, agent, member, amount, channel, session_ref)
        return self._transact(agent, member, collections.LOAN_REPAYMENT, amount, idempotency_key, channel,
                              session_ref, post=post)

    def member_groups(self, member):
        """The groups the member can contribute to (empty when groups are not there yet)."""
        if self.groups is None:
            return []
        return [group for group, membership in self.groups.groups_of(member) if membership.status == "active"]

    def contribution(self, agent, member, group, amount, *, idempotency_key, channel="ussd", session_ref=None):
        """Cash contribution to the member's group, allocated by the groups rules, from the agent's float."""
        post = collections.contribution_poster(self, agent, member, group, amount, channel, session_ref)
        return self._transact(agent, member, collections.CONTRIBUTION, amount, idempotency_key, channel,
                              session_ref, post=post)

    def _poster(self, postings, kind, agent, member, channel, session_ref):
        def post(key, float_):
            entry = self.ledger.post(key, postings(float_), kind=kind, memo=f"agent {agent.code} for {member.id}",
                                     initiated_by=f"agent:{agent.id}", channel=channel, session_ref=session_ref)
            return entry.id, None

        return post

    def _transact(self, agent, member, kind, amount, key, channel, session_ref, *, post):
        existing = self.session.scalar(select(AgentTransaction).where(AgentTransaction.idempotency_key == key))
        if existing is not None:
            return existing
        agent = self._lock(agent.id)
        self._check(agent, member, amount)
        float_ = float_account(self.ledger, agent.id, agent.currency)
        try:
            entry_id, purpose_ref = post(f"agent:{key}", float_)
        except InsufficientFunds as exc:
            if exc.account.id == float_.id:
                raise errors.InsufficientFloat(exc.available) from None
            raise
        transaction = AgentTransaction(
            agent_id=agent.id, member_id=member.id, kind=kind, purpose_ref=purpose_ref, amount_minor=amount.minor,
            currency=amount.currency, receipt=self._receipt(), idempotency_key=key, ledger_entry_id=entry_id,
            status=COMPLETED, channel=channel, created_at=self.clock.now())
        self.session.add(transaction)
        self.session.flush()
        self.notify(member, "agent_receipt", f"agent_receipt:{transaction.id}", receipt=transaction.receipt,
                    what=T(WHAT[kind]), amount=amount, agent=agent.code)
        return transaction

    def _check(self, agent, member, amount):
        if agent.status != ACTIVE:
            raise errors.AgentInactive()
        if member.phone == agent.phone:
            raise errors.SelfDealing()
        if amount.currency != agent.currency or member.currency != agent.currency:
            raise errors.WrongCurrency()
        if amount > agent.per_transaction_limit:
            raise errors.OverTransactionLimit(agent.per_transaction_limit)
        left = agent.daily_limit - self.collected_today(agent)
        if amount > left:
            raise errors.OverDailyLimit(max(left, Money.zero(agent.currency)))

    def _receipt(self):
        while True:
            code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
            if self.session.scalar(select(AgentTransaction.id).where(AgentTransaction.receipt == code)) is None:
                return code

    # -- reporting ---------------------------------------------------------------------

    def day_bounds(self, day=None):
        """The UTC start and end of a local day (today by default)."""
        day = day or self.clock.today()
        start = datetime.combine(day, time(0), tzinfo=self.clock.zone)
        return start, start + timedelta(days=1)

    def transactions_on(self, agent, day=None):
        """The agent's transactions of a local day, oldest first."""
        start, end = self.day_bounds(day)
        return list(self.session.scalars(
            select(AgentTransaction).where(AgentTransaction.agent_id == agent.id, AgentTransaction.created_at >= start,
                                           AgentTransaction.created_at < end).order_by(AgentTransaction.id)))

    def collected_today(self, agent, day=None):
        start, end = self.day_bounds(day)
        total = self.session.scalar(
            select(func.coalesce(func.sum(AgentTransaction.amount_minor), 0)).where(
                AgentTransaction.agent_id == agent.id, AgentTransaction.created_at >= start,
                AgentTransaction.created_at < end))
        return Money(int(total), agent.currency)

    def send_daily_summaries(self, day=None):
        """SMS every active agent the day's count, total and float (once per agent and day); return the count."""
        day = day or self.clock.today()
        sent = 0
        for agent in self.session.scalars(select(Agent).where(Agent.status == ACTIVE).order_by(Agent.id)):
            transactions = self.transactions_on(agent, day)
            made = self.notify(agent, "agent_daily_summary", f"agent_daily_summary:{agent.id}:{day.isoformat()}",
                               date=day, count=len(transactions), total=self.collected_today(agent, day),
                               float=self.float_balance(agent))
            sent += made is not None
        return sent

    # -- disputes ----------------------------------------------------------------------

    def dispute(self, member, receipt_code):
        """Flag the member's agent transaction for review (within 24 h); return it.

        Raises ReceiptNotFound (no such receipt for this member), DisputeTooLate, AlreadyDisputed.
        Notifies the member (acknowledgement) and the agent.
        """
        code = (receipt_code or "").strip().upper()
        transaction = self.session.scalar(
            select(AgentTransaction).where(AgentTransaction.receipt == code, AgentTransaction.member_id == member.id)
            .with_for_update())
        if transaction is None:
            raise errors.ReceiptNotFound()
        if transaction.status == DISPUTED:
            raise errors.AlreadyDisputed()
        now = self.clock.now()
        if now - transaction.created_at > DISPUTE_WINDOW:
            raise errors.DisputeTooLate()
        transaction.status, transaction.disputed_at = DISPUTED, now
        self.notify(member, "dispute_received", f"dispute_received:{transaction.id}", receipt=code)
        self.notify(self.get(transaction.agent_id), "agent_dispute", f"agent_dispute:{transaction.id}", receipt=code)
        return transaction

    def disputed(self):
        """Every transaction under review, oldest first (for operators)."""
        return list(self.session.scalars(select(AgentTransaction).where(AgentTransaction.status == DISPUTED)
                                         .order_by(AgentTransaction.disputed_at)))
