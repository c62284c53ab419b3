"""Issue 11 item 13: a PIN typed into WhatsApp is deleted from Twilio as soon as it is read.

The attack: every PIN a member ever typed into the chat stayed in Twilio's message
log (and in the chat). Each inbound message that answered a PIN screen must be
deleted through Twilio's REST API (DELETE .../Messages/{MessageSid}.json) by a job
carrying only the MessageSid; nothing else is deleted; the member is told once, in
their language, that they may delete it from their chat too. Twilio is faked at its
HTTP boundary in its documented shapes (204, and the error body for 404/429/5xx).
"""

import json
import re

import pytest
import responses
from rq import Queue
from rq.job import Job

from app.keys import whatsapp_delete_job_id
from app.notifications.tasks import delete_inbound_message
from channels.whatsapp_privacy import DELETE_NOTICE
from tests.log_helpers import logged_text
from tests.messaging_helpers import TWILIO_SID, run_jobs, twilio_error
from tests.money_helpers import fund_savings
from tests.sms_helpers import register
from tests.whatsapp_helpers import Chat

PHONE = "+254711000001"
FRIEND = "+254711000002"
PIN, NEW_PIN = "4821", "5930"
DELETE_URL = re.compile(rf"https://api\.twilio\.com/2010-04-01/Accounts/{TWILIO_SID}/Messages/(?P<sid>\w+)\.json")
NOTICE_EN = DELETE_NOTICE.render("en")
NOTICE_SW = DELETE_NOTICE.render("sw")
pytestmark = pytest.mark.usefixtures("twilio_token")


class Twilio:
    """The Twilio fake's message log: DELETE answers 204 (or what `answer` says) and is recorded."""

    def __init__(self, fake):
        self.deleted, self.answers = [], {}
        fake.add_callback(responses.DELETE, DELETE_URL, callback=self._delete)

    def _delete(self, request):
        sid = DELETE_URL.match(request.url).group("sid")
        self.deleted.append(sid)
        status, body = self.answers.get(sid, (204, None))
        return status, {"Content-Type": "application/json"}, json.dumps(body) if body else ""


@pytest.fixture
def twilio(providers):
    return Twilio(providers)


class RecordingChat(Chat):
    """A chat that remembers the MessageSid of every message, by its role in the conversation."""

    def __init__(self, client, phone):
        super().__init__(client, phone)
        self.sids = []

    def say(self, body):
        sid = f"SM{len(self.sids) + 1:032x}{self.phone[-4:]}"
        self.sids.append((sid, body))
        return self.send(body, sid=sid)

    def sids_of(self, *bodies_at):
        return [self.sids[index][0] for index in bodies_at]


@pytest.fixture
def chat(client):
    return RecordingChat(client, PHONE)


def test_every_pin_answer_is_deleted_and_nothing_else(app, chat, services, twilio, pamoja_log):
    member = register(services)
    register(services, phone=FRIEND, name="Baraka Otieno")
    fund_savings(services, member, 500_000)
    services.session.commit()
    conversation = [  # (message, answers a PIN screen, what the reply starts with)
        ("hi", False, "Welcome to Pamoja"),
        (PIN, True, "Pamoja\n1. Savings"),  # login
        ("3", False, "Payments"),  # menu choices
        ("1", False, "Amount to send"),
        ("500", False, "Recipient phone number"),  # an amount
        (FRIEND, False, "Send money\nTo: Baraka O."),  # a phone number: the one confirmation
        ("1", False, "Enter your PIN to confirm"),
        (PIN, True, "Sent KES"),  # confirm with PIN
        ("hi", False, "Welcome to Pamoja"),
        (PIN, True, "Pamoja"),
        ("5", False, "My account"),
        ("2", False, "Enter your current PIN"),  # Change PIN
        (PIN, True, "Enter a new 4-digit PIN"),
        (NEW_PIN, True, "Enter the new PIN again"),  # new PIN
        (NEW_PIN, True, "Your PIN has been changed."),  # new PIN again
    ]
    for body, _is_pin, expected in conversation:
        reply = chat.say(body)
        assert reply.startswith(expected), (body, reply)
        assert PIN not in reply and NEW_PIN not in reply  # never echoed
    run_jobs(app)
    pin_sids = [sid for (sid, _body), (_, is_pin, _) in zip(chat.sids, conversation, strict=True) if is_pin]
    assert sorted(twilio.deleted) == sorted(pin_sids) and len(pin_sids) == 6
    records = pamoja_log.records
    assert any("pin_message_delete" in record.getMessage() for record in records)
    logged = " ".join(logged_text(record) for record in records)
    assert PIN not in logged and NEW_PIN not in logged


