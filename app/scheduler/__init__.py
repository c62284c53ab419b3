"""The single scheduler: each minute, enqueue the recurring jobs that are due, once.

Why not `rq cron`: RQ 2.6's cron scheduler keeps no lock, so two of them (a
deploy overlap, a second `make run`) would both enqueue every job. Here each run is
claimed with `SET NX` on `scheduler_lock_key(job, slot)` (app/keys.py) before it is
enqueued, and enqueued with the job id `cron-<job>-<slot>`; the jobs themselves are
idempotent for their day (reminders and summaries are keyed per day), so even a
lost lock costs nothing but work. Daily jobs that were missed (the scheduler was
down at 07:00) still run if it comes back within CATCH_UP of their time.
"""

import time as wall
from datetime import date, datetime, time, timedelta
from importlib import import_module
from typing import NamedTuple

from app.config import as_int
from app.jobs import job
from app.keys import scheduler_lock_key
from app.observability import log_event

CATCH_UP = timedelta(hours=3)
"""A daily job missed by less than this still runs when the scheduler comes back."""
LOCK_TTL = int(timedelta(days=3).total_seconds())
"""Claims outlive any catch-up window, then expire on their own."""
JOB_TIMEOUT = 3600
"""A reminder run over 100,000 members takes minutes, not the RQ default of 3."""


class Recurring(NamedTuple):
    """A job run daily at `at` (a config name holding "HH:MM") or every `every` (a config name, minutes)."""

    name: str
    target: str
    """`module:function[,module:function]`, the first that imports: a package not there yet has no job."""
    queue: str
    at: str | None = None
    every: str | None = None
    passes_day: bool = False


JOBS = (
    Recurring("reminders", "app.notifications.tasks:run_reminders", "default", at="REMINDERS_AT", passes_day=True),
    Recurring("loans_ageing", "app.loans.tasks:age_loans,app.scheduler:age_loans", "low", at="LOANS_AGEING_AT",
              passes_day=True),
    Recurring("payments_reconcile", "app.payments.tasks:reconcile_payments", "high", every="RECONCILE_EVERY_MINUTES"),
    Recurring("notifications_sweep", "app.notifications.tasks:sweep_notifications", "default",
              every="RECONCILE_EVERY_MINUTES"),
    Recurring("agent_daily_summary", "app.agents.tasks:send_agent_summaries", "default", at="AGENT_SUMMARY_AT",
              passes_day=True),
    Recurring("alerts_scan", "app.alerts.tasks:scan_alerts", "low", every="ALERT_SCAN_EVERY_MINUTES"),
)


def slot_of(recurring, config, local_now):
    """The run this moment belongs to ("2026-12-01" or "2026-12-01T10:05"), or None when nothing is due."""
    if recurring.every:
        minutes = as_int(config, recurring.every)
        minute_of_day = local_now.hour * 60 + local_now.minute
        start = minute_of_day - minute_of_day % minutes
        return f"{local_now.date().isoformat()}T{start // 60:02d}:{start % 60:02d}"
    at = datetime.combine(local_now.date(), time.fromisoformat(config[recurring.at]), tzinfo=local_now.tzinfo)
    if at <= local_now < at + CATCH_UP:
        return local_now.date().isoformat()
    return None


def resolve(target):
    for candidate in target.split(","):
        module_name, _, function = candidate.partition(":")
        try:
            return getattr(import_module(module_name), function)
        except (ImportError, AttributeError):
            continue
    return None


@job
def age_loans(services, day_iso):
    """Loans ageing for a day (penalties, days in arrears) until app/loans has its own job; idempotent per day."""
    from app.loans.ageing import Ageing

    return repr(Ageing(services.session, ledger=services.ledger, clock=services.clock).run(date.fromisoformat(day_iso)))


def tick(config, redis, queues, now, zone):
    """Enqueue every job due at `now` that no scheduler has claimed; return the names enqueued."""
    local_now = now.astimezone(zone)
    enqueued = []
    for recurring in JOBS:
        slot = slot_of(recurring, config, local_now)
        func = resolve(recurring.target) if slot else None
        if func is None:
            continue
        if not redis.set(scheduler_lock_key(recurring.name, slot), now.isoformat(), nx=True, ex=LOCK_TTL):
            continue
        args = (slot,) if recurring.passes_day else ()
        job_id = f"cron-{recurring.name}-{slot.replace(':', '')}"
        queues[recurring.queue].enqueue(func, *args, job_id=job_id, job_timeout=JOB_TIMEOUT)
        log_event("scheduler.enqueued", job=recurring.name, slot=slot)
        enqueued.append(recurring.name)
    return enqueued


def run_forever(config, redis, queues, clock, *, sleep=wall.sleep):
    """Tick at the start of every minute until interrupted."""
    while True:
        tick(config, redis, queues, clock.now(), clock.zone)
        sleep(60 - clock.now().second % 60 or 60)
