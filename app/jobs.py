"""RQ plumbing: jobs run inside an app context and commit once, in one place.

A task is a plain function `task(services, *ids)` wrapped by `@job`: the wrapper
finds (or creates once per worker process) the Flask app, opens an app context,
builds the services, runs the body, commits, and lets real failures raise so RQ
records them (no `except Exception: log`). A job cut off mid-statement (its timeout,
a cold shutdown) leaves its database connection half-way through a command: that
connection is thrown away, never handed to the next job. Jobs take ids, never objects, and are
enqueued only after the enqueuing transaction commits, so a worker never looks
for a row that is not there yet. Retries use RQ's `Retry` with backoff.
"""

import functools
import os
from datetime import UTC, datetime
from typing import NamedTuple

from flask import current_app, has_app_context
from rq import Retry
from rq.timeouts import BaseTimeoutException
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.deferred_transaction import commit_owed, stop_deferring
from app.deferred_transaction import defer_transaction as defer
from app.extensions import db
from app.observability import ERRORS

DEFAULT_RETRY = Retry(max=5, interval=[5, 30, 120, 600, 1800])
"""Backoff for transient failures: 5 s, 30 s, 2 min, 10 min, 30 min."""

FINISHED_WITH = ("failed", "stopped", "canceled")
"""Statuses of a job with a stable id that may be enqueued again."""

_worker_app = None


