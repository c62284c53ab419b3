"""`flask simulate sms` and `flask simulate whatsapp`: try both channels without provider accounts."""

from app.members.identity import DEVELOPMENT_KEYS, DEVELOPMENT_LOOKUP_KEY
from tests.sms_helpers import register


def test_simulate_sms_prints_the_reply_with_its_parts(app, services):
    register(services, phone="+254712345678")
    result = app.test_cli_runner().invoke(args=["simulate", "sms", "--phone", "+254712345678", "--wait", "1"],
                                          input="HELP\nBAL\n")
    assert result.exit_code == 0, result.output
    assert "<< Pamoja SMS: BAL, MINI" in result.output
    assert "<< Your savings balance is KES 0." in result.output
    assert "(1 part(s), GSM-7, accepted)" in result.output


def test_simulate_whatsapp_signs_like_twilio_and_prints_the_answer(app, services, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "")
    monkeypatch.setitem(app.config, "APP_ENV", "production")  # the signature check stays on
    monkeypatch.setitem(app.config, "ID_ENCRYPTION_KEYS", DEVELOPMENT_KEYS)  # production names its own ID keys
    monkeypatch.setitem(app.config, "ID_LOOKUP_KEY", DEVELOPMENT_LOOKUP_KEY)
    register(services, phone="+254712345678")
    result = app.test_cli_runner().invoke(args=["simulate", "whatsapp", "--phone", "+254712345678"],
                                          input="hi\n4821\n")
    assert result.exit_code == 0, result.output
    assert "Welcome to Pamoja. Enter your PIN:\n(Forgot PIN? Reply #)" in result.output
    assert "1. Savings" in result.output