def test_registration_pins_are_deleted_and_the_notice_is_in_kiswahili(app, chat, twilio):
    replies = [chat.say(body) for body in ("Hello", "2", "Amina Wanjiru", "12345678", PIN, PIN)]
    run_jobs(app)
    assert sorted(twilio.deleted) == sorted(chat.sids_of(4, 5))  # the name and the ID number stay
    assert replies[-1].endswith("\n\n" + NOTICE_SW)
    assert all(NOTICE_SW not in reply and NOTICE_EN not in reply for reply in replies[:-1])


def test_the_notice_is_given_once_per_member_remembered_across_sessions(app, chat, services, twilio):
    register(services)
    chat.say("hi")
    assert chat.say(PIN).endswith(NOTICE_EN)
    chat.say("6")  # Exit: the session ends
    chat.say("hi")
    assert NOTICE_EN not in chat.say(PIN)
    run_jobs(app)
    assert len(twilio.deleted) == 2  # every PIN is still deleted


def test_wrong_and_misshaped_pins_are_deleted_navigation_is_not(app, chat, services, twilio):
    register(services)
    chat.say("hi")
    assert chat.say("1111").startswith("Wrong PIN")
    assert chat.say("48 21").startswith("Enter 4 digits")  # a PIN typed with a space is still a PIN
    chat.say(PIN)
    chat.say("1")  # Savings
    chat.say("1")  # Balance: a PIN screen
    chat.say("0")  # back, from the PIN screen: navigation
    run_jobs(app)
    assert sorted(twilio.deleted) == sorted(chat.sids_of(1, 2, 3))


def test_a_pin_typed_after_the_session_expired_is_deleted(app, chat, services, twilio, redis):
    from app.keys import menu_session_key

    register(services)
    chat.say("hi")
    redis.delete(menu_session_key("whatsapp", PHONE))  # what the TTL does while the member looks for their PIN
    assert chat.say(PIN).startswith("Your session timed out")
    run_jobs(app)
    assert twilio.deleted == chat.sids_of(1)


def test_the_job_carries_the_message_sid_only_on_the_high_queue(app, chat, services, redis):
    register(services)
    chat.say("hi")
    chat.say(PIN)
    sid = chat.sids_of(1)[0]
    job = Job.fetch(whatsapp_delete_job_id(sid), connection=redis)
    assert job.origin == "high" and job.args == (sid,) and job.kwargs == {}
    assert job.retries_left and job.retries_left >= 3
    assert PIN not in json.dumps([job.args, job.kwargs, job.description])


@pytest.mark.parametrize(("status", "body", "retried"), [
    (404, twilio_error(20404, "The requested resource was not found", 404), False),
    (429, twilio_error(20429, "Too Many Requests", 429), True),
    (500, twilio_error(20500, "Internal Server Error", 500), True),
    (503, twilio_error(20503, "Service Unavailable", 503), True),
    (400, twilio_error(20009, "Cannot delete this resource before it is complete", 400), True),
    (401, twilio_error(20003, "Authenticate", 401), False),
])
def test_twilio_errors_retry_only_when_a_retry_can_help(app, chat, services, twilio, redis, status, body, retried):
    register(services)
    chat.say("hi")
    chat.say(PIN)
    sid = chat.sids_of(1)[0]
    twilio.answers[sid] = (status, body)
    run_jobs(app)
    job = Job.fetch(whatsapp_delete_job_id(sid), connection=redis)
    assert twilio.deleted == [sid]
    if retried:  # RQ holds it for another attempt after the backoff
        assert job.get_status() == "scheduled"
    else:  # 404: already gone; 401: refused for good, logged
        assert job.get_status() == "finished"


def test_a_refused_delete_is_logged_by_sid_without_the_pin(app, chat, services, twilio, pamoja_log):
    register(services)
    chat.say("hi")
    chat.say(PIN)
    sid = chat.sids_of(1)[0]
    twilio.answers[sid] = (403, twilio_error(20403, "Forbidden", 403))
    run_jobs(app)
    refused = [record for record in pamoja_log.records if "refused to delete" in record.getMessage()]
    assert refused and refused[0].sid == sid


def test_with_the_console_sender_the_delete_is_a_no_op(app, chat, services, redis):
    register(services)
    chat.say("hi")
    chat.say(PIN)
    with responses.RequestsMock() as fake:  # any HTTP request would fail the test
        run_jobs(app)
        assert not fake.calls
    assert delete_inbound_message(chat.sids_of(1)[0]) is None
    assert Queue("high", connection=redis).count == 0
