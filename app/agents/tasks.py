"""Agent jobs: the evening summary SMS to every active agent (daily); disputes past their SLA escalate."""

from datetime import date

from app.jobs import job


@job
def send_agent_summaries(services, day_iso=None):
    """SMS each active agent the day's transactions, total and float; once per agent and day."""
    day = date.fromisoformat(day_iso) if day_iso else services.clock.today()
    return services.agent_reports.send_daily_summaries(day)


@job
def escalate_disputes(services):
    """Send every agent dispute past DISPUTE_SLA_HOURS to the branch manager's queue, once each."""
    return services.agent_disputes.escalate_overdue()
