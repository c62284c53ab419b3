"""WhatsApp for members who prefer it: free text in the 24-hour window, the approved template outside it,
SMS when no template fits or Twilio still refuses."""

from datetime import date, timedelta
from urllib.parse import parse_qs

import pytest
import responses

from app.extensions import db
from app.money import Money
from app.services import build_services
from tests.app.notifications.notify_helpers import MORNING, member
from tests.messaging_helpers import (
    TWILIO_URL,
    run_jobs,
    sent_sms,
    twilio_error,
    twilio_message,
)

PHONE = "+254711000001"


@pytest.fixture
def timed(app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "WHATSAPP_TEMPLATES", "repayment_due:en=HX111,repayment_due:sw=HX222")
    return build_services(app, db.session, clock=clock)


def whatsapp_member(app, services, providers, last_seen):
    amina = member(services, PHONE, preferred_channel="whatsapp",
                   last_whatsapp_at=None if last_seen is None else MORNING - last_seen)
    services.session.commit()
    providers.add(responses.POST, TWILIO_URL, json=twilio_message(), status=201)
    run_jobs(app)  # the welcome message
    providers.calls.reset()
    return amina


def twilio_forms(fake):
    return [{key: values[0] for key, values in parse_qs(call.request.body).items()}
            for call in fake.calls if call.request.url.startswith(TWILIO_URL)]


def remind(services, amina):
    made = services.notify(amina, "repayment_due", "r:1", amount=Money(172548, "KES"), due_date=date(2026, 12, 4))
    services.session.commit()
    return made


def test_inside_the_window_free_text_goes_by_whatsapp(app, timed, providers):
    amina = whatsapp_member(app, timed, providers, timedelta(hours=2))
    made = remind(timed, amina)
    run_jobs(app)
    assert made.channel == "whatsapp"
    assert [form["Body"] for form in twilio_forms(providers)] == [made.text]
    assert sent_sms(providers) == []


def test_outside_the_window_the_approved_template_is_used(app, timed, providers):
    amina = whatsapp_member(app, timed, providers, timedelta(hours=30))
    made = remind(timed, amina)
    run_jobs(app)
    forms = twilio_forms(providers)
    assert [form["ContentSid"] for form in forms] == ["HX111"] and "Body" not in forms[0]
    assert forms[0]["ContentVariables"] == '{"1": "KES 1,725.48", "2": "4 Dec 2026"}'
    assert made.channel == "whatsapp" and sent_sms(providers) == []


def test_outside_the_window_without_a_template_falls_back_to_sms(app, timed, providers):
    amina = whatsapp_member(app, timed, providers, None)
    made = timed.notify(amina, "repayment_due_today", "r:2", amount=Money(172548, "KES"))
    timed.session.commit()
    run_jobs(app)
    assert made.channel == "sms" and twilio_forms(providers) == []
    assert sent_sms(providers) == [(PHONE, made.text)]


def test_twilio_refusing_free_text_sends_the_sms_instead(app, timed, providers):
    amina = whatsapp_member(app, timed, providers, timedelta(hours=23))
    providers.replace(responses.POST, TWILIO_URL, json=twilio_error(63016, "outside the window", 400), status=400)
    made = remind(timed, amina)
    run_jobs(app)
    run_jobs(app)
    assert len(twilio_forms(providers)) == 1
    assert sent_sms(providers) == [(PHONE, made.text)]


def test_the_24_hour_window_is_measured_from_the_members_last_message(app, timed, clock, providers):
    amina = whatsapp_member(app, timed, providers, timedelta(hours=23, minutes=59))
    clock.at = MORNING + timedelta(minutes=2)
    remind(timed, amina)
    run_jobs(app)
    assert [form.get("ContentSid") for form in twilio_forms(providers)] == ["HX111"]
