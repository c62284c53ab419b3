"""The outbox: records, send jobs, delivery reports exactly once and in any order, the WhatsApp window."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses

from app.notifications import messages as m
from app.notifications.messages import MessageReport
from tests.messaging_helpers import (
    AT_URL,
    TWILIO_URL,
    run_jobs,
    sent_sms,
    twilio_error,
    twilio_message,
)

PHONE = "+254711000001"


@pytest.fixture
def member(services):
    return services.members.register(phone=PHONE, name="Amina Wanjiru", national_id="12345678", locale="en",
                                     pin="4821")


def send(services, text="Your balance is KES 1,500.", **options):
    options.setdefault("kind", "sms_reply")
    message = services.outbox.send_sms(PHONE, text, **options)
    services.session.commit()
    return message


def test_sms_is_recorded_then_sent_by_the_job(app, services, session, providers):
    message = send(services)
    assert message.status == m.QUEUED and message.segments == 1 and message.encoding == "GSM-7"
    run_jobs(app)
    session.refresh(message)
    assert sent_sms(providers) == [(PHONE, "Your balance is KES 1,500.")]
    assert message.status == m.ACCEPTED
    assert message.provider_id.startswith("ATXid_")
    assert (message.cost_currency, str(message.cost_amount)) == ("KES", "0.8000")
    assert [entry["status"] for entry in message.status_history] == [m.ACCEPTED]


def test_the_job_runs_once_even_if_enqueued_again(app, services, session, providers):
    from app.notifications.outbox import send_sms_job

    message = send(services)
    run_jobs(app)
    send_sms_job(message.id)
    assert len(sent_sms(providers)) == 1


def test_text_is_made_gsm7_and_segments_counted(services):
    message = send(services, text="\u201cSalio\u201d: KES\u00a01,500 \u2014 asante " + "x" * 150)
    assert message.text.startswith('"Salio": KES 1,500 - asante')
    assert (message.encoding, message.segments) == ("GSM-7", 2)
    emoji = send(services, text="Asante \U0001f600")
    assert (emoji.encoding, emoji.segments) == ("UCS-2", 1)


def test_batch_sends_one_request_for_the_same_text(app, services, session, providers):
    phones = ["+254711000001", "+254711000002", "+254711000003"]
    records = services.outbox.send_sms_many(phones, "Meeting on Friday", kind="group_notice")
    services.session.commit()
    run_jobs(app)
    assert sent_sms(providers) == [(",".join(phones), "Meeting on Friday")]
    for record in records:
        session.refresh(record)
        assert record.status == m.ACCEPTED


def test_transient_failure_retries_later(app, services, session, providers):
    providers.replace(responses.POST, AT_URL, body=requests.ConnectionError("down"))
    message = send(services)
    run_jobs(app)
    session.refresh(message)
    assert message.status == m.QUEUED and message.attempts == 1  # kept for RQ's retry


def test_stop_suppresses_reminders_but_never_replies(app, services, session, member, providers):
    member.sms_opted_out = True
    reminder = send(services, "Repayment due Friday", kind="repayment_due", member_id=member.id, urgent=False)
    reply = send(services, "Your balance is KES 0.", member_id=member.id, urgent=True)
    run_jobs(app)
    session.refresh(reply)
    assert reminder.status == m.SUPPRESSED
    assert reply.status == m.ACCEPTED
    texts = [text for _to, text in sent_sms(providers)]  # the member's welcome SMS may be among them
    assert "Your balance is KES 0." in texts and "Repayment due Friday" not in texts


def report(client, provider_id, status="Success", **extra):
    data = {"id": provider_id, "status": status, "phoneNumber": PHONE, "networkCode": "63902",
            "failureReason": "", "retryCount": "0", **extra}
    response = client.post("/sms/delivery?token=dev-callback-token", data=data)
    assert response.status_code == 200
    return response


def test_delivery_report_applied_once(app, client, services, session, providers):
    message = send(services)
    run_jobs(app)
    session.refresh(message)
    report(client, message.provider_id)
    report(client, message.provider_id)
    session.refresh(message)
    assert message.status == m.DELIVERED
    assert [entry["status"] for entry in message.status_history] == [m.ACCEPTED, m.DELIVERED]
    assert session.query(MessageReport).filter_by(provider_id=message.provider_id).count() == 1


def test_out_of_order_reports_never_go_backwards(app, client, services, session, providers):
    message = send(services)
    run_jobs(app)
    session.refresh(message)
    report(client, message.provider_id, "Success")
    report(client, message.provider_id, "Sent")
    session.refresh(message)
    assert message.status == m.DELIVERED
    assert len(message.status_history) == 3


def test_report_before_the_send_is_recorded_is_kept_and_applied(app, client, services, session):
    """The report overtakes the send job's commit: it waits, then applies when the id is stored."""
    early_id = "ATXid_early"

    def answer(request):
        report(client, early_id, "Failed", failureReason="AbsentSubscriber")  # arrives mid-send
        body = {"SMSMessageData": {"Message": "Sent to 1/1", "Recipients": [
            {"statusCode": 101, "number": PHONE, "status": "Success", "cost": "KES 0.8000", "messageId": early_id}]}}
        return 201, {"Content-Type": "application/json"}, __import__("json").dumps(body)

    from channels.senders import build_senders

    app.extensions["senders"], saved = build_senders({"AT_USERNAME": "pamoja", "AT_API_KEY": "k"}), \
        app.extensions["senders"]
    try:
        with responses.RequestsMock() as fake:
            fake.add_callback(responses.POST, AT_URL, callback=answer)
            message = send(services)
            run_jobs(app)
    finally:
        app.extensions["senders"] = saved
    session.refresh(message)
    assert message.status == m.FAILED and message.status_reason == "AbsentSubscriber"
    pending = session.query(MessageReport).filter_by(provider_id=early_id).one()
    assert pending.applied_at is not None


