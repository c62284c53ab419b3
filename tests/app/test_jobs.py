"""app/jobs.enqueue_after_commit: jobs go to Redis when the transaction commits, in the order asked for."""

from app.extensions import db
from app.jobs import enqueue_after_commit


def noop():
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
