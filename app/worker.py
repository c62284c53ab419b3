"""The RQ worker the Procfile runs: `python -m app.worker --url $REDIS_URL high default low`.

Plain `rq worker --with-scheduler` recovers slowly from a worker killed with -9: its
scheduler lock lives 61 s after the last heartbeat, and a surviving or restarted
worker only tries to take the scheduler over at its maintenance pass, every 10
minutes (while an idle worker blocks on Redis for 405 s at a time), so delayed jobs
(retries, quiet-hour dispatches, sandbox callbacks) waited 10-14 minutes. A job the
dead worker was running is only called abandoned 60 s after its last heartbeat.

Here every one of those clocks is seconds: the scheduler lock expires
SCHEDULER_LOCK_SECONDS after the dead scheduler's last heartbeat, the worker wakes
every WORKER_TTL - 15 s and runs its maintenance (take over the scheduler, move
abandoned jobs to their retry) every MAINTENANCE_SECONDS, and a killed job is
abandoned HEARTBEAT_SLACK seconds after its last heartbeat. A fresh worker cleans
the registries before its first job. Job descriptions (which print the job's
arguments) are never logged. What a retried job may send again is the outbox's
concern (app/notifications/outbox.py): nothing the provider accepted.

Jobs run in the worker process itself, on an app built once before the first job
(`app.jobs.prepare_worker_app`), the way a gunicorn worker serves requests. RQ's
default worker forks a work horse per job, and each horse built the whole app again
and opened its own PostgreSQL and Redis connections: 1.3-1.8 jobs/s. What the fork
gave is kept another way:

- Timeouts: the job runs under RQ's SIGALRM death penalty (the job's timeout, 180 s
  by default), raised in the job's own thread; a job that ignores it (stuck inside C
  code) for JOB_TIMEOUT_GRACE seconds more ends the process, as RQ's worker would
  kill its horse, and the job is then abandoned and retried like a crashed one.
- Heartbeats: while a job runs, a thread renews its heartbeat (and the worker's)
  every JOB_MONITORING_SECONDS, so a long job is never taken for abandoned and a
  killed worker's job still is, HEARTBEAT_SLACK seconds later.
- Isolation: each job has its own app context and database session; an interrupted
  job's connection is thrown away, not returned to the pool (app/jobs.py).
"""

import argparse
import logging
import os
import threading
import time

from redis import Redis
from rq import Queue, Worker
from rq.scheduler import RQScheduler

SCHEDULER_LOCK_SECONDS = 15
"""RQ: interval + 60. The scheduler refreshes it every second, so a live one never loses it."""
MAINTENANCE_SECONDS = 10
"""RQ: 600. How often a worker tries to take over a dead scheduler and cleans abandoned jobs."""
WORKER_TTL = 25
"""RQ: 420. The worker blocks on Redis for WORKER_TTL - 15 s at most, so maintenance runs on time."""
JOB_MONITORING_SECONDS = 5
"""RQ: 30. How often a running job's heartbeat is renewed."""
HEARTBEAT_SLACK = 10
"""RQ: 60. A job whose heartbeat is this late (after the monitoring interval) was abandoned."""
JOB_TIMEOUT_GRACE = 60
"""RQ: 60. How long past its timeout a job that ignores the alarm may run before the process ends."""
WORKER_BEAT_SECONDS = 1
"""The worker's own heartbeat, outside a job's, is sent at most this often."""

log = logging.getLogger(__name__)


class QuickScheduler(RQScheduler):
    """RQ's scheduler with a lock that outlives a killed worker by seconds, not a minute."""

    def acquire_locks(self, auto_start=False):
        acquired = super().acquire_locks(auto_start=auto_start)
        self._shorten()
        return acquired

    def heartbeat(self):
        self._shorten()

    def _shorten(self):
        if self._acquired_locks:
            with self.connection.pipeline() as pipeline:
                for name in self._acquired_locks:
                    pipeline.expire(self.get_locking_key(name), SCHEDULER_LOCK_SECONDS)
                pipeline.execute()


