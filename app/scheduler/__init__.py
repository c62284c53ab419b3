"""The single scheduler: each minute, enqueue the recurring jobs that are due, once.

Why not `rq cron`: RQ 2.6's cron scheduler keeps no lock, so two of them (a
deploy overlap, a second `make run`) would both enqueue every job. Here each run is
claimed with `SET NX` on `scheduler_lock_key(job, slot)` (app/keys.py) before it is
enqueued, and enqueued with the job id `cron-<job>-<slot>`; the jobs themselves are
idempotent for their day (reminders and summaries are keyed per day), so even a
lost lock costs nothing but work. Daily jobs that were missed (the scheduler was
down at 07:00) still run if it comes back within CATCH_UP of their time.
Every job is imported here: a job that is missing fails the scheduler at start-up.
The `flask scheduler` commands are in cli.py next to this module.
"""

import time as wall
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from app.agents.tasks import escalate_disputes, send_agent_summaries
from app.alerts.tasks import scan_alerts
from app.groups.tasks import apply_group_fines, propose_group_payouts
from app.keys import scheduler_job_id, scheduler_lock_key
from app.loans.tasks import age_loans, snapshot_par
from app.notifications.tasks import run_reminders, sweep_notifications
from app.observability import log_event
from app.payments.tasks import check_floats, reconcile_payments

CATCH_UP = timedelta(hours=3)
"""A daily job missed by less than this still runs when the scheduler comes back."""
LOCK_TTL = int(timedelta(days=3).total_seconds())
"""Claims outlive any catch-up window, then expire on their own."""
JOB_TIMEOUT = 3600
"""A reminder run over 100,000 members takes minutes, not the RQ default of 3."""


class Recurring(NamedTuple):
    """A job run daily at `at` (a time-of-day setting's name) or every `every` (a setting's name, minutes)."""

    name: str
    target: Callable
    """The `@job` function enqueued."""
    queue: str
    at: str | None = None
    every: str | None = None
    passes_day: bool = False


JOBS = (
    Recurring("reminders", run_reminders, "default", at="REMINDERS_AT", passes_day=True),
    Recurring("loans_ageing", age_loans, "low", at="LOANS_AGEING_AT", passes_day=True),
    Recurring("payments_reconcile", reconcile_payments, "high", every="RECONCILE_EVERY_MINUTES"),
    Recurring("notifications_sweep", sweep_notifications, "default", every="RECONCILE_EVERY_MINUTES"),
    Recurring("agent_daily_summary", send_agent_summaries, "default", at="AGENT_SUMMARY_AT", passes_day=True),
    Recurring("alerts_scan", scan_alerts, "low", every="ALERT_SCAN_EVERY_MINUTES"),
    Recurring("disputes_escalate", escalate_disputes, "default", every="RECONCILE_EVERY_MINUTES"),
    Recurring("float_check", check_floats, "low", every="FLOAT_CHECK_EVERY_MINUTES"),
    Recurring("par_snapshot", snapshot_par, "low", at="PAR_SNAPSHOT_AT", passes_day=True),
    Recurring("group_fines", apply_group_fines, "high", at="GROUP_FINES_AT"),
    Recurring("group_payouts", propose_group_payouts, "default", at="GROUP_PAYOUTS_AT"),
)


def slot_of(recurring, settings, local_now):
    """The run this moment belongs to ("2026-12-01" or "2026-12-01T10:05"), or None when nothing is due."""
    if recurring.every:
        minutes = getattr(settings, recurring.every)
        minute_of_day = local_now.hour * 60 + local_now.minute
        start = minute_of_day - minute_of_day % minutes
        return f"{local_now.date().isoformat()}T{start // 60:02d}:{start % 60:02d}"
    at = datetime.combine(local_now.date(), getattr(settings, recurring.at), tzinfo=local_now.tzinfo)
    if at <= local_now < at + CATCH_UP:
        return local_now.date().isoformat()
    return None


def tick(settings, redis, queues, now, zone):
    """Enqueue every job due at `now` that no scheduler has claimed; return the names enqueued."""
    local_now = now.astimezone(zone)
    enqueued = []
    for recurring in JOBS:
        slot = slot_of(recurring, settings, local_now)
        if slot is None:
            continue
        if not redis.set(scheduler_lock_key(recurring.name, slot), now.isoformat(), nx=True, ex=LOCK_TTL):
            continue
        args = (slot,) if recurring.passes_day else ()
        queues[recurring.queue].enqueue(recurring.target, *args, job_id=scheduler_job_id(recurring.name, slot),
                                        job_timeout=JOB_TIMEOUT)
        log_event("scheduler.enqueued", job=recurring.name, slot=slot)
        enqueued.append(recurring.name)
    return enqueued


def run_forever(settings, redis, queues, clock, *, sleep=wall.sleep):
    """Tick at the start of every minute until interrupted."""
    while True:
        tick(settings, redis, queues, clock.now(), clock.zone)
        sleep(60 - clock.now().second % 60 or 60)
