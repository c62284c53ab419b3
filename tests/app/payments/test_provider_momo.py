"""MTN MoMo client against MoMo's documented payloads (HTTP faked by `responses`), the run's Redis db."""

import base64
import json
import uuid

import pytest
import requests
import responses

from app.keys import provider_token_key
from app.money import Money
from app.payments.providers.base import (
    MalformedCallback,
    PaymentRequest,
    ProviderRejected,
    TransientProviderError,
    UnreadableCallback,
)
from app.payments.providers.momo import MtnMomo, reference_uuid

BASE = "https://momo.test"
RTP_URL = f"{BASE}/collection/v1_0/requesttopay"
TRANSFER_URL = f"{BASE}/disbursement/v1_0/transfer"
CONFIG = {
    "MOMO_BASE_URL": BASE,
    "MOMO_TARGET_ENVIRONMENT": "sandbox",
    "MOMO_CURRENCY": "EUR",
    "MOMO_COLLECTION_SUBSCRIPTION_KEY": "col-sub",
    "MOMO_COLLECTION_USER": "col-user",
    "MOMO_COLLECTION_API_KEY": "col-key",
    "MOMO_DISBURSEMENT_SUBSCRIPTION_KEY": "dis-sub",
    "MOMO_DISBURSEMENT_USER": "dis-user",
    "MOMO_DISBURSEMENT_API_KEY": "dis-key",
    "PUBLIC_URL": "https://pamoja.test/",
    "CALLBACK_TOKEN": "s3cret",
}
REFERENCE = "deposit:42:ab-cd"
REF_ID = reference_uuid(REFERENCE)


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(f"{BASE}/collection/token/", json={"access_token": "col-tok", "token_type": "access_token",
                                                     "expires_in": 3600})
        mock.post(f"{BASE}/disbursement/token/", json={"access_token": "dis-tok", "token_type": "access_token",
                                                       "expires_in": 3600})
        yield mock


@pytest.fixture
def momo(redis):
    return MtnMomo(CONFIG, redis)


def calls_to(fake, url):
    return [c for c in fake.calls if c.request.url == url]


def collection(reference=REFERENCE, amount=Money(15_00, "EUR")):
    return PaymentRequest(reference, "collection", amount, "+46733123453", "Savings deposit")


def disbursement():
    return PaymentRequest("wd-9", "disbursement", Money(20_50, "EUR"), "+46733123454", "Loan payout")


def test_reference_id_is_a_deterministic_uuid4():
    assert reference_uuid(REFERENCE) == REF_ID
    assert uuid.UUID(REF_ID).version == 4 and uuid.UUID(REF_ID).variant == uuid.RFC_4122
    assert reference_uuid("deposit:42:ab-ce") != REF_ID


def test_requesttopay_202_sends_the_documented_request(fake, momo):
    fake.post(RTP_URL, status=202)

    ack = momo.request_collection(collection())

    token_call = calls_to(fake, f"{BASE}/collection/token/")[0].request
    assert token_call.headers["Authorization"] == "Basic " + base64.b64encode(b"col-user:col-key").decode()
    assert token_call.headers["Ocp-Apim-Subscription-Key"] == "col-sub"
    sent = calls_to(fake, RTP_URL)[0].request
    assert {name: sent.headers[name] for name in ("Authorization", "X-Reference-Id", "X-Target-Environment",
                                                  "X-Callback-Url", "Ocp-Apim-Subscription-Key")} == {
        "Authorization": "Bearer col-tok",
        "X-Reference-Id": REF_ID,
        "X-Target-Environment": "sandbox",
        "X-Callback-Url": "https://pamoja.test/payments/momo/callback?token=s3cret",
        "Ocp-Apim-Subscription-Key": "col-sub",
    }
    assert json.loads(sent.body) == {"amount": "15.00", "currency": "EUR", "externalId": REFERENCE,
                                     "payer": {"partyIdType": "MSISDN", "partyId": "46733123453"},
                                     "payerMessage": "Savings deposit", "payeeNote": "Savings deposit"}
    assert (ack.provider_ref, ack.status) == (REF_ID, "pending")


