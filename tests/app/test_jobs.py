"""app/jobs.enqueue_after_commit: jobs go to Redis when the transaction commits, in the order asked for;
many jobs of one queue go in a pipeline, still once per job id."""

from rq.job import Job

from app.extensions import db
from app.jobs import DEFAULT_RETRY, enqueue_after_commit


def noop(*_args):
    """Never run here: the tests only read what was queued."""


def queued(queue):
    return [job_id for job_id in queue.job_ids if job_id.startswith("t-jobs-")]


def test_a_released_savepoint_enqueues_nothing_the_commit_enqueues_in_order_reply_ahead(app):
    queue = app.extensions["queues"]["default"]
    session = db.session
    enqueue_after_commit(session, queue, noop, job_id="t-jobs-before")
    savepoint = session.begin_nested()  # as an SMS command runs (menus/sms_commands.SmsCommands._guarded)
    enqueue_after_commit(session, queue, noop, job_id="t-jobs-caused")  # a "paid out" notice
    savepoint.commit()
    assert queued(queue) == []  # SQLAlchemy calls the savepoint's release a commit: nothing is committed yet
    enqueue_after_commit(session, queue, noop, job_id="t-jobs-reply", ahead=True)
    session.commit()
    assert queued(queue) == ["t-jobs-reply", "t-jobs-before", "t-jobs-caused"]


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
