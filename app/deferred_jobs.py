"""After-commit jobs whose enqueue failed: kept in PostgreSQL, enqueued again by the sweep.

A job is enqueued only after its transaction commits (app/jobs.py). When Redis is
away at that moment the data is already committed (a payment applied, a message
recorded `queued`), so raising would tell the caller a lie (a 500 for a payment we
applied) and lose the job. Instead the job is written here, in its own short
transaction, and `replay` enqueues it again once Redis answers (the notifications
sweep runs it every few minutes; `flask notifications sweep` by hand). Jobs take
ids, so their arguments are JSON; the same stable job id keeps a replay idempotent.
"""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, delete, insert, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.observability import ERRORS, log_event, logger

REPLAY_BATCH = 500
"""Deferred jobs enqueued per sweep; the rest wait for the next one."""


class DeferredJob(db.Model):
    __tablename__ = "deferred_jobs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    queue: Mapped[str] = mapped_column(String(20))
    func: Mapped[str] = mapped_column(String(200))
    """Dotted path RQ imports: `app.notifications.outbox.send_sms_job`."""
    args: Mapped[list] = mapped_column(JSONB, default=list)
    kwargs: Mapped[dict] = mapped_column(JSONB, default=dict)
    job_id: Mapped[str | None] = mapped_column(String(200))
    run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def func_path(func):
    return f"{func.__module__}.{func.__name__}"


def record(bind, pending, error, now):
    """Write a job whose enqueue failed, in its own transaction on `bind` (never raises).

    `bind` is the committed session's engine (or, in tests, its outer connection).
    If PostgreSQL fails too, the loss is logged; outbox messages still stay `queued`
    and the outbox sweep finds them anyway.
    """
    row = {"queue": pending.queue.name, "func": func_path(pending.func), "args": list(pending.args),
           "kwargs": dict(pending.kwargs), "job_id": pending.job_id, "run_at": pending.at,
           "error": f"{type(error).__name__}: {error}"[:200], "attempts": 0, "created_at": now}
    try:
        if isinstance(bind, Engine):
            with bind.begin() as connection:
                connection.execute(insert(DeferredJob), row)
        else:
            with bind.begin_nested():
                bind.execute(insert(DeferredJob), row)
    except Exception:  # noqa: BLE001 - after a commit nothing may raise; the outbox sweep still finds messages
        logger.exception("deferred job not recorded")
        ERRORS.labels("jobs", "deferred_lost").inc()
        return False
    log_event("jobs.deferred", func=row["func"], job_id=pending.job_id, error=type(error).__name__)
    return True


def replay(session, queues, *, limit=REPLAY_BATCH):
    """Enqueue deferred jobs again (oldest first); return how many went. Stops at the first Redis failure."""
    from app.jobs import PendingJob, submit

    rows = list(session.scalars(select(DeferredJob).order_by(DeferredJob.id).limit(limit)
                                .with_for_update(skip_locked=True)))
    done = []
    for row in rows:
        pending = PendingJob(queues[row.queue], row.func, tuple(row.args), row.kwargs or {}, row.job_id, row.run_at)
        try:
            submit(pending)
        except Exception as error:  # noqa: BLE001 - Redis still away: keep the row for the next sweep
            row.attempts += 1
            row.error = f"{type(error).__name__}: {error}"[:200]
            break
        done.append(row.id)
    if done:
        session.execute(delete(DeferredJob).where(DeferredJob.id.in_(done)))
    return len(done)