def test_a_retry_reuses_the_reference_id_and_409_acknowledges(fake, momo):
    fake.post(RTP_URL, status=202)
    fake.post(RTP_URL, status=409, json={"code": "RESOURCE_ALREADY_EXIST",
                                         "message": "Duplicated reference id. Creation of resource failed."})

    first = momo.request_collection(collection())
    second = momo.request_collection(collection())

    assert first.provider_ref == second.provider_ref == REF_ID
    assert [c.request.headers["X-Reference-Id"] for c in calls_to(fake, RTP_URL)] == [REF_ID, REF_ID]
    assert len(calls_to(fake, f"{BASE}/collection/token/")) == 1


@pytest.mark.parametrize("answer", [
    {"status": 500, "json": {"code": "INTERNAL_PROCESSING_ERROR", "message": "An internal error occurred."}},
    {"status": 503, "json": {"code": "SERVICE_UNAVAILABLE", "message": "Service unavailable."}},
    {"body": requests.exceptions.ReadTimeout("read timeout")},
    {"body": requests.exceptions.ConnectTimeout("connect timeout")},
])
def test_requesttopay_5xx_and_timeouts_are_transient(fake, momo, answer):
    fake.post(RTP_URL, **answer)
    with pytest.raises(TransientProviderError):
        momo.request_collection(collection())


@pytest.mark.parametrize("body, reason", [
    ({"code": "PAYER_NOT_FOUND", "message": "Payer not found"}, "payer_not_found"),
    ({"code": "INVALID_CALLBACK_URL_HOST", "message": "Callback URL with different host"}, "rejected"),
])
def test_requesttopay_4xx_is_a_rejection(fake, momo, body, reason):
    fake.post(RTP_URL, status=400, json=body)
    with pytest.raises(ProviderRejected) as raised:
        momo.request_collection(collection())
    assert (raised.value.reason, raised.value.code) == (reason, body["code"])


def test_a_currency_momo_is_not_configured_for_is_refused_before_any_call(fake, momo):
    with pytest.raises(ProviderRejected) as raised:
        momo.request_collection(collection(amount=Money(1500, "UGX")))
    assert raised.value.reason == "currency"
    assert not fake.calls


def test_expired_token_mid_flight_is_refreshed_once(fake, momo, redis):
    redis.set(provider_token_key("momo", "collection"), "stale")
    fake.post(RTP_URL, status=401, json={"statusCode": 401, "message": "Access denied due to invalid access token."})
    fake.post(RTP_URL, status=202)

    momo.request_collection(collection())

    assert [c.request.headers["Authorization"] for c in calls_to(fake, RTP_URL)] == ["Bearer stale", "Bearer col-tok"]
    assert len(calls_to(fake, f"{BASE}/collection/token/")) == 1


def status_body(status, reason=None, party="payer"):
    body = {"amount": "15", "currency": "EUR", "financialTransactionId": "363440463", "externalId": REFERENCE,
            party: {"partyIdType": "MSISDN", "partyId": "46733123453"}, "payerMessage": "Savings deposit",
            "payeeNote": "Savings deposit", "status": status}
    if reason:
        body["reason"] = reason
    return body


@pytest.mark.parametrize("status, reason, expected", [
    ("PENDING", None, ("pending", None)),
    ("SUCCESSFUL", None, ("succeeded", None)),
    ("FAILED", "PAYER_NOT_FOUND", ("failed", "payer_not_found")),
    ("FAILED", "NOT_ENOUGH_FUNDS", ("failed", "insufficient_funds")),
    ("FAILED", "APPROVAL_REJECTED", ("failed", "cancelled")),
    ("FAILED", "EXPIRED", ("failed", "expired")),
    ("FAILED", "PAYER_LIMIT_REACHED", ("failed", "limit_reached")),
    ("FAILED", "INTERNAL_PROCESSING_ERROR", ("failed", "internal_error")),
    ("FAILED", "COULD_NOT_PERFORM_TRANSACTION", ("failed", "rejected")),
    ("FAILED", {"code": "EXPIRED", "message": "Request expired"}, ("failed", "expired")),
])
def test_status_maps_each_state(fake, momo, status, reason, expected):
    fake.get(f"{RTP_URL}/{REF_ID}", json=status_body(status, reason))

    result = momo.query_status(collection())

    assert (result.status, result.reason) == expected
    assert (result.provider_ref, result.amount, result.phone) == (REF_ID, Money(15_00, "EUR"), "+46733123453")
    assert result.receipt == "363440463"
    sent = calls_to(fake, f"{RTP_URL}/{REF_ID}")[0].request
    assert sent.headers["X-Target-Environment"] == "sandbox" and sent.headers["Authorization"] == "Bearer col-tok"


