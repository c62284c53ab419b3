"""Delivery reports racing the send job, on real separate connections (committed, not rolled back).

Both orders must end with the report applied: the report commits while the job is still
waiting for the provider (it is kept as pending, then applied by the job), or the job
holds the provider id's advisory lock when the report arrives (the report waits, then
finds the message).
"""

import json
import threading
import time
import uuid

import pytest
import responses

from app.extensions import db
from app.notifications import messages as m
from app.notifications.delivery_reports import DeliveryReports
from app.notifications.messages import OutboundMessage
from app.notifications.outbox import send_sms_job
from app.services import build_services
from channels.senders import build_senders
from tests.messaging_helpers import AT_URL

pytestmark = pytest.mark.committed


def at_answer(provider_id, phone):
    body = {"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: KES 0.8000", "Recipients": [
        {"statusCode": 101, "number": phone, "status": "Success", "cost": "KES 0.8000", "messageId": provider_id}]}}
    return 201, {"Content-Type": "application/json"}, json.dumps(body)


@pytest.fixture
def race(app, monkeypatch):
    monkeypatch.setitem(app.extensions, "senders", build_senders({"AT_USERNAME": "pamoja", "AT_API_KEY": "k"}))
    phone = f"+2547{uuid.uuid4().int % 10**8:08d}"
    services = build_services(app, db.session)
    message = services.outbox.send_sms(phone, "Your balance is KES 0.", kind="sms_reply")
    db.session.commit()
    return message.id, phone, f"ATXid_race_{uuid.uuid4().hex[:12]}"


def run_in_app(app, target):
    def run():
        with app.app_context():
            target()
            db.session.remove()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def post_report(app, provider_id):
    response = app.test_client().post("/sms/delivery?token=dev-callback-token",
                                      data={"id": provider_id, "status": "Success", "phoneNumber": "x"})
    assert response.status_code == 200


def final_status(message_id):
    db.session.expire_all()
    return db.session.get(OutboundMessage, message_id).status


def test_report_committed_while_the_job_waits_for_the_provider(app, race):
    message_id, phone, provider_id = race
    in_call, release = threading.Event(), threading.Event()

    def answer(request):
        in_call.set()
        release.wait(10)
        return at_answer(provider_id, phone)

    with responses.RequestsMock() as fake:
        fake.add_callback(responses.POST, AT_URL, callback=answer)
        job = run_in_app(app, lambda: send_sms_job(message_id))
        assert in_call.wait(10)
        post_report(app, provider_id)  # commits as pending: the id is not stored yet
        release.set()
        job.join(10)
    assert final_status(message_id) == m.DELIVERED


def test_the_job_storing_the_id_waits_for_a_report_holding_the_lock(app, race, monkeypatch):
    """The report took the provider id's lock first and is about to commit as pending: the job's store
    (one statement, app/notifications/send_marks.py) waits for it, then its look for waiting reports finds it."""
    message_id, phone, provider_id = race
    in_call, release = threading.Event(), threading.Event()
    holding, go = threading.Event(), threading.Event()
    original = DeliveryReports._report

    def report_holding_the_lock(self, *args, **kwargs):
        outcome = original(self, *args, **kwargs)
        holding.set()
        go.wait(10)  # the lock is held until the report's unit commits
        return outcome

    def answer(request):
        in_call.set()
        release.wait(10)
        return at_answer(provider_id, phone)

    monkeypatch.setattr(DeliveryReports, "_report", report_holding_the_lock)
    with responses.RequestsMock() as fake:
        fake.add_callback(responses.POST, AT_URL, callback=answer)
        job = run_in_app(app, lambda: send_sms_job(message_id))
        assert in_call.wait(10)
        report = run_in_app(app, lambda: post_report(app, provider_id))
        assert holding.wait(10)
        release.set()
        time.sleep(0.3)
        assert job.is_alive()  # blocked on the provider id's lock
        go.set()
        report.join(10)
        job.join(10)
    assert final_status(message_id) == m.DELIVERED


def test_report_arriving_after_the_job_stored_the_id_finds_the_message(app, race, monkeypatch):
    """Right after the job's store and its look for waiting reports (one round trip, app/notifications/
    send_marks.py) committed: the report finds the message and applies itself, once."""
    from app.notifications import outbox

    message_id, phone, provider_id = race
    original = outbox.store_answers

    def report_right_after(*args, **kwargs):
        waiting = original(*args, **kwargs)
        report = run_in_app(app, lambda: post_report(app, provider_id))
        report.join(10)
        return waiting

    monkeypatch.setattr(outbox, "store_answers", report_right_after)
    with responses.RequestsMock() as fake:
        fake.add_callback(responses.POST, AT_URL, callback=lambda request: at_answer(provider_id, phone))
        job = run_in_app(app, lambda: send_sms_job(message_id))
        job.join(10)
    assert final_status(message_id) == m.DELIVERED
    history = db.session.get(OutboundMessage, message_id).status_history
    assert [entry["source"] for entry in history] == ["send", "report"]
