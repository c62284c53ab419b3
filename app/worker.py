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
"""

import argparse
import os

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


class PamojaWorker(Worker):
    """An RQ worker whose recovery clocks are seconds (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("worker_ttl", WORKER_TTL)
        kwargs.setdefault("job_monitoring_interval", JOB_MONITORING_SECONDS)
        kwargs.setdefault("maintenance_interval", MAINTENANCE_SECONDS)
        kwargs.setdefault("log_job_description", False)
        super().__init__(*args, **kwargs)

    def get_heartbeat_ttl(self, job):
        if job.timeout and job.timeout > 0:
            remaining = job.timeout - self.current_job_working_time
            return int(min(remaining, self.job_monitoring_interval)) + HEARTBEAT_SLACK
        return self.job_monitoring_interval + HEARTBEAT_SLACK

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
    from app.observability import install_redaction, secret_values

    install_redaction(secret_values(load_config()))
    connection = Redis.from_url(options.url)
    worker = PamojaWorker([Queue(name, connection=connection) for name in options.queues], connection=connection)
    worker.work(with_scheduler=True, burst=options.burst)


if __name__ == "__main__":
    main()
