"""The agent roster: who the agents are, their PINs, and the members they serve.

What makes an agent an agent; the float is in floats.py, cash transactions in
cash.py, the day's figures in reports.py, disputes in disputes.py. An agent's PIN
is hashed and locked out like a member's (app/members/pin_hashing.py), on the agent's own
row. Knows nothing of Flask or channels; callers commit.
"""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.agents import errors
from app.agents.models import ACTIVE, Agent
from app.agents.settlement import float_account
from app.members.pin_hashing import (
    as_peppers,
    hash_pin,
    lock_minutes_left,
    needs_rehash,
    pin_matches,
    serialize_pin_checks,
)
from app.money import Money
from app.phones import InvalidPhone, currency_for, normalize_phone


class AgentRoster:
    def __init__(self, session, *, clock, ledger, members, pepper, max_attempts=3, lock_minutes=30,
                 default_region="KE", default_currency="KES"):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.members = members
        self.pepper = as_peppers(pepper)
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
        return lock_minutes_left(agent.pin_locked_until, self.clock.now())

    def check_pin(self, agent, pin):
        """None when right, else the AgentError to show (returned, so the failure count is committed).

        As for members (MemberService.check_pin): the per-agent guard is taken
        before the lock state is re-read and held across the check and the count,
        so parallel guesses queue and at most `max_attempts` are evaluated per lock
        window; a right PIN writes nothing.
        """
        serialize_pin_checks(self.session, "agent", agent.id)
        agent = self.session.scalar(select(Agent).where(Agent.id == agent.id)
                                    .execution_options(populate_existing=True))
        if agent.status != ACTIVE:
            return errors.AgentInactive()
        minutes = self.locked_minutes_left(agent)
        if minutes:
            return errors.AgentLocked(minutes)
        if pin_matches(pin, agent.pin_hash, self.pepper):
            agent.pin_failures, agent.pin_locked_until = 0, None
            if needs_rehash(agent.pin_hash, self.pepper):
                agent.pin_hash = hash_pin(pin, self.pepper)
            return None
        agent.pin_failures += 1
        if agent.pin_failures < self.max_attempts:
            return errors.WrongAgentPin(self.max_attempts - agent.pin_failures)
        agent.pin_failures = 0
        agent.pin_locked_until = self.clock.now() + timedelta(minutes=self.lock_minutes)
        return errors.AgentLocked(self.lock_minutes)

    def lock(self, agent_id):
        """The agent's row, locked (FOR UPDATE) and re-read: one agent's cash transactions queue on it."""
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
