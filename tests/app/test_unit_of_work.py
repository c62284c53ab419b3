"""app/unit_of_work.py: one commit per callback or command; failures roll back, are logged and counted."""


import click
import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs import enqueue_after_commit, has_pending_jobs
from app.observability import ERRORS
from app.unit_of_work import callback_unit, command_unit


class Refused(Exception):
    pass


def marker_count():
    return db.session.execute(text("SELECT count(*) FROM unit_of_work_marker")).scalar()


@pytest.fixture
def marker_table(app):
    with app.app_context():
        db.session.execute(text("CREATE TABLE IF NOT EXISTS unit_of_work_marker (id serial PRIMARY KEY)"))
        db.session.execute(text("TRUNCATE unit_of_work_marker"))
        db.session.commit()
    yield
    with app.app_context():
        db.session.execute(text("DROP TABLE unit_of_work_marker"))
        db.session.commit()


def insert_marker(services):
    services.session.execute(text("INSERT INTO unit_of_work_marker DEFAULT VALUES"))


def test_a_callback_commits_once_when_its_body_ends(app, marker_table):
    with app.test_request_context():
        with callback_unit("test", "ok") as unit:
            insert_marker(unit.services)
        assert not unit.failed and unit.refused is None
        db.session.rollback()  # nothing left to roll back: it was committed
        assert marker_count() == 1


def commits_of(body, app):
    """How many commits (Session's after_commit events) a callback unit running `body(services)` makes."""
    commits = []

    def count(_session):
        commits.append(1)

    with app.test_request_context():
        event.listen(Session, "after_commit", count)
        try:
            with callback_unit("test", "ok") as unit:
                body(unit.services)
        finally:
            event.remove(Session, "after_commit", count)
        assert not unit.failed
    return len(commits)


def test_a_callback_that_began_nothing_commits_nothing(app, marker_table):
    assert commits_of(lambda services: None, app) == 0  # an empty commit only costs SQLAlchemy bookkeeping
    assert commits_of(insert_marker, app) == 1
    assert commits_of(lambda services: services.session.execute(text("SELECT 1")), app) == 1


def test_a_callback_owing_jobs_their_commit_commits_without_a_statement(app):
    def queue_only(services):
        enqueue_after_commit(services.session, services.queues["low"], len, "abc", job_id="uow-no-statement")
        assert has_pending_jobs(services.session)

    assert commits_of(queue_only, app) == 1
    assert app.extensions["queues"]["low"].fetch_job("uow-no-statement") is not None  # sent at that commit


def test_a_failing_callback_rolls_back_logs_and_counts(app, marker_table, pamoja_log):
    before = ERRORS.labels("test", "boom")._value.get()
    with app.test_request_context():
        with callback_unit("test", "boom", sid="SM1") as unit:
            insert_marker(unit.services)
            raise RuntimeError("bug")
        assert unit.failed
        assert marker_count() == 0
    assert ERRORS.labels("test", "boom")._value.get() == before + 1
    assert any(record.getMessage() == "test boom failed" and record.sid == "SM1" for record in pamoja_log.records)


def test_a_refusal_rolls_back_without_counting(app, marker_table):
    before = ERRORS.labels("test", "refused")._value.get()
    with app.test_request_context():
        with callback_unit("test", "refused", refusals=(Refused,)) as unit:
            insert_marker(unit.services)
            raise Refused()
        assert isinstance(unit.refused, Refused) and not unit.failed
        assert marker_count() == 0
    assert ERRORS.labels("test", "refused")._value.get() == before


def test_a_command_commits_once_and_a_failure_rolls_back(app, marker_table):
    @click.command("mark")
    @click.option("--fail", is_flag=True)
    @command_unit
    def mark(fail):
        db.session.execute(text("INSERT INTO unit_of_work_marker DEFAULT VALUES"))
        if fail:
            raise click.ClickException("refused")

    runner = app.test_cli_runner()
    assert runner.invoke(mark, []).exit_code == 0
    assert runner.invoke(mark, ["--fail"]).exit_code == 1
    with app.app_context():
        assert marker_count() == 1
