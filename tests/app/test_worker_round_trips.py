"""The Procfile's worker keeps RQ's bookkeeping whole in three Redis round trips a job (issue 17).

RQ's worker spent ten round trips on each job around the job's own work: a
suspension check, its idle state, the pop, the job's fetch, two preparation
pipelines, the job key's PERSIST, the job's last heartbeat, a WATCH and the success
transaction. app/worker.py sends the same commands in three: the step between two
jobs (one script), the preparation (one pipeline) and the success (one transaction).
What RQ records must not change: statuses, results, registries, counters, retries,
the failed registry, dependents and `rq suspend`.
"""

import signal

import pytest
from rq import Queue, Retry
from rq.suspension import resume, suspend

from app.worker import PamojaWorker
from tests.redis_round_trip_helpers import RedisRoundTrips
from tests.worker_helpers import add, always_fails

pytestmark = pytest.mark.committed


@pytest.fixture
def connection(app):
    return app.extensions["redis"]


@pytest.fixture
def queues(connection):
    queues = [Queue(name, connection=connection) for name in ("high", "default", "low")]
    yield queues
    for queue in queues:
        queue.empty()


def run_burst(worker):
    """`worker.work(burst=True)` in this process, its signal handlers put back after."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        return worker.work(burst=True)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


PREPARE = ["HSET", "EXPIRE", "ZADD", "EXPIRE", "ZADD", "HSET",  # execution record, started registry, busy
           "HSET", "HSET", "EXPIRE", "HSET", "HSET", "HSET", "PERSIST"]  # current job, beats, started, PERSIST
SUCCESS = ["HSET", "HINCRBY", "HINCRBYFLOAT", "HSET", "HSET", "XADD", "EXPIRE", "ZADD", "EXPIRE", "EXPIRE", "EXPIRE",
           "HDEL", "DEL", "ZREM", "ZREM", "EXISTS"]  # last beat, counters, result, finished registry, dependents?


def is_beat(trip):
    """The worker's own heartbeat (at most one a second), whenever it falls."""
    return trip in (["EXPIRE", "HSET"], "EXPIRE", "HSET")


def test_a_job_costs_three_round_trips_and_rq_records_it_as_before(connection, queues):
    high, default, _low = queues
    jobs = [default.enqueue(add, n, 1) for n in range(5)] + [high.enqueue(add, 100, 1)]
    worker = PamojaWorker(queues, connection=connection)
    trips = RedisRoundTrips(connection)

    with trips.recording() as log:
        run_burst(worker)

    trips_of_jobs = [trip for trip in log if not is_beat(trip)]
    per_job = trips_of_jobs[trips_of_jobs.index("EVALSHA"):]  # after the worker's birth and start
    assert per_job[:3] == ["EVALSHA", PREPARE, SUCCESS]  # RQ's: 10 round trips for these commands
    assert per_job[3:18] == per_job[:3] * 5
    for job in jobs:
        job.refresh()
        assert job.get_status() == "finished"
        assert job.return_value() == job.args[0] + 1
    order = sorted(jobs, key=lambda job: job.started_at)
    assert order[0].id == jobs[-1].id  # "high" first, as RQ orders the queues
    for queue in queues:
        assert queue.started_job_registry.get_job_ids() == []
        assert queue.count == 0
    assert sorted(default.finished_job_registry.get_job_ids()) == sorted(job.id for job in jobs[:5])
    worker.refresh()
    assert worker.successful_job_count == 6
    assert worker.get_current_job_id() is None


def test_a_failing_job_is_retried_then_lands_in_the_failed_registry(connection, queues):
    _high, default, _low = queues
    job = default.enqueue(always_fails, retry=Retry(max=1))
    worker = PamojaWorker(queues, connection=connection)

    run_burst(worker)

    job.refresh()
    worker.refresh()
    assert job.get_status() == "failed"
    assert "this job always fails" in job.latest_result().exc_string
    assert default.failed_job_registry.get_job_ids() == [job.id]
    assert default.started_job_registry.get_job_ids() == []
    assert worker.failed_job_count == 2  # the first attempt, then the retry


def test_a_suspended_worker_takes_no_job_until_resumed(connection, queues):
    _high, default, _low = queues
    job = default.enqueue(add, 1, 2)
    suspend(connection)
    try:
        run_burst(PamojaWorker(queues, connection=connection))  # burst and suspended: stops at once, as RQ's
        assert job.get_status(refresh=True) == "queued"
    finally:
        resume(connection)

    run_burst(PamojaWorker(queues, connection=connection))

    assert job.get_status(refresh=True) == "finished"


def test_a_dependent_job_runs_once_its_parent_finished(connection, queues):
    _high, default, _low = queues
    parent = default.enqueue(add, 1, 2)
    child = default.enqueue(add, 3, 4, depends_on=parent)
    assert child.get_status() == "deferred"

    run_burst(PamojaWorker(queues, connection=connection))

    assert parent.get_status(refresh=True) == "finished"
    assert child.get_status(refresh=True) == "finished"
    assert child.return_value() == 7


def test_a_job_that_succeeded_is_logged_once_when_it_starts_and_once_when_done(connection, queues, caplog):
    _high, default, _low = queues
    job = default.enqueue(add, 2, 2)

    with caplog.at_level("INFO", logger="rq.worker"):
        run_burst(PamojaWorker(queues, connection=connection))

    about_the_job = [record.getMessage() for record in caplog.records
                     if record.levelname == "INFO" and job.id in record.getMessage()]
    assert len(about_the_job) == 2, about_the_job
    assert about_the_job[0] == f"default: {job.id}"
    assert "Job OK" in about_the_job[1]


def test_redis_lost_between_jobs_is_waited_out_as_rq_does_not_fatal(connection, queues):
    """The step between jobs is one script: a connection error there falls back to RQ's own dequeue (which
    retries with backoff) instead of ending the worker with 'unhandled exception, quitting'."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    _high, default, _low = queues
    job = default.enqueue(add, 1, 1)
    worker = PamojaWorker(queues, connection=connection)
    script, calls = worker._next_job, []

    def lost_once(*args, **kwargs):  # the connection drops once, as a Redis restart does
        calls.append(1)
        if len(calls) == 1:
            raise RedisConnectionError("Connection closed by server.")
        return script(*args, **kwargs)

    worker._next_job = lost_once
    run_burst(worker)
    job.refresh()
    assert job.get_status() == "finished" and job.return_value() == 2
