"""After-commit enqueues (app/jobs.py): many jobs of one queue go in a pipeline, still once per job id."""

from rq.job import Job

from app.jobs import DEFAULT_RETRY, enqueue_after_commit


def noop(*_args):
    """A job body for these tests (never run)."""


def test_many_jobs_of_a_queue_go_in_two_round_trips_and_once_per_id(app, session, redis):
    queue = app.extensions["queues"]["default"]
    queue.enqueue(noop, 0, job_id="batch-0")  # already queued: not enqueued again
    for n in range(3):
        enqueue_after_commit(session, queue, noop, n, job_id=f"batch-{n}")
    commands = []
    original = redis.pipeline

    def counted_pipeline(*args, **kwargs):
        commands.append("pipeline")
        return original(*args, **kwargs)

    redis.pipeline = counted_pipeline
    try:
        session.commit()
    finally:
        del redis.pipeline
    assert sorted(queue.job_ids) == ["batch-0", "batch-1", "batch-2"]
    job = Job.fetch("batch-2", connection=redis)
    assert job.args == (2,) and job.retries_left == DEFAULT_RETRY.max
    assert len(commands) <= 3  # fetch_many, enqueue_many (and its own pipeline): not one per job


def test_a_failed_job_may_be_enqueued_again_in_a_batch(app, session, redis):
    queue = app.extensions["queues"]["default"]
    failed = queue.enqueue(noop, 0, job_id="again-0")
    failed.set_status("failed")
    queue.remove(failed)
    for n in range(2):
        enqueue_after_commit(session, queue, noop, n, job_id=f"again-{n}")
    session.commit()
    assert sorted(queue.job_ids) == ["again-0", "again-1"]