def worker_app():
    """The app of this process: the current one, or one created on first job."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    return _worker_app


def prepare_worker_app():
    """Build this worker process's app before its first job; a forked child drops the inherited connections.

    RQ's scheduler runs in a process forked from the worker: the connections in the
    app's pools belong to the parent, so the child forgets them without closing them
    (SQLAlchemy's `dispose(close=False)`) and opens its own if it ever needs one.
    Redis clients do the same by themselves (redis-py checks the pid).
    """
    app = worker_app()
    os.register_at_fork(after_in_child=functools.partial(_forget_inherited_connections, app))
    return app


def _forget_inherited_connections(app):
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


INTERRUPTIONS = (BaseTimeoutException, SystemExit, KeyboardInterrupt)
"""Raised by a signal wherever the job was, possibly inside a database command."""


def job(func=None, *, defer_transaction=False):
    """Run `func(services, *args)` as a job: app context, one commit, failures raise.

    `@job(defer_transaction=True)`: the job reads outside a transaction until its first
    write, and its STANDALONE statements commit by themselves (app/deferred_transaction.py):
    the send jobs, whose every write is one such statement (app/notifications/send_marks.py).
    """
    if func is None:
        return functools.partial(job, defer_transaction=defer_transaction)

    @functools.wraps(func)
    def run(*args, **kwargs):
        from app.services import build_services

        app = worker_app()
        with app.app_context():
            services = build_services(app, db.session)
            if defer_transaction:
                defer(db.session)
            try:
                result = func(services, *args, **kwargs)
                commit_if_owed(db.session)
                return result
            except INTERRUPTIONS:
                db.session.invalidate()  # its connection may be mid-command: close it, never reuse it
                raise
            except BaseException:
                db.session.rollback()
                raise
            finally:
                stop_deferring(db.session)

    return run


class PendingJob(NamedTuple):
    """A job waiting for its transaction to commit; `func` is a function or its dotted path."""

    queue: object
    func: object
    args: tuple
    kwargs: dict
    job_id: str | None = None
    at: datetime | None = None
    retry: Retry | None = DEFAULT_RETRY


def submit(pending):
    """Enqueue `pending` now, unless a job with its id is already queued, running or finished."""
    queue = pending.queue
    options = {"job_id": pending.job_id, "retry": pending.retry, "args": pending.args, "kwargs": pending.kwargs}
    if pending.job_id is not None:
        existing = queue.fetch_job(pending.job_id)
        if existing is not None and existing.get_status(refresh=True) not in FINISHED_WITH:
            return
    if pending.at is not None:
        queue.enqueue_at(pending.at, pending.func, **options)
    else:
        queue.enqueue(pending.func, **options)


def submit_many(pending_jobs):
    """Enqueue many jobs of one queue now, in two Redis round trips whatever their number.

    Their ids are looked up in one pipeline (RQ's `Job.fetch_many`), and the ones not already
    queued, running or finished go in one more (`Queue.enqueue_many`): the morning reminder
    run hands over a thousand batch jobs at once. Scheduled jobs (`at`) go through `submit`.
    """
    from rq.job import Job

    queue = pending_jobs[0].queue
    ids = [pending.job_id for pending in pending_jobs if pending.job_id is not None]
    existing = dict(zip(ids, Job.fetch_many(ids, connection=queue.connection, serializer=queue.serializer),
                        strict=True)) if ids else {}
    fresh = []
    for pending in pending_jobs:
        found = existing.get(pending.job_id)
        if found is not None and found.get_status(refresh=False) not in FINISHED_WITH:
            continue
        fresh.append(queue.prepare_data(pending.func, args=pending.args, kwargs=pending.kwargs,
                                        job_id=pending.job_id, retry=pending.retry))
    if fresh:
        queue.enqueue_many(fresh)


def _groups(pending_jobs):
    """Consecutive immediate jobs of one queue together (two or more: `submit_many`), every other alone."""
    group = []
    for pending in pending_jobs:
        if group and (pending.at is not None or pending.queue is not group[0].queue):
            yield group
            group = []
        group.append(pending)
        if pending.at is not None:
            yield group
            group = []
    if group:
        yield group


def enqueue_after_commit(session, queue, func, *args, job_id=None, retry=DEFAULT_RETRY, at=None, ahead=False,
                         **kwargs):
    """Enqueue `func(*args)` once `session` commits; a stable `job_id` makes it idempotent.

    Jobs are enqueued in the order they were asked for; `ahead` puts this one before the
    jobs this transaction already asked for (a command's reply goes out before the messages
    the command caused: "request received" before "paid out").

    A job whose id is already queued, running or finished is not enqueued again;
    a failed one may be. `at` (aware datetime) schedules it for later. If the
    enqueue fails after the commit (Redis away), the job is kept in `deferred_jobs`
    for the sweep: the commit stands and the caller is not told otherwise.
    """
    pending = session.info.setdefault("pending_jobs", [])
    pending.insert(0 if ahead else len(pending), PendingJob(queue, func, args, kwargs, job_id, at, retry))


def has_pending_jobs(session):
    """True when jobs wait for `session`'s commit (a commit is owed even if no statement ran)."""
    return bool(session.info.get("pending_jobs"))


def commit_if_owed(session):
    """Commit `session` when that would do anything: a transaction PostgreSQL saw, objects to flush, or jobs
    waiting for the commit (app/deferred_transaction.py's `commit_owed`).

    The one rule for the ends of units of work (callbacks, hops, jobs) and a send job's
    checkpoints: a deferred session whose every write was a STANDALONE statement has
    nothing left to commit (each committed by itself), and SQLAlchemy's commit of the
    transaction PostgreSQL never saw cost about 70 us of bookkeeping, three times a send job.
    """
    if commit_owed(session) or has_pending_jobs(session):
        session.commit()


@event.listens_for(Session, "after_commit")
def _send_pending_jobs(session):
    if session.get_nested_transaction() is not None:
        return  # a SAVEPOINT was released (SQLAlchemy says "commit" for it too): the transaction goes on
    pending_jobs = session.info.pop("pending_jobs", [])
    index = 0
    for group in _groups(pending_jobs):
        try:
            submit_many(group) if len(group) > 1 else submit(group[0])
        except Exception as error:  # noqa: BLE001 - the data is committed: keep the job, never raise from here
            from app.deferred_jobs import record

            ERRORS.labels("jobs", "enqueue").inc()
            bind = session.get_bind()
            now = datetime.now(UTC)
            for rest in pending_jobs[index:]:  # Redis is away: the rest would fail the same way, slowly
                record(bind, rest, error, now)
            return
        index += len(group)


@event.listens_for(Session, "after_rollback")
def _drop_pending_jobs(session):
    session.info.pop("pending_jobs", None)