class JobHeartbeat:
    """While a job runs in the worker's own thread, renew its heartbeat every monitoring interval.

    What RQ's worker does from the parent while its horse works, from one thread per
    worker process that sleeps between jobs (a thread per job cost more than a short
    job). Each beat is sent holding the lock, and `forget` takes it: once `forget`
    returns no beat for that job can follow, so RQ's bookkeeping after the job's body
    (finished, failed, retried) is never undone by a late beat.
    """

    def __init__(self, worker):
        self.worker = worker
        self.changed = threading.Condition()
        self.job = None
        self.started = 0.0
        self.thread = None

    def watch(self, job):
        with self.changed:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)
                self.thread.start()
            self.job, self.started = job, time.monotonic()
            self.changed.notify()

    def forget(self):
        with self.changed:
            self.job = None
            self.changed.notify()

    def _run(self):
        with self.changed:
            while True:
                job = self.job
                if job is None:
                    self.changed.wait()
                elif not self.changed.wait_for(lambda job=job: self.job is not job,
                                               timeout=self.worker.job_monitoring_interval):
                    self._beat(job, time.monotonic() - self.started)

    def _beat(self, job, working):
        if job.timeout and job.timeout > 0 and working > job.timeout + JOB_TIMEOUT_GRACE:
            log.error("Job %s ignored its %s s timeout for %s s: ending the worker so it is retried",
                      job.id, job.timeout, JOB_TIMEOUT_GRACE)
            os._exit(1)
        try:
            self.worker.set_current_job_working_time(working)
            self.worker.maintain_heartbeats(job)
        except Exception:  # noqa: BLE001 - Redis away: the next beat tries again; the job goes on
            log.warning("Heartbeat of job %s failed", job.id, exc_info=True)


class PamojaWorker(Worker):
    """An RQ worker whose recovery clocks are seconds and whose jobs run in-process (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("worker_ttl", WORKER_TTL)
        kwargs.setdefault("job_monitoring_interval", JOB_MONITORING_SECONDS)
        kwargs.setdefault("maintenance_interval", MAINTENANCE_SECONDS)
        kwargs.setdefault("log_job_description", False)
        super().__init__(*args, **kwargs)
        self.log_result_lifespan = False  # "Result is kept for 500 seconds", after every job
        self.job_heartbeat = JobHeartbeat(self)
        self._last_beat = float("-inf")

    def get_heartbeat_ttl(self, job):
        if job.timeout and job.timeout > 0:
            remaining = job.timeout - self.current_job_working_time
            return int(min(remaining, self.job_monitoring_interval)) + HEARTBEAT_SLACK
        return self.job_monitoring_interval + HEARTBEAT_SLACK

    def execute_job(self, job, queue):
        """Run the job here, on the app this process built, under its timeout and a heartbeat.

        The worker is marked idle again by the next dequeue, its first step.
        """
        self.prepare_execution(job)
        self.job_heartbeat.watch(job)
        try:
            self.perform_job(job, queue)
        finally:
            self.job_heartbeat.forget()

    def handle_execution_ended(self, job, queue, heartbeat_ttl):
        """The job's body is over (done, failed or timed out): no beat may follow RQ's bookkeeping."""
        self.job_heartbeat.forget()
        super().handle_execution_ended(job, queue, heartbeat_ttl)

    def heartbeat(self, timeout=None, pipeline=None):
        """RQ's worker heartbeat, sent at most once a WORKER_BEAT_SECONDS on its own.

        RQ sends it three times around every job (two round trips each); the worker's key
        lives WORKER_TTL + 60 s, so one a second says the same. Beats inside a pipeline
        (with a job's) always go.
        """
        if pipeline is None:
            if time.monotonic() - self._last_beat < WORKER_BEAT_SECONDS:
                return
            self._last_beat = time.monotonic()
        super().heartbeat(timeout, pipeline)

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None, log_format=None):
        options = {name: value for name, value in (("date_format", date_format), ("log_format", log_format))
                   if value is not None}
        self.scheduler = QuickScheduler(self.queues, connection=self.connection, serializer=self.serializer,
                                        logging_level=logging_level or self.log.level, **options)
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                self.scheduler.enqueue_scheduled_jobs()
                self.scheduler.release_locks()
            else:
                self.scheduler.start()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--burst", action="store_true", help="Stop when the queues are empty.")
    parser.add_argument("queues", nargs="*", default=["high", "default", "low"])
    options = parser.parse_args(argv)
    from app.config import load_config
    from app.jobs import prepare_worker_app
    from app.observability import install_redaction, secret_values

    install_redaction(secret_values(load_config()))
    prepare_worker_app()
    connection = Redis.from_url(options.url)
    worker = PamojaWorker([Queue(name, connection=connection) for name in options.queues], connection=connection)
    worker.work(with_scheduler=True, burst=options.burst)


if __name__ == "__main__":
    main()
