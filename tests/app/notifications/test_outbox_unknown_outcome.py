"""The outbox when a send's answer is lost: acceptance kept per request, re-sent only what must not be lost."""

from datetime import timedelta

import pytest
import requests
import responses

from app.notifications import messages as m
from app.notifications.outbox import (
    IN_FLIGHT,
    UNKNOWN_OUTCOME,
    TransientDeliveryError,
    send_sms_batch_job,
    send_sms_job,
)
from tests.messaging_helpers import AT_URL, at_answer_for, sent_sms

PHONES = ["+254711000101", "+254711000102", "+254711000103"]


def provider_times_out(fake):
    fake.remove(responses.POST, AT_URL)
    fake.add(responses.POST, AT_URL, body=requests.ReadTimeout("read timed out"))


def provider_answers(fake):
    fake.remove(responses.POST, AT_URL)
    fake.add_callback(responses.POST, AT_URL, callback=at_answer_for)


def test_a_reminder_batch_that_timed_out_is_failed_never_sent_twice(services, session, providers):
    batch = services.outbox.send_sms_many(PHONES, "Pamoja reminder: pay KES 500.", kind="repayment_due")
    session.commit()
    provider_times_out(providers)

    send_sms_batch_job([message.id for message in batch])  # nothing to retry: no exception

    provider_answers(providers)
    send_sms_batch_job([message.id for message in batch])
    for message in batch:
        session.refresh(message)
        assert (message.status, message.status_reason, message.attempts) == (m.FAILED, UNKNOWN_OUTCOME, 1)
    assert sent_sms(providers) == [(",".join(PHONES), "Pamoja reminder: pay KES 500.")]  # the timed-out one only


def test_a_money_confirmation_that_timed_out_is_sent_again(services, session, providers):
    message = services.outbox.send_sms(PHONES[0], "Pamoja: KES 500 received.", kind="deposit_received")
    session.commit()
    provider_times_out(providers)

    with pytest.raises(TransientDeliveryError):
        send_sms_job(message.id)

    session.refresh(message)
    assert (message.status, message.sending_since) == (m.QUEUED, None)
    provider_answers(providers)
    send_sms_job(message.id)
    session.refresh(message)
    assert (message.status, message.attempts) == (m.ACCEPTED, 2)


def test_a_send_left_marked_by_a_killed_worker_is_settled_by_its_kind(services, session, providers):
    reminder = services.outbox.send_sms(PHONES[0], "Pamoja reminder: pay KES 500.", kind="repayment_due",
                                        urgent=False)
    code = services.outbox.send_sms(PHONES[1], "Reply YES 4821 to send KES 500.", kind="sms_reply")
    long_ago = services.clock.now() - IN_FLIGHT - timedelta(seconds=1)
    reminder.sending_since = code.sending_since = long_ago  # marked, then the worker died before the answer
    reminder.attempts = code.attempts = 1
    session.commit()

    send_sms_job(reminder.id)
    send_sms_job(code.id)

    session.refresh(reminder)
    session.refresh(code)
    assert (reminder.status, reminder.status_reason) == (m.FAILED, UNKNOWN_OUTCOME)
    assert (code.status, code.attempts) == (m.ACCEPTED, 2)
    assert sent_sms(providers) == [(PHONES[1], "Reply YES 4821 to send KES 500.")]


def test_a_send_still_in_flight_elsewhere_is_left_alone(services, session, providers):
    message = services.outbox.send_sms(PHONES[0], "Pamoja: KES 500 received.", kind="deposit_received")
    message.sending_since = services.clock.now()
    session.commit()

    with pytest.raises(TransientDeliveryError):
        send_sms_job(message.id)

    session.refresh(message)
    assert message.status == m.QUEUED and sent_sms(providers) == []


def test_each_answer_is_committed_before_the_next_request(services, session, providers):
    first = services.outbox.send_sms(PHONES[0], "Pamoja: KES 500 received.", kind="deposit_received")
    second = services.outbox.send_sms(PHONES[1], "Pamoja: KES 700 received.", kind="deposit_received")
    session.commit()
    answers = iter([at_answer_for, lambda request: (500, {}, "gateway exploded")])
    providers.remove(responses.POST, AT_URL)
    providers.add_callback(responses.POST, AT_URL, callback=lambda request: next(answers)(request))

    with pytest.raises(TransientDeliveryError):
        send_sms_batch_job([first.id, second.id])

    session.refresh(first)
    session.refresh(second)
    assert first.status == m.ACCEPTED and first.sending_since is None
    assert second.status == m.QUEUED and second.sending_since is None


def test_a_whatsapp_send_left_marked_is_looked_up_at_twilio_not_sent_again(services, session, providers):
    from app.notifications.outbox import send_whatsapp_job
    from tests.member_helpers import make_member
    from tests.messaging_helpers import TWILIO_URL, twilio_message

    make_member(session, PHONES[0], "Amina Wanjiru", last_whatsapp_at=services.clock.now())
    message = services.outbox.send_whatsapp(PHONES[0], "Pamoja reminder: pay KES 500.", kind="repayment_due",
                                            urgent=False)
    message.sending_since = services.clock.now() - IN_FLIGHT - timedelta(seconds=1)
    session.commit()
    took = twilio_message(status="sent", body="Pamoja reminder: pay KES 500.")
    took["date_created"] = "Thu, 24 Jul 2099 10:00:00 +0000"
    providers.add(responses.GET, TWILIO_URL, json={"messages": [took], "next_page_uri": None, "page": 0,
                                                   "page_size": 20, "first_page_uri": "", "uri": ""})

    send_whatsapp_job(message.id)

    session.refresh(message)
    assert (message.status, message.provider_id) == (m.ACCEPTED, took["sid"])
    assert [call.request.method for call in providers.calls] == ["GET"]
