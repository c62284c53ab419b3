"""An agent's day and the member's right to dispute (part of AgentService)."""

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from app.agents import errors
from app.agents.models import ACTIVE, DISPUTED, Agent, AgentTransaction
from app.money import Money

DISPUTE_WINDOW = timedelta(hours=24)
"""A member may dispute a receipt this long after the transaction."""


class ReportsMixin:
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
        Notifies the agent; the member's acknowledgement is the reply to their DISPUTE SMS
        (menus/sms_commands.py), so the member gets one SMS, not two.
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
        self.notify(self.get(transaction.agent_id), "agent_dispute", f"agent_dispute:{transaction.id}", receipt=code)
        return transaction

    def disputed(self):
        """Every transaction under review, oldest first (for operators)."""
        return list(self.session.scalars(select(AgentTransaction).where(AgentTransaction.status == DISPUTED)
                                         .order_by(AgentTransaction.disputed_at)))