def test_status_404_means_the_request_never_arrived(fake, momo):
    fake.get(f"{RTP_URL}/{REF_ID}", status=404, json={"code": "RESOURCE_NOT_FOUND",
                                                      "message": "Requested resource was not found."})
    result = momo.query_status(collection())
    assert (result.status, result.reason, result.provider_ref) == ("failed", "not_found", REF_ID)


def test_disbursement_transfer_and_status_use_the_disbursement_product(fake, momo):
    ref = reference_uuid("wd-9")
    fake.post(TRANSFER_URL, status=202)
    fake.get(f"{TRANSFER_URL}/{ref}", json=status_body("FAILED", "NOT_ENOUGH_FUNDS", party="payee"))

    ack = momo.send_disbursement(disbursement())
    result = momo.query_status(disbursement())

    sent = calls_to(fake, TRANSFER_URL)[0].request
    assert sent.headers["Ocp-Apim-Subscription-Key"] == "dis-sub" and sent.headers["Authorization"] == "Bearer dis-tok"
    assert json.loads(sent.body)["payee"] == {"partyIdType": "MSISDN", "partyId": "46733123454"}
    assert json.loads(sent.body)["amount"] == "20.50" and "payer" not in json.loads(sent.body)
    assert ack.provider_ref == ref
    assert (result.status, result.reason) == ("failed", "insufficient_float")  # our account, not the member's


def test_callback_finds_the_payment_by_reference_id_or_external_id(momo):
    with_ref = momo.parse_callback({**status_body("SUCCESSFUL"), "referenceId": REF_ID}, kind="momo")
    without_ref = momo.parse_callback(status_body("FAILED", "APPROVAL_REJECTED"), kind="momo")

    assert (with_ref.status, with_ref.provider_ref, with_ref.receipt) == ("succeeded", REF_ID, "363440463")
    assert (without_ref.status, without_ref.reason, without_ref.provider_ref) == ("failed", "cancelled", REF_ID)


@pytest.mark.parametrize("payload", [{}, {"status": "SUCCESSFUL"}, {"status": "WEIRD", "externalId": "x"}])
def test_unreadable_callbacks_are_malformed(momo, payload):
    with pytest.raises(MalformedCallback):
        momo.parse_callback(payload, kind="momo")


@pytest.mark.parametrize("fields, amount", [({"amount": None}, None), ({"amount": ""}, None),
                                            ({"amount": "15.00"}, Money(15_00, "EUR")),
                                            ({"amount": 15}, Money(15_00, "EUR"))])
def test_callback_amount_missing_is_none_and_readable_is_exact(momo, fields, amount):
    result = momo.parse_callback({**status_body("SUCCESSFUL"), **fields}, kind="momo")
    assert (result.status, result.amount) == ("succeeded", amount)


@pytest.mark.parametrize("fields", [{"amount": "abc"}, {"amount": "NaN"}, {"amount": "Infinity"}, {"amount": "15.001"},
                                    {"amount": "1e1"}, {"amount": True}, {"amount": ["15"]}, {"currency": None},
                                    {"currency": "eur"}, {"payer": ["46733123453"]}, {"referenceId": ["x"]},
                                    {"externalId": {"$ne": ""}}, {"reason": [1]}, {"status": ["SUCCESSFUL"]},
                                    {"financialTransactionId": "9" * 101}])
def test_callback_with_an_unreadable_value_is_unreadable(momo, fields):
    with pytest.raises(UnreadableCallback):
        momo.parse_callback({**status_body("FAILED", "EXPIRED"), **fields}, kind="momo")


def test_a_status_answer_nested_too_deep_is_transient_not_a_crash(fake, momo):
    fake.get(f"{RTP_URL}/{REF_ID}", body="[" * 10_000 + "]" * 10_000, content_type="application/json")
    with pytest.raises(TransientProviderError):
        momo.query_status(collection())
