"""Airtel Money client against Airtel's documented payloads (HTTP faked by `responses`), the run's Redis db."""

import base64
import json

import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.keys import provider_token_key
from app.money import Money
from app.payments.providers.airtel import AirtelMoney
from app.payments.providers.base import (
    MalformedCallback,
    PaymentRequest,
    ProviderRejected,
    TokenUnavailable,
    TransientProviderError,
)

BASE = "https://airtel.test"
PAY_URL = f"{BASE}/merchant/v1/payments/"
DISBURSE_URL = f"{BASE}/standard/v1/disbursements/"
PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_DER = base64.b64encode(PRIVATE_KEY.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
CONFIG = {"AIRTEL_BASE_URL": BASE, "AIRTEL_CLIENT_ID": "cid", "AIRTEL_CLIENT_SECRET": "csecret",
          "AIRTEL_PUBLIC_KEY": PUBLIC_DER, "AIRTEL_DISBURSEMENT_PIN": "1234"}
PHONE = "+254733123456"


def status(response_code, *, success=True, result_code="ESB000010", message="SUCCESS"):
    return {"status": {"code": "200", "message": message, "result_code": result_code,
                       "response_code": response_code, "success": success}}


def transaction(status_word, *, airtel_money_id="CI210104.1234.A00001", tx_id="PMJ000000042"):
    return {"data": {"transaction": {"id": tx_id, "airtel_money_id": airtel_money_id, "message": "success",
                                     "status": status_word}}, **status("DP00800001001")}


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(f"{BASE}/auth/oauth2/token", json={"access_token": "tok", "expires_in": "180",
                                                     "token_type": "bearer"})
        yield mock


@pytest.fixture
def airtel(redis):
    return AirtelMoney(CONFIG, redis)


def collection(amount=Money(1500_00, "KES"), phone=PHONE):
    return PaymentRequest("PMJ000000042", "collection", amount, phone, "Deposit")


def payout(amount=Money(2000_00, "KES")):
    return PaymentRequest("PMJ000000043", "disbursement", amount, PHONE, "Loan Payout")


def calls_to(fake, url):
    return [call for call in fake.calls if call.request.url.startswith(url)]


def test_collection_sends_the_documented_push_and_caches_the_token(fake, airtel, redis):
    fake.post(PAY_URL, json={"data": {"transaction": {"id": "PMJ000000042", "status": "Success."}},
                             **status("DP00800001006")})

    ack = airtel.request_collection(collection())
    airtel.request_collection(collection())

    token_call = calls_to(fake, f"{BASE}/auth/oauth2/token")
    assert len(token_call) == 1
    assert json.loads(token_call[0].request.body) == {"client_id": "cid", "client_secret": "csecret",
                                                      "grant_type": "client_credentials"}
    sent = calls_to(fake, PAY_URL)[0].request
    assert (sent.headers["Authorization"], sent.headers["X-Country"], sent.headers["X-Currency"]) == (
        "Bearer tok", "KE", "KES")
    assert json.loads(sent.body) == {
        "reference": "Deposit", "subscriber": {"country": "KE", "currency": "KES", "msisdn": "733123456"},
        "transaction": {"amount": 1500, "country": "KE", "currency": "KES", "id": "PMJ000000042"}}
    assert ack.provider_ref == "PMJ000000042"
    assert 0 < redis.ttl(provider_token_key("airtel", "default")) <= 180


def test_a_duplicate_transaction_id_means_our_first_push_arrived(fake, airtel):
    fake.post(PAY_URL, json=status("DP00800001000", success=False, result_code="ESB000041",
                                   message="External Transaction ID already exists"))

    assert airtel.request_collection(collection()).provider_ref == "PMJ000000042"


@pytest.mark.parametrize(("code", "reason"), [
    ("DP00800001002", "wrong_pin"), ("DP00800001003", "limit_reached"), ("DP00800001004", "amount_too_small"),
    ("DP00800001007", "insufficient_funds"), ("DP00800001010", "payer_not_found"), ("DP00800001099", "rejected"),
])
def test_a_business_failure_is_an_http_200_with_a_response_code(fake, airtel, code, reason):
    fake.post(PAY_URL, json=status(code, success=False, result_code="ESB000001", message="Failed"))

    with pytest.raises(ProviderRejected) as refused:
        airtel.request_collection(collection())

    assert (refused.value.reason, refused.value.code) == (reason, code)


def test_cents_and_bad_numbers_are_refused_before_anything_is_sent(fake, airtel):
    with pytest.raises(ProviderRejected) as cents:
        airtel.request_collection(collection(Money(1500_50, "KES")))
    with pytest.raises(ProviderRejected) as phone:
        airtel.request_collection(collection(phone="+2547"))

    assert (cents.value.reason, phone.value.reason) == ("invalid_amount", "invalid_phone")
    assert not calls_to(fake, PAY_URL)


def test_5xx_and_network_errors_are_transient_and_a_token_failure_is_not_sent(fake, airtel, redis):
    fake.post(PAY_URL, status=503, body="")
    with pytest.raises(TransientProviderError):
        airtel.request_collection(collection())
    fake.replace(responses.POST, PAY_URL, body=requests.ConnectionError("reset"))
    with pytest.raises(TransientProviderError):
        airtel.request_collection(collection())
    redis.delete(provider_token_key("airtel", "default"))
    fake.replace(responses.POST, f"{BASE}/auth/oauth2/token", status=500, body="")
    with pytest.raises(TokenUnavailable):
        airtel.request_collection(collection())


@pytest.mark.parametrize(("word", "outcome", "reason", "receipt"), [
    ("TS", "succeeded", None, "CI210104.1234.A00001"), ("TF", "failed", "rejected", None),
    ("TE", "failed", "expired", None), ("TA", "pending", None, None), ("TIP", "pending", None, None),
])
def test_enquiry_status_is_the_truth(fake, airtel, word, outcome, reason, receipt):
    fake.get(f"{BASE}/standard/v1/payments/PMJ000000042", json=transaction(word))

    result = airtel.query_status(collection())

    assert (result.status, result.reason, result.receipt, result.provider_ref) == (
        outcome, reason, receipt, "PMJ000000042")
    sent = calls_to(fake, f"{BASE}/standard/v1/payments/PMJ000000042")[0].request
    assert (sent.headers["X-Country"], sent.headers["X-Currency"]) == ("KE", "KES")


def test_an_enquiry_about_an_id_airtel_never_got_is_not_found(fake, airtel):
    fake.get(f"{BASE}/standard/v1/payments/PMJ000000042",
             json=status("DP00800001025", success=False, result_code="ESB000008", message="Transaction not found"))

    result = airtel.query_status(collection())

    assert (result.status, result.reason) == ("failed", "not_found")


def test_disbursement_carries_the_pin_rsa_encrypted_with_airtels_public_key(fake, airtel):
    fake.post(DISBURSE_URL, json={"data": {"transaction": {"reference_id": "18****354", "airtel_money_id":
                                                           "product-partner-**41", "id": "PMJ000000043"}},
                                  **status("DP00900001006", result_code="ESB000010")})

    ack = airtel.send_disbursement(payout())

    body = json.loads(calls_to(fake, DISBURSE_URL)[0].request.body)
    pin = PRIVATE_KEY.decrypt(base64.b64decode(body.pop("pin")), padding.PKCS1v15())
    assert pin == b"1234"
    assert body == {"payee": {"msisdn": "733123456"}, "reference": "Loan Payout",
                    "transaction": {"amount": 2000, "id": "PMJ000000043"}}
    assert ack.provider_ref == "PMJ000000043"


def test_the_public_key_may_be_pem(fake, redis):
    pem = PRIVATE_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    client = AirtelMoney({**CONFIG, "AIRTEL_PUBLIC_KEY": pem}, redis)

    assert PRIVATE_KEY.decrypt(base64.b64decode(client.encrypted_pin()), padding.PKCS1v15()) == b"1234"


@pytest.mark.parametrize(("code", "outcome"), [("DP00900001011", "ack"), ("DP00900001014", "ack"),
                                               ("DP00900001007", "insufficient_float")])
def test_disbursement_codes(fake, airtel, code, outcome):
    fake.post(DISBURSE_URL, json=status(code, success=code != "DP00900001007", message="x"))

    if outcome == "ack":
        assert airtel.send_disbursement(payout()).provider_ref == "PMJ000000043"
    else:
        with pytest.raises(ProviderRejected) as refused:
            airtel.send_disbursement(payout())
        assert refused.value.reason == outcome


def test_disbursement_enquiry(fake, airtel):
    fake.get(f"{BASE}/standard/v1/disbursements/PMJ000000043", json=transaction("TS", tx_id="PMJ000000043"))

    result = airtel.query_status(payout())

    assert (result.status, result.receipt) == ("succeeded", "CI210104.1234.A00001")


def test_refund_by_airtel_money_id(fake, airtel):
    fake.post(f"{BASE}/standard/v1/payments/refund",
              json={"data": {"transaction": {"airtel_money_id": "CI210104.1234.A00001", "status": "SUCCESS"}},
                    **status("DP00800001001")})

    result = airtel.refund(collection(), "CI210104.1234.A00001")

    sent = calls_to(fake, f"{BASE}/standard/v1/payments/refund")[0].request
    assert json.loads(sent.body) == {"transaction": {"airtel_money_id": "CI210104.1234.A00001"}}
    assert result.status == "succeeded"


def test_callback_is_read_as_a_hint_with_our_reference(airtel):
    result = airtel.parse_callback({"transaction": {"id": "PMJ000000042", "message": "Paid KES 1500",
                                                    "status_code": "TS", "airtel_money_id": "MP210603.1234.L06941"}})

    assert (result.status, result.provider_ref, result.receipt) == ("succeeded", "PMJ000000042",
                                                                     "MP210603.1234.L06941")
    assert airtel.callbacks_need_confirmation
    with pytest.raises(MalformedCallback):
        airtel.parse_callback({"transaction": {"status_code": "TS"}})
    with pytest.raises(MalformedCallback):
        airtel.parse_callback({"transaction": {"id": "PMJ1", "status_code": "OK"}})
