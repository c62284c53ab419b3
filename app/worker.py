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
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, Worker
from rq.executions import Execution
from rq.job import Job, JobStatus, _job_stack
from rq.scheduler import RQScheduler
from rq.suspension import WORKERS_SUSPENDED
from rq.utils import as_text, now
from rq.worker import WorkerStatus

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

NEXT_JOB = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
for index = 3, #KEYS do
    local job_id = redis.call('LPOP', KEYS[index])
    if job_id then return {KEYS[index], job_id, redis.call('HGETALL', ARGV[1] .. job_id)} end
end
return 0
"""
"""The worker's step between two jobs, in one round trip: RQ's suspension check, its `idle` state,
the LPOP of each queue in turn and the HGETALL of the job popped (KEYS: the worker, `rq:suspended`,
the queues in order; ARGV: the job key prefix, `idle`). 1: suspended, nothing popped; 0: every
queue empty (the worker then blocks on BLPOP as RQ does); else [queue key, job id, job hash]."""


class PamojaJob(Job):
    """RQ's job, whose key the worker makes persistent in its own prepare pipeline rather than in `perform`."""

    persisted = False
    """Set by the worker once the job key's PERSIST went out with the rest of the job's preparation."""

    def perform(self):
        if not self.persisted:
            return super().perform()
        _job_stack.push(self)
        try:
            self._result = self._execute()
        finally:
            assert self is _job_stack.pop()
        return self._result


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

    The thread is woken only when it sleeps with no job: while jobs follow one another it
    wakes when the beat it waits for falls due, and then waits for the job now running
    until one interval after that job's start (which is never earlier than the earlier
    job's due time). Waking it at every job start and end cost two thread switches a
    job; each job's first beat still comes one interval after its start.
    """

    def __init__(self, worker):
        self.worker = worker
        self.changed = threading.Condition()
        self.job = None
        self.started = 0.0
        self.due = 0.0
        self.idle = False
        self.thread = None

    def watch(self, job):
        with self.changed:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)
                self.thread.start()
            self.job, self.started = job, time.monotonic()
            self.due = self.started + self.worker.job_monitoring_interval
            if self.idle:
                self.changed.notify()

    def forget(self):
        with self.changed:
            self.job = None

    def _run(self):
        with self.changed:
            while True:
                job = self.job
                if job is None:
                    self.idle = True
                    self.changed.wait()
                    self.idle = False
                elif not self.changed.wait_for(lambda job=job: self.job is not job,
                                               timeout=max(0.0, self.due - time.monotonic())):
                    self._beat(job, time.monotonic() - self.started)
                    self.due = time.monotonic() + self.worker.job_monitoring_interval

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
    """An RQ worker whose recovery clocks are seconds and whose jobs run in-process (see the module docstring).

    RQ's own bookkeeping is kept whole (the started registry and its executions, job
    statuses and results, the failed registry, retries, dependents, `rq suspend`,
    `rq info`), in three Redis round trips a job instead of RQ's ten: the step between
    two jobs (`NEXT_JOB`: suspension check, idle state, pop, job fetch), the job's
    preparation (RQ's two pipelines and the job key's PERSIST as one), and its
    success (RQ's WATCH of the dependents key and its MULTI/EXEC as one MULTI/EXEC
    that also says whether the job has dependents: only then are they enqueued, by
    RQ's own `enqueue_dependents`). The job's last heartbeat goes with its success.
    A failure, a retry and an idle worker take RQ's own paths. A job that succeeded is
    logged twice, not three times: its queue and id when it starts, "Job OK" when done
    (RQ's "Successfully completed" line, which said the same again, is DEBUG).
    """

    job_class = PamojaJob

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("worker_ttl", WORKER_TTL)
        kwargs.setdefault("job_monitoring_interval", JOB_MONITORING_SECONDS)
        kwargs.setdefault("maintenance_interval", MAINTENANCE_SECONDS)
        kwargs.setdefault("log_job_description", False)
        super().__init__(*args, **kwargs)
        self.log_result_lifespan = False  # "Result is kept for 500 seconds", after every job
        self.job_heartbeat = JobHeartbeat(self)
        self._last_beat = float("-inf")
        self._next_job = self.connection.register_script(NEXT_JOB)
        self._preparing = None
        self._ended_beat = None
        self._burst = False

    def get_heartbeat_ttl(self, job):
        if job.timeout and job.timeout > 0:
            remaining = job.timeout - self.current_job_working_time
            return int(min(remaining, self.job_monitoring_interval)) + HEARTBEAT_SLACK
        return self.job_monitoring_interval + HEARTBEAT_SLACK

    def check_for_suspension(self, burst):
        """RQ's check, made by the next step (NEXT_JOB) instead, with the pop; RQ's own with a single queue."""
        self._burst = burst
        if len(self.queues) == 1:
            super().check_for_suspension(burst)

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        """Pop the next job and fetch it in one round trip; with every queue empty, RQ's blocking dequeue.

        A single-queue worker keeps RQ's own dequeue (LMOVE into the intermediate queue).
        """
        while len(self.queues) > 1:
            keys = [self.key, WORKERS_SUSPENDED, *(queue.key for queue in self._ordered_queues)]
            try:
                found = self._next_job(keys=keys, args=[self.job_class.redis_job_namespace_prefix,
                                                        WorkerStatus.IDLE.value])
            except (RedisConnectionError, RedisTimeoutError):
                break  # Redis away: RQ's own dequeue below waits and retries with backoff, as RQ's worker does
            if found == 1:
                super().check_for_suspension(self._burst)  # waits while suspended, as RQ's would
                break
            if not found:
                self._state = WorkerStatus.IDLE
                break
            self._state = WorkerStatus.IDLE
            queue_key, job_id, fields = found
            if not fields:
                continue  # the job's hash is gone: RQ passes over such ids silently
            queue = next(queue for queue in self._ordered_queues if queue.key == as_text(queue_key))
            job = self.job_class(as_text(job_id), connection=self.connection, serializer=self.serializer)
            job.restore(dict(zip(fields[::2], fields[1::2], strict=True)))
            self.reorder_queues(reference_queue=queue)
            job.redis_server_version = self.get_redis_server_version()
            if self.log_job_description:
                self.log.info("%s: %s (%s)", queue.name, job.description, job.id)
            else:
                self.log.info("%s: %s", queue.name, job.id)
            self.heartbeat()
            return job, queue
        return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)

    def prepare_execution(self, job):
        """RQ's execution record and busy state, sent with the rest of the job's preparation."""
        pipeline = self.connection.pipeline()
        self.execution = Execution.create(job, self.get_heartbeat_ttl(job), pipeline=pipeline)
        self.set_state(WorkerStatus.BUSY, pipeline=pipeline)
        self._preparing = pipeline
        return self.execution

    def prepare_job_execution(self, job, remove_from_intermediate_queue=False):
        """RQ's preparation, with `prepare_execution`'s record and the job key's PERSIST, in one round trip."""
        pipeline, self._preparing = self._preparing or self.connection.pipeline(), None
        with pipeline:
            self.set_current_job_id(job.id, pipeline=pipeline)
            self.set_current_job_working_time(0, pipeline=pipeline)
            heartbeat_ttl = self.get_heartbeat_ttl(job)
            self.heartbeat(heartbeat_ttl, pipeline=pipeline)
            job.heartbeat(now(), heartbeat_ttl, pipeline=pipeline)
            job.prepare_for_execution(self.name, pipeline=pipeline)
            if remove_from_intermediate_queue:
                pipeline.lrem(Queue(job.origin, connection=self.connection).intermediate_queue_key, 1, job.id)
            pipeline.persist(job.key)
            pipeline.execute()
        job.persisted = True
        self.procline(f"Processing {job.func_name} from {job.origin} since {time.time()}")

    def handle_job_success(self, job, queue, started_job_registry):
        """RQ's success bookkeeping in one MULTI/EXEC; the job's dependents, if it has any, enqueued after.

        RQ WATCHes the dependents key (a round trip) so that a dependent added while the job
        finishes is not missed. Here the same transaction that marks the job finished asks
        whether it has dependents: one added before it is seen then and enqueued by RQ's
        `enqueue_dependents`; one added after finds its parent finished and is enqueued by
        its own enqueue, as RQ does.
        """
        with self.connection.pipeline() as pipeline:
            self._send_ended_beat(pipeline)
            self.increment_successful_job_count(pipeline=pipeline)
            self.increment_total_working_time(job.ended_at - job.started_at, pipeline)
            result_ttl = job.get_result_ttl(self.default_result_ttl)
            if result_ttl != 0:
                job._handle_success(result_ttl, pipeline=pipeline, worker_name=self.name)
            if job.repeats_left is not None and job.repeats_left > 0:
                from rq.repeat import Repeat

                self.log.info("Worker %s: job %s scheduled to repeat (%s left)", self.name, job.id, job.repeats_left)
                Repeat.schedule(job, queue, pipeline=pipeline)
            else:
                job.cleanup(result_ttl, pipeline=pipeline, remove_from_queue=False)
            self.cleanup_execution(job, pipeline=pipeline)
            pipeline.exists(job.dependents_key)
            has_dependents = pipeline.execute()[-1]
        if has_dependents:
            queue.enqueue_dependents(job)
        # RQ logs this at INFO, right before its own "Job OK" line for the same job: one line a job is enough.
        self.log.debug("Successfully completed job %s in %ss on worker %s", job.id, job.ended_at - job.started_at,
                       self.name)

    def handle_job_retry(self, job, queue, retry, started_job_registry):
        self._send_ended_beat()
        super().handle_job_retry(job, queue, retry, started_job_registry)

    def _send_ended_beat(self, pipeline=None):
        if self._ended_beat is not None:
            job, ttl, self._ended_beat = *self._ended_beat, None
            job.heartbeat(job.last_heartbeat, ttl, pipeline=pipeline)

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
        """The job's body is over (done, failed or timed out): no beat may follow RQ's bookkeeping.

        RQ writes the job's last heartbeat here in a round trip of its own; a job that did
        not fail has it sent with its success (or retry) instead.
        """
        self.job_heartbeat.forget()
        self._ended_beat = None
        if job.get_status(refresh=False) == JobStatus.FAILED:
            super().handle_execution_ended(job, queue, heartbeat_ttl)
            return
        job.ended_at = job.last_heartbeat = now()
        self._ended_beat = (job, heartbeat_ttl)

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
