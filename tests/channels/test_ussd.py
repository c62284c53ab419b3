"""The USSD channel speaks Africa's Talking's format whatever it is sent."""

import pytest

from app import create_app
from tests.ussd_helpers import UssdPhone, register, ussd_path


def test_first_dial_offers_languages(client):
    body = UssdPhone(client).dial()
    assert body.startswith("CON ")
    assert "English" in body and "Kiswahili" in body


def test_registration_lands_on_main_menu_and_stores_e164(client, services):
    register(client, phone="0712 345 678")
    member = services.members.by_phone("+254712345678")
    assert member is not None and member.name == "Amina Wanjiru"
    assert member.pin_hash.startswith("pbkdf2_sha256$")  # the stored form, never the PIN (a substring test
    # flaked: the salt's or digest's hex may hold any four digits)


def test_every_reply_is_con_or_end_under_160(client):
    handset = UssdPhone(client)
    handset.dial()
    for value in ["", "**", "x" * 500, "😀", "9", "1", "A", "Amina 😀", "Amina"]:
        body = handset.send(value)
        assert len(body) - 4 <= 160


@pytest.mark.parametrize("form", [
    {},
    {"sessionId": "s", "phoneNumber": "not-a-phone", "text": ""},
    {"sessionId": "", "phoneNumber": "+254712345678", "text": ""},
    {"sessionId": "x" * 500, "phoneNumber": "+254712345678", "text": ""},
])
def test_malformed_requests_get_end(client, form):
    response = client.post(ussd_path(client), data=form)
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("END ")


def test_events_callback_forgets_session(client, redis):
    handset = UssdPhone(client)
    handset.dial()
    assert redis.keys("pamoja:session:ussd:*")
    response = client.post(ussd_path(client, "/ussd/events"),
                           data={"sessionId": handset.session_id, "status": "Success"})
    assert response.status_code == 200
    assert not redis.keys("pamoja:session:ussd:*")


@pytest.mark.committed
def test_redis_down_answers_end_unavailable(app):
    broken = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": "redis://127.0.0.1:1/0"})
    test_client = broken.test_client()
    body = test_client.post(ussd_path(test_client), data={"sessionId": "s1", "phoneNumber": "+254712345678",
                                                          "text": ""}).get_data(as_text=True)
    assert body == "END Service is temporarily unavailable. Please try again later."


@pytest.mark.committed
def test_postgres_down_answers_end_unavailable_and_readyz_names_it(app):
    broken = create_app({"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none",
                         "REDIS_URL": app.config["REDIS_URL"]})
    test_client = broken.test_client()
    body = test_client.post(ussd_path(test_client), data={"sessionId": "s2", "phoneNumber": "+254712345678",
                                                          "text": ""}).get_data(as_text=True)
    assert body.startswith("END ") and "unavailable" in body
    ready = test_client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["postgres"].startswith("error") and ready.json["redis"] == "ok"


def test_metrics_count_hops(client):
    UssdPhone(client).dial()
    text = client.get("/metrics").get_data(as_text=True)
    assert 'pamoja_hops_total{channel="ussd",outcome="ok"}' in text
    assert "pamoja_hop_seconds_bucket" in text