def test_report_for_an_unknown_message_waits(client, session):
    report(client, "ATXid_nobody")
    assert session.query(MessageReport).filter_by(provider_id="ATXid_nobody").one().applied_at is None


def test_malformed_and_unauthenticated_reports(client):
    assert client.post("/sms/delivery?token=dev-callback-token", data={}).status_code == 200
    assert client.post("/sms/delivery", data={"id": "x", "status": "Success"}).status_code == 403


# -- WhatsApp ------------------------------------------------------------------------------------


def test_whatsapp_inside_window_sends_free_text(app, services, session, member, providers):
    member.last_whatsapp_at = services.clock.now() - timedelta(hours=23)
    providers.add(responses.POST, TWILIO_URL, json=twilio_message(), status=201)
    message = services.outbox.send_whatsapp(PHONE, "Deposit received", kind="deposit_received")
    services.session.commit()
    run_jobs(app)
    session.refresh(message)
    assert message.channel == m.WHATSAPP and message.status == m.ACCEPTED and message.provider_id.startswith("SM")


def test_whatsapp_outside_window_uses_the_template_or_falls_back_to_sms(app, services, session, member,
                                                                        providers):
    member.last_whatsapp_at = services.clock.now() - timedelta(hours=25)
    templated = services.outbox.send_whatsapp(PHONE, "Deposit received", content_sid="HX123",
                                              content_variables={"1": "KES 500"}, kind="deposit_received")
    fallback = services.outbox.send_whatsapp(PHONE, "Repayment due", kind="repayment_due")
    assert templated.channel == m.WHATSAPP and templated.content_sid == "HX123" and templated.text is None
    assert fallback.channel == m.SMS and fallback.text == "Repayment due"


def test_whatsapp_63016_at_send_falls_back_to_sms(app, services, session, member, providers):
    member.last_whatsapp_at = datetime.now(UTC) - timedelta(hours=1)
    providers.add(responses.POST, TWILIO_URL, json=twilio_error(63016, "Outside the allowed window", 400),
                  status=400)
    message = services.outbox.send_whatsapp(PHONE, "Loan approved", kind="loan_approved")
    services.session.commit()
    run_jobs(app)
    session.refresh(message)
    assert message.status == m.FAILED and message.status_reason == "63016"
    assert (PHONE, "Loan approved") in sent_sms(providers)


def test_whatsapp_status_callback_63016_falls_back_once(app, client, services, session, member,
                                                        providers):
    from tests.messaging_helpers import signed_post

    app.config["TWILIO_AUTH_TOKEN"], saved = "test-twilio-token", app.config["TWILIO_AUTH_TOKEN"]
    try:
        member.last_whatsapp_at = datetime.now(UTC)
        providers.add(responses.POST, TWILIO_URL, json=twilio_message(sid="SM" + "7" * 32), status=201)
        message = services.outbox.send_whatsapp(PHONE, "Payout made", kind="group_payout")
        services.session.commit()
        run_jobs(app)
        status = {"MessageSid": "SM" + "7" * 32, "MessageStatus": "failed", "ErrorCode": "63016",
                  "AccountSid": "AC" + "0" * 32}
        assert signed_post(client, "/whatsapp/status", status).status_code == 200
        assert signed_post(client, "/whatsapp/status", status).status_code == 200
        run_jobs(app)
    finally:
        app.config["TWILIO_AUTH_TOKEN"] = saved
    session.refresh(message)
    assert message.status == m.FAILED
    assert [text for _to, text in sent_sms(providers)].count("Payout made") == 1
