"""The send job's claim and answer, one statement each: the same marks, statuses and history as before."""

import json
import uuid
from contextlib import contextmanager

import psycopg
import pytest
import responses
from sqlalchemy import select

from app.extensions import db
from app.notifications import messages as m
from app.notifications.messages import OutboundMessage
from app.notifications.outbox import send_sms_batch_job, send_sms_job
from app.notifications.send_marks import claim_fresh
from app.services import build_services
from channels.senders import build_senders
from tests.messaging_helpers import AT_URL, at_answer_for
from tests.round_trip_helpers import RoundTrips, words


def fresh_phone():
    return f"+2547{uuid.uuid4().int % 10**8:08d}"


def test_claim_marks_only_queued_unmarked_messages(services, session):
    queued = services.outbox.send_sms(fresh_phone(), "one", kind="sms_reply")
    marked = services.outbox.send_sms(fresh_phone(), "two", kind="sms_reply")
    sent = services.outbox.send_sms(fresh_phone(), "three", kind="sms_reply")
    marked.sending_since = services.clock.now()
    sent.status = m.ACCEPTED
    session.flush()
    now = services.clock.now()
    claimed = claim_fresh(session, [queued.id, marked.id, sent.id], now)
    assert claimed == [(queued.id, queued.recipient, "one")]
    session.expire_all()
    assert (queued.attempts, queued.sending_since) == (1, now)
    assert (marked.attempts, sent.attempts, sent.sending_since) == (0, 0, None)


def test_an_answer_never_moves_a_status_back(app, providers, services, session):
    """The sweep gave up on the message while its send was out: it stays failed, the answer is in its history."""
    message = services.outbox.send_sms(fresh_phone(), "late answer", kind="sms_reply")
    session.commit()
    original = services.outbox._send_sms_request

    def sweep_gives_up_meanwhile(sender, text, batch):
        session.execute(OutboundMessage.__table__.update().where(OutboundMessage.id == message.id).values(
            status=m.FAILED, status_reason="gave up after 5 attempts"))
        return original(sender, text, batch)

    services.outbox._send_sms_request = sweep_gives_up_meanwhile
    services.outbox.deliver_sms([message.id], checkpoint=session.commit)
    session.expire_all()
    assert (message.status, message.status_reason) == (m.FAILED, "gave up after 5 attempts")
    assert message.provider_id.startswith("ATXid_") and message.sending_since is None
    assert [entry["status"] for entry in message.status_history] == [m.ACCEPTED]


def test_answers_for_a_batch_are_stored_per_message(app, providers, services, session):
    phones = [fresh_phone() for _ in range(3)]
    messages = services.outbox.send_sms_many(phones, "Reminder: pay on Friday.", kind="repayment_due")
    session.commit()
    services.outbox.deliver_sms([message.id for message in messages], checkpoint=session.commit)
    session.expire_all()
    assert len({message.provider_id for message in messages}) == 3
    for message in messages:
        assert message.status == m.ACCEPTED and message.sending_since is None and message.attempts == 1
        assert (message.cost_currency, str(message.cost_amount), message.segments) == ("KES", "0.8000", 1)
        assert [(entry["status"], entry["source"], entry["provider"]) for entry in message.status_history] == [
            (m.ACCEPTED, "send", "Success")]


class Pipelines:
    """The statements sent in each psycopg pipeline (one round trip each), by first word."""

    def __init__(self, monkeypatch):
        self.log, self.current = [], None
        pipeline, execute = psycopg.Connection.pipeline, psycopg.Connection.execute

        @contextmanager
        def recording_pipeline(connection):
            self.current = []
            self.log.append(self.current)
            try:
                with pipeline(connection) as opened:
                    yield opened
            finally:
                self.current = None

        def recording_execute(connection, query, *args, **kwargs):
            if self.current is not None:
                self.current.append(words([query])[0])
            return execute(connection, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Connection, "pipeline", recording_pipeline)
        monkeypatch.setattr(psycopg.Connection, "execute", recording_execute)


@pytest.mark.committed
@pytest.mark.parametrize("batch", [1, 3])
def test_a_send_job_is_two_round_trips(app, monkeypatch, batch):
    """Claim (committed by itself), then answer and the look for early reports together; no BEGIN or COMMIT.

    Before: BEGIN, SELECT ... FOR UPDATE, UPDATE, COMMIT, then BEGIN, SELECT ... FOR UPDATE, the advisory
    lock, the early reports, UPDATE, COMMIT; then the claim, the answer and the look one round trip each.
    """
    monkeypatch.setitem(app.extensions, "senders", build_senders({"AT_USERNAME": "pamoja", "AT_API_KEY": "k"}))
    services = build_services(app, db.session)
    phones = [fresh_phone() for _ in range(batch)]
    if batch == 1:
        ids = [services.outbox.send_sms(phones[0], "Your balance is KES 0.", kind="sms_reply").id]
    else:
        ids = [message.id for message in services.outbox.send_sms_many(phones, "Hello all.", kind="repayment_due")]
    db.session.info.pop("pending_jobs", None)
    db.session.commit()
    db.session.remove()
    trips, pipelines = RoundTrips(db.engine), Pipelines(monkeypatch)
    with responses.RequestsMock() as fake, trips.recording() as log:
        fake.add_callback(responses.POST, AT_URL, callback=at_answer_for)
        if batch == 1:
            send_sms_job(ids[0])
        else:
            send_sms_batch_job(ids)
        sent = [json.dumps(call.request.body) for call in fake.calls]
    assert len(sent) == 1
    assert words(log) == ["UPDATE"]
    assert pipelines.log == [["WITH", "SELECT"]]  # one round trip, one implicit transaction
    db.session.remove()
    statuses = db.session.scalars(select(OutboundMessage.status).where(OutboundMessage.id.in_(ids))).all()
    assert statuses == [m.ACCEPTED] * batch


@pytest.mark.committed
def test_a_send_job_whose_writes_committed_themselves_runs_no_session_commit(app, monkeypatch):
    """Its claim and answer each committed by themselves: the checkpoints and the job's end have nothing to
    commit, and SQLAlchemy's commit of the transaction PostgreSQL never saw was about 70 us each, three a job."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    monkeypatch.setitem(app.extensions, "senders", build_senders({"AT_USERNAME": "pamoja", "AT_API_KEY": "k"}))
    services = build_services(app, db.session)
    message_id = services.outbox.send_sms(fresh_phone(), "Your balance is KES 0.", kind="sms_reply").id
    db.session.info.pop("pending_jobs", None)
    db.session.commit()
    db.session.remove()
    commits = []
    listener = lambda session: commits.append(session)  # noqa: E731
    event.listen(Session, "after_commit", listener)
    try:
        with responses.RequestsMock() as fake:
            fake.add_callback(responses.POST, AT_URL, callback=at_answer_for)
            send_sms_job(message_id)
    finally:
        event.remove(Session, "after_commit", listener)
    assert commits == []
    db.session.remove()
    assert db.session.get(OutboundMessage, message_id).status == m.ACCEPTED
