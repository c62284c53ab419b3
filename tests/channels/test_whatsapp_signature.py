"""X-Twilio-Signature on every WhatsApp request, computed with Twilio's own RequestValidator algorithm."""

import pytest
from twilio.request_validator import RequestValidator

from app.settings import flag
from tests.messaging_helpers import TWILIO_TOKEN, signed_post
from tests.whatsapp_helpers import inbound_form, twiml_text

PHONE = "+254711000001"
pytestmark = pytest.mark.usefixtures("twilio_token")


@pytest.mark.parametrize("path", ["/whatsapp/inbound", "/whatsapp/status"])
def test_unsigned_requests_are_refused(client, path):
    assert client.post(path, data=inbound_form(PHONE, "hi")).status_code == 403


@pytest.mark.parametrize("path", ["/whatsapp/inbound", "/whatsapp/status"])
def test_a_wrong_signature_is_refused(client, path):
    assert signed_post(client, path, inbound_form(PHONE, "hi"), signature="bm90IGEgc2lnbmF0dXJl").status_code == 403


def test_signed_with_another_token_is_refused(client):
    assert signed_post(client, "/whatsapp/inbound", inbound_form(PHONE, "hi"), token="other").status_code == 403


def test_a_tampered_body_is_refused(client):
    form = inbound_form(PHONE, "hi")
    signature = RequestValidator(TWILIO_TOKEN).compute_signature("http://127.0.0.1:5000/whatsapp/inbound", form)
    form["Body"] = "SEND 0799000000 5000"
    assert signed_post(client, "/whatsapp/inbound", form, signature=signature).status_code == 403


def test_a_correct_signature_is_accepted(client):
    assert twiml_text(signed_post(client, "/whatsapp/inbound", inbound_form(PHONE, "hi"))).startswith("Karibu")


def test_behind_a_proxy_the_public_url_is_what_is_signed(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://pamoja.example.org/")
    form = inbound_form(PHONE, "hi")
    assert signed_post(client, "/whatsapp/inbound", form).status_code == 403  # signed for the internal URL
    accepted = signed_post(client, "/whatsapp/inbound", inbound_form(PHONE, "hi"), base="https://pamoja.example.org")
    assert accepted.status_code == 200


def test_the_query_string_is_part_of_the_signed_url(client):
    form = inbound_form(PHONE, "hi")
    url = "http://127.0.0.1:5000/whatsapp/inbound?source=sandbox"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    headers = {"X-Twilio-Signature": signature}
    assert client.post("/whatsapp/inbound?source=sandbox", data=form, headers=headers).status_code == 200
    assert client.post("/whatsapp/inbound?source=other", data=form, headers=headers).status_code == 403


@pytest.mark.parametrize("env, switch, expected", [
    ("development", "0", 200),  # the only way to switch the check off
    ("test", "false", 200),
    ("production", "0", 403),  # switched off in production: still checked
    ("development", "1", 403),
])
def test_the_check_is_switched_off_only_outside_production(app, client, monkeypatch, env, switch, expected):
    monkeypatch.setitem(app.config, "APP_ENV", env)
    monkeypatch.setattr(app.extensions["settings"], "TWILIO_VALIDATE_SIGNATURE", flag(switch))
    assert client.post("/whatsapp/inbound", data=inbound_form(PHONE, "hi")).status_code == expected


def test_without_an_auth_token_nothing_can_be_verified(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "")
    assert signed_post(client, "/whatsapp/inbound", inbound_form(PHONE, "hi"), token="").status_code == 403
