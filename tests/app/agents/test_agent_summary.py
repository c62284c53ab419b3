"""The evening summary SMS to every agent: the day's count, total and float, once per agent and day."""

from datetime import UTC, date, datetime

from sqlalchemy import update

from app.agents.models import SUSPENDED, Agent
from app.agents.tasks import send_agent_summaries
from app.clock import FixedClock
from app.extensions import db
from app.notifications.models import Notification
from app.services import build_services
from tests.app.agents.agent_helpers import new_agent, new_member
from tests.money_helpers import kes


def test_daily_summary_once_per_agent_and_day(app, session, monkeypatch):
    clock = FixedClock(datetime(2026, 12, 1, 16, 0, tzinfo=UTC))  # 19:00 in Nairobi
    monkeypatch.setitem(app.extensions, "clock", clock)
    services = build_services(app, db.session, clock=clock)
    # agents committed by other tests (concurrency tests) would be summarised too: suspend them for this
    # test only (its transaction is rolled back), so the figures below are this agent's alone
    session.execute(update(Agent).values(status=SUSPENDED))
    agent = new_agent(services, float_minor=1000000)
    member = new_member(services)
    for n, amount in enumerate((500, 1500)):
        services.agent_cash.cash_deposit(agent, member, kes(amount), idempotency_key=f"sum:{n}")
    assert send_agent_summaries("2026-12-01") == 1
    assert send_agent_summaries("2026-12-01") == 0
    summary = session.query(Notification).filter_by(kind="agent_daily_summary", agent_id=agent.id).one()
    assert summary.text == "Pamoja 1 Dec 2026: 2 transactions, KES 2,000 collected. Float: KES 8,000."
    assert services.agent_reports.transactions_on(agent, date(2026, 12, 2)) == []
