"""The Procfile's worker runs jobs in its own process on one app, under their timeouts and heartbeats.

Issue 17: RQ's forking worker built the whole app in a new work horse for every job
(1.3-1.8 jobs/s). The worker now builds it once and runs jobs itself; what the fork gave
must hold: a job past its timeout is stopped and its half-used database connection is
not handed to the next job, and a long job keeps its heartbeat (issue 11's recovery
from a killed worker is tests/security/test_worker_crash.py).
"""

import os
import signal
import threading
import time

import pytest
from rq import Queue
from rq.job import Job

from app.worker import PamojaWorker
from tests.worker_helpers import (
    FakeAfricasTalking,
    Workers,
    ask_postgres,
    job_without_app,
    sleep_in_postgres,
    where_job_ran,
)


@pytest.fixture
def workers(app, tmp_path):
    fake = FakeAfricasTalking()
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
           "APP_ENV": "test", "PIN_PEPPER": app.config["PIN_PEPPER"]}
    pool = Workers(env, tmp_path, fake)
    yield pool
    pool.stop_all()
    fake.close()


@pytest.fixture
def queue(app):
    return app.extensions["queues"]["default"]


def finished(jobs, seconds, logs):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(job.get_status(refresh=True) in ("finished", "failed") for job in jobs):
            return
        time.sleep(0.1)
    raise AssertionError("jobs not done in time:\n" + logs())


def test_jobs_run_in_the_worker_process_on_the_app_it_built_once(queue, workers):
    worker = workers.start()
    jobs = [queue.enqueue(where_job_ran) for _ in range(3)]

    finished(jobs, 30, workers.logs)

    places = {job.return_value() for job in jobs}
    assert len(places) == 1
    assert places.pop()[0] == worker.pid  # no work horse forked per job


def test_a_job_past_its_timeout_fails_and_the_next_job_gets_a_working_connection(queue, workers):
    worker = workers.start()
    stuck = queue.enqueue(sleep_in_postgres, 3, job_timeout=1)
    after = queue.enqueue(ask_postgres)

    finished([stuck, after], 30, workers.logs)

    assert stuck.get_status() == "failed"
    assert "JobTimeoutException" in stuck.latest_result().exc_string
    assert after.get_status() == "finished"
    assert after.return_value() == 42
    assert worker.poll() is None  # the same worker goes on


def test_a_long_job_keeps_its_heartbeat_and_none_follows_it(app, queue):
    connection = queue.connection
    job = queue.enqueue(job_without_app, 2.5)
    beats, done = set(), threading.Event()

    def watch():
        while not done.is_set():
            beats.add(connection.hget(job.key, "last_heartbeat"))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    worker = PamojaWorker([Queue("default", connection=connection)], connection=connection,
                          job_monitoring_interval=1)
    try:
        worker.work(burst=True)
    finally:
        done.set()
        watcher.join()
        for number, handler in handlers.items():
            signal.signal(number, handler)

    assert Job.fetch(job.id, connection=connection).get_status() == "finished"
    assert len(beats - {None}) >= 3  # the start, then one a second while it ran
    assert queue.started_job_registry.get_job_ids() == []  # no beat after the job put it back


class BeatLog:
    """What the heartbeat thread asks of the worker, writing down each beat."""

    job_monitoring_interval = 0.5

    def __init__(self):
        self.beats = []

    def set_current_job_working_time(self, working):
        pass

    def maintain_heartbeats(self, job):
        self.beats.append((job.id, time.monotonic()))


def test_each_job_is_beaten_an_interval_after_its_own_start_and_never_after_it_ended():
    """The heartbeat thread is not woken at every job (app/worker.py): a job that follows a short one still
    gets its first beat one interval after its own start, a short job none, and an ended job none."""
    from types import SimpleNamespace

    from app.worker import JobHeartbeat

    worker = BeatLog()
    heartbeat = JobHeartbeat(worker)
    for number in range(20):  # short jobs, back to back
        heartbeat.watch(SimpleNamespace(id=f"short-{number}", timeout=None))
        time.sleep(0.01)
        heartbeat.forget()
    time.sleep(0.3)
    started = time.monotonic()
    heartbeat.watch(SimpleNamespace(id="long", timeout=None))
    time.sleep(1.25)
    heartbeat.forget()
    ended = time.monotonic()
    time.sleep(0.8)

    assert [job for job, _ in worker.beats] == ["long", "long"]
    first, second = (at - started for _, at in worker.beats)
    assert 0.5 <= first < 0.8
    assert 1.0 <= second < 1.25
    assert all(at < ended for _, at in worker.beats)
