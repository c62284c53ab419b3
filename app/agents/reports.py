"""An agent's day: its transactions, what it collected (the daily limit counts it), the evening SMS."""

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from app.agents.models import ACTIVE, Agent, AgentTransaction
from app.money import Money


class AgentReports:
    def __init__(self, session, *, clock, notify, floats):
        self.session = session
        self.clock = clock
        self.notify = notify
        self.floats = floats

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
                               float=self.floats.balance(agent))
            sent += made is not None
        return sent
