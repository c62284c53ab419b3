"""Attacks at the edge: forged USSD, secrets and servers at boot, floods, oversized bodies.

Each test replays the attack against the real app (PostgreSQL, Redis, the WSGI stack):
- a stranger posting /ussd without the callback token (the squatting of an agent-registered,
  PIN-less member: whoever dialled first chose the PIN and sent the money away);
- a right token from a source outside CALLBACK_ALLOWED_IPS, and the real source behind ProxyFix;
- production booting on missing, published or short secrets, or on embedded servers;
- floods per phone (USSD, SMS, WhatsApp) and token guessing per source address, while the
  payment callbacks are never limited;
- a 2 MB /ussd body and oversized fields.
"""

import base64

import pytest

from app import create_app
from app.config import DEFAULTS, ConfigError
from app.ratelimit import Limit
from tests.messaging_helpers import signed_post
from tests.sms_helpers import INBOUND_PATH
from tests.ussd_helpers import UssdPhone, ussd_path
from tests.whatsapp_helpers import inbound_form

VICTIM = "+254712000777"
STRANGER_IP = "198.51.100.23"
GATEWAY_IP = "203.0.113.10"
STRONG = "s" * 40


def ussd_form(phone=VICTIM, text="", session_id="ATUid_attack"):
    return {"sessionId": session_id, "serviceCode": "*384*1#", "phoneNumber": phone, "networkCode": "63902",
            "text": text}


def post_ussd(client, form, path="/ussd", ip="127.0.0.1"):
    return client.post(path, data=form, environ_base={"REMOTE_ADDR": ip})


def metric(client, line):
    return line in client.get("/metrics").get_data(as_text=True)


# --- /ussd speaks only to Africa's Talking --------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/ussd", "/ussd?token=", "/ussd?token=wrong", "/ussd?token=dev-callback-toke"])
def test_a_forged_ussd_hop_is_refused_and_nothing_happens(client, redis, services, path):
    response = post_ussd(client, ussd_form(), path)
    assert response.status_code == 403
    assert not redis.keys("pamoja:session:*")
    assert services.members.by_phone(VICTIM) is None
    assert metric(client, 'pamoja_callbacks_total{outcome="ussd_forbidden",provider="africastalking"}')


def test_a_stranger_cannot_set_the_pin_of_an_agent_registered_member(client, services, session):
    member = services.members.register(phone=VICTIM, name="Wanjiku Kamau", national_id="23456789", locale="en")
    session.flush()
    assert member.pin_hash is None
    # The attack as it worked: dial as the victim, choose a PIN twice, then try to send money.
    for text in ["", "1357", "1357*1357", "1357*1357*3", "1357*1357*3*1"]:
        assert post_ussd(client, ussd_form(text=text), ip=STRANGER_IP).status_code == 403
    session.refresh(member)
    assert member.pin_hash is None
    # The operator's own call (with the registered token) still reaches the member's first-PIN screen.
    assert post_ussd(client, ussd_form(), ussd_path(client)).get_data(as_text=True).startswith("CON ")


def test_an_unregistered_number_cannot_be_squatted(client, services):
    for text in ["", "1", "1*Mallory Impostor", "1*Mallory Impostor*99999999", "1*Mallory Impostor*99999999*1357",
                 "1*Mallory Impostor*99999999*1357*1357"]:
        assert post_ussd(client, ussd_form(text=text)).status_code == 403
    assert services.members.by_phone(VICTIM) is None


def test_the_end_of_session_callback_needs_the_token(client, redis):
    handset = UssdPhone(client)
    handset.dial()
    assert client.post("/ussd/events", data={"sessionId": handset.session_id}).status_code == 403
    assert redis.keys("pamoja:session:ussd:*")  # a stranger cannot end another phone's session


def test_a_source_outside_the_allowed_addresses_is_refused_with_the_right_token(app, client, monkeypatch):
    monkeypatch.setattr(app.extensions["settings"], "CALLBACK_ALLOWED_IPS", (GATEWAY_IP, "203.0.113.11"))
    assert post_ussd(client, ussd_form(), ussd_path(client), ip=STRANGER_IP).status_code == 403
    assert post_ussd(client, ussd_form(), ussd_path(client), ip=GATEWAY_IP).get_data(as_text=True).startswith("CON ")


