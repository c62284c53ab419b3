"""Asking Twilio whether a send whose answer was lost went out (channels/whatsapp_sender.find_sent)."""

from datetime import UTC, datetime

import pytest
import requests
import responses

from channels.send_result import UnknownOutcomeError
from channels.whatsapp_sender import TwilioWhatsAppSender
from tests.messaging_helpers import TWILIO_SID, TWILIO_URL, twilio_message

SINCE = datetime(2025, 7, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def whatsapp():
    return TwilioWhatsAppSender(TWILIO_SID, "token", "+14155238886")


def listing(*messages):
    return {"messages": list(messages), "first_page_uri": "", "next_page_uri": None, "page": 0, "page_size": 20,
            "previous_page_uri": None, "uri": ""}


@responses.activate
def test_a_message_twilio_took_is_found_by_its_text(whatsapp):
    took = twilio_message(status="sent", body="Pamoja: KES 500 received.")
    other = twilio_message(status="delivered", body="Something else")
    responses.get(TWILIO_URL, json=listing(other, took))

    found = whatsapp.find_sent("+254711000001", SINCE, text="Pamoja: KES 500 received.")

    assert found.ok and found.provider_id == took["sid"]
    assert "To=whatsapp%3A%2B254711000001" in responses.calls[0].request.url


@responses.activate
def test_nothing_found_and_templates_are_none(whatsapp):
    responses.get(TWILIO_URL, json=listing(twilio_message(body="Older text")))
    assert whatsapp.find_sent("+254711000001", SINCE, text="Pamoja: KES 500 received.") is None
    assert whatsapp.find_sent("+254711000001", SINCE, content_sid="HX1") is None


@responses.activate
def test_a_read_timeout_is_an_unknown_outcome(whatsapp):
    responses.post(TWILIO_URL, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(UnknownOutcomeError):
        whatsapp.send("+254711000001", text="Habari")