@pytest.mark.parametrize(("proxies", "forwarded_for", "status"), [
    (1, GATEWAY_IP, 200),                      # the balancer says who called: the gateway
    (0, GATEWAY_IP, 403),                      # no proxy trusted: the header is anyone's to write
    (1, f"{GATEWAY_IP}, {STRANGER_IP}", 403),  # a forged first hop; the balancer appended the real caller
    (2, f"{GATEWAY_IP}, 10.0.0.1", 200),       # two balancers: the outer one saw the gateway
    (2, f"{STRANGER_IP}, 10.0.0.1", 403),
])
def test_behind_a_load_balancer_the_source_is_the_real_caller(app, proxies, forwarded_for, status):
    behind = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
                         "APP_ENV": "test", "TRUSTED_PROXIES": str(proxies), "CALLBACK_ALLOWED_IPS": GATEWAY_IP})
    client = behind.test_client()
    response = client.post(ussd_path(client, "/ussd/events"), data={"sessionId": "s"},
                           headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert response.status_code == status


# --- production refuses public secrets and embedded servers ------------------------------------------------------

def production(app, **overrides):
    config = {"APP_ENV": "production", "DATABASE_URL": app.config["DATABASE_URL"],
              "REDIS_URL": app.config["REDIS_URL"], "CALLBACK_TOKEN": "c" * 40, "PIN_PEPPER": "p" * 40,
              "SECRET_KEY": "k" * 40, "ID_ENCRYPTION_KEYS": "k1=" + base64.b64encode(b"i" * 32).decode(),
              "ID_LOOKUP_KEY": "l" * 40}
    config.update(overrides)
    return config


@pytest.mark.parametrize("name", ["CALLBACK_TOKEN", "PIN_PEPPER", "SECRET_KEY"])
@pytest.mark.parametrize(("value", "reason"), [("", "is not set"), (None, "is not set"),
                                               ("default", "is the published development default"),
                                               ("short-but-not-default", "is shorter than 32")])
def test_production_refuses_a_missing_default_or_short_secret(app, name, value, reason):
    value = DEFAULTS[name] if value == "default" else value
    with pytest.raises(ConfigError, match=f"{name} {reason}"):  # named, so the operator knows what to set
        create_app(production(app, **{name: value}))


def test_app_env_defaults_to_production(app, monkeypatch):
    monkeypatch.delenv("APP_ENV", raising=False)
    for name in ("CALLBACK_TOKEN", "PIN_PEPPER", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="APP_ENV=production.*CALLBACK_TOKEN is the published development default"):
        create_app({"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]})


@pytest.mark.parametrize("name", ["DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_embedded_servers(app, name):
    with pytest.raises(ConfigError, match=f"{name} is not set"):
        create_app(production(app, **{name: ""}))


def test_production_starts_with_its_own_long_secrets(app):
    started = create_app(production(app))
    assert started.config["APP_ENV"] == "production"


# --- rate limits --------------------------------------------------------------------------------------------------

@pytest.fixture
def tight(app, monkeypatch):
    """Three hops per phone and three failed checks per source, per minute."""
    monkeypatch.setitem(app.extensions["rate_limits"], "phone", Limit(3, 60))
    monkeypatch.setitem(app.extensions["rate_limits"], "source", Limit(3, 60))


@pytest.mark.usefixtures("tight")
@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "END Too many requests from your phone. Please wait a minute and dial again."),
    ("sw", "END Maombi mengi mno kutoka kwa simu yako. Tafadhali subiri dakika moja kisha upige tena."),
])
def test_ussd_per_phone_flood_gets_a_translated_end(app, client, monkeypatch, locale, expected):
    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", locale)
    handset = UssdPhone(client, phone=VICTIM)
    for _ in range(3):
        assert handset.dial().startswith("CON ")
    assert handset.dial() == expected
    assert UssdPhone(client, phone="+254712000778").dial().startswith("CON ")  # other phones are not affected
    assert metric(client, 'pamoja_rate_limited_total{channel="ussd",scope="phone"}')


@pytest.mark.usefixtures("tight")
def test_forged_requests_do_not_use_up_a_members_allowance(client):
    for _ in range(10):
        post_ussd(client, ussd_form(), ip=STRANGER_IP)
    assert UssdPhone(client, phone=VICTIM).dial().startswith("CON ")


@pytest.mark.usefixtures("tight")
def test_sms_per_phone_flood_gets_429(app, client):
    queue = app.extensions["queues"]["high"]
    statuses = [client.post(INBOUND_PATH, data={"from": VICTIM, "to": "20880", "text": "BAL", "id": f"m{n}"})
                .status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert queue.count == 3


@pytest.mark.usefixtures("tight", "twilio_token")
def test_whatsapp_per_phone_flood_gets_429(client):
    statuses = [signed_post(client, "/whatsapp/inbound", inbound_form(VICTIM, "hi")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


@pytest.mark.usefixtures("tight")
def test_token_guessing_from_one_address_is_throttled_even_for_a_right_guess(client):
    statuses = [post_ussd(client, ussd_form(), f"/ussd?token=guess{n}", ip=STRANGER_IP).status_code for n in range(5)]
    assert statuses == [403, 403, 403, 429, 429]
    right = post_ussd(client, ussd_form(), ussd_path(client), ip=STRANGER_IP)
    assert right.get_data(as_text=True).startswith("END Too many requests")  # no oracle for the right token
    sms = client.post("/sms/inbound?token=guess", data={}, environ_base={"REMOTE_ADDR": STRANGER_IP})
    assert sms.status_code == 429
    other = post_ussd(client, ussd_form(), ussd_path(client), ip="198.51.100.99")  # another address is not affected
    assert other.get_data(as_text=True).startswith("CON ")
    assert metric(client, 'pamoja_rate_limited_total{channel="ussd",scope="source"}')


@pytest.mark.usefixtures("tight", "twilio_token")
def test_signature_guessing_on_whatsapp_is_throttled(client):
    statuses = [client.post("/whatsapp/inbound", data=inbound_form(VICTIM, "hi"),
                            headers={"X-Twilio-Signature": f"guess{n}"},
                            environ_base={"REMOTE_ADDR": STRANGER_IP}).status_code for n in range(5)]
    assert statuses == [403, 403, 403, 429, 429]


@pytest.mark.usefixtures("tight")
def test_an_operators_listed_gateway_is_never_locked_out(app, client, monkeypatch):
    monkeypatch.setattr(app.extensions["settings"], "CALLBACK_ALLOWED_IPS", (GATEWAY_IP,))
    for n in range(6):  # e.g. one URL registered with a stale token
        assert client.post(f"/sms/delivery?token=stale{n}", data={},
                           environ_base={"REMOTE_ADDR": GATEWAY_IP}).status_code == 403
    assert post_ussd(client, ussd_form(), ussd_path(client), ip=GATEWAY_IP).get_data(as_text=True).startswith("CON ")


@pytest.mark.usefixtures("tight")
def test_payment_callbacks_are_never_rate_limited(app, client):
    for n in range(5):  # the source is now over its limit for everything else
        post_ussd(client, ussd_form(), f"/ussd?token=guess{n}", ip=GATEWAY_IP)
    token = app.config["CALLBACK_TOKEN"]
    for _ in range(10):
        assert client.post("/payments/sandbox/callback?token=wrong", json={"status": "succeeded"},
                           environ_base={"REMOTE_ADDR": GATEWAY_IP}).status_code == 403
    for n in range(10):
        response = client.post(f"/payments/sandbox/callback?token={token}", environ_base={"REMOTE_ADDR": GATEWAY_IP},
                               json={"reference": f"unknown-{n}", "status": "succeeded", "amount": 100})
        assert response.status_code == 200, response.get_data(as_text=True)


# --- request size -------------------------------------------------------------------------------------------------

def test_a_2mb_ussd_body_is_never_processed(client, redis):
    form = ussd_form(text="1*" + "9" * 2 * 1024 * 1024)
    response = post_ussd(client, form, ussd_path(client))
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "END Sorry, we could not read your request. Please dial again."
    assert not redis.keys("pamoja:session:*")


@pytest.mark.parametrize(("field", "size"), [("text", 2001), ("sessionId", 101), ("phoneNumber", 33),
                                             ("serviceCode", 33)])
def test_an_oversized_ussd_field_is_never_processed(client, redis, field, size):
    form = ussd_form()
    form[field] = ("+2547" if field == "phoneNumber" else "") + "1" * size
    response = post_ussd(client, form, ussd_path(client))
    assert response.get_data(as_text=True) == "END Sorry, we could not read your request. Please dial again."
    assert not redis.keys("pamoja:session:*")


@pytest.mark.parametrize("path", ["/sms/inbound?token=dev-callback-token",
                                  "/payments/sandbox/callback?token=dev-callback-token"])
def test_other_routes_answer_413_to_a_2mb_body(client, path):
    response = client.post(path, data={"text": "x" * 2 * 1024 * 1024, "from": VICTIM, "id": "big"})
    assert response.status_code == 413
