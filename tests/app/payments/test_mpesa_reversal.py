"""Daraja's Reversal API: the request we send, the result we read, and the result route end to end."""

import json
from datetime import UTC, datetime

import pytest
import responses

from app.money import Money
from app.payments import states
from app.payments.providers.base import PaymentRequest, ProviderRejected, ProviderResult
from app.payments.providers.mpesa import MpesaDaraja
from tests.app.staff.staff_helpers import new_staff, typed
from tests.clock_helpers import fixed_clock
from tests.member_helpers import make_member

BASE = "https://daraja.test"
REVERSAL_URL = f"{BASE}/mpesa/reversal/v1/request"
CONFIG = {"MPESA_BASE_URL": BASE, "MPESA_CONSUMER_KEY": "ck", "MPESA_CONSUMER_SECRET": "cs",
          "MPESA_SHORTCODE": "174379", "MPESA_PASSKEY": "pk", "MPESA_B2C_SHORTCODE": "600996",
          "MPESA_INITIATOR_NAME": "testapi", "MPESA_SECURITY_CREDENTIAL": "c2VjcmV0",
          "PUBLIC_URL": "https://pamoja.test", "CALLBACK_TOKEN": "s3cret"}
ACCEPTED = {"OriginatorConversationID": "71840-27539181-07", "ConversationID": "AG_20210709_12346c8e6f8858d7b70a",
            "ResponseCode": "0", "ResponseDescription": "Accept the service request successfully."}

clock = fixed_clock(datetime(2024, 5, 1, 9, 30, 0, tzinfo=UTC))


def reversal_result(code=0, ref="71840-27539181-07", amount=500):
    result = {"ResultType": 0, "ResultCode": code, "ResultDesc": "done", "OriginatorConversationID": ref,
              "ConversationID": "AG_20210709_12346c8e6f8858d7b70a", "TransactionID": "SGH0000000"}
    if code == 0:
        result["ResultParameters"] = {"ResultParameter": [
            {"Key": "Amount", "Value": amount}, {"Key": "OriginalTransactionID", "Value": "QK10000000"},
            {"Key": "TransCompletedTime", "Value": 20240501093500}]}
    return {"Result": result}


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{BASE}/oauth/v1/generate", json={"access_token": "tok", "expires_in": "3599"})
        yield mock


@pytest.fixture
def mpesa(redis, clock):
    return MpesaDaraja(CONFIG, redis, clock=clock)


def refund_request(receipt="QK10000000", original_direction="collection"):
    return PaymentRequest("PMJ000000043", "disbursement", Money(500_00, "KES"), "+254708374149", "Refund",
                          original_receipt=receipt, original_direction=original_direction)


def test_reversal_sends_the_documented_body(fake, mpesa):
    fake.post(REVERSAL_URL, json=ACCEPTED)
    ack = mpesa.request_reversal(refund_request())
    assert ack.provider_ref == "71840-27539181-07"
    sent = json.loads(fake.calls[-1].request.body)
    assert sent["CommandID"] == "TransactionReversal" and sent["TransactionID"] == "QK10000000"
    assert sent["Amount"] == 500 and sent["ReceiverParty"] == "174379" and sent["RecieverIdentifierType"] == "11"
    assert sent["ResultURL"] == "https://pamoja.test/payments/mpesa/reversal?token=s3cret"
    assert sent["Occasion"] == "PMJ000000043"
    fake.post(REVERSAL_URL, json=ACCEPTED)
    mpesa.request_reversal(refund_request(original_direction="disbursement"))
    assert json.loads(fake.calls[-1].request.body)["ReceiverParty"] == "600996"  # a B2C receipt: our B2C shortcode


def test_reversal_without_a_receipt_is_refused_before_any_call(fake, mpesa):
    with pytest.raises(ProviderRejected):
        mpesa.request_reversal(refund_request(receipt=None))
    assert not [c for c in fake.calls if c.request.url.startswith(REVERSAL_URL)]


def test_reversal_results_are_read(mpesa):
    done = mpesa.parse_callback(reversal_result(), kind="reversal")
    assert done.status == "succeeded" and done.provider_ref == "71840-27539181-07"
    assert done.amount == Money(500_00, "KES") and done.receipt == "SGH0000000"
    refused = mpesa.parse_callback(reversal_result(code="R000002"), kind="reversal")
    assert refused.status == "failed" and refused.reason == "rejected"


def test_the_reversal_route_settles_the_refund_and_reverses_the_deposit(app, services, session, client):
    member = make_member(session, "+254708374149", "Mary Wambui")
    deposit = services.payments.start("deposit:mpesa:rev", member, "collection", "deposit", Money(500_00, "KES"),
                                      "+254708374149", provider="mpesa")
    deposit.provider_ref = "ws_CO_1"
    services.payments.apply_result(ProviderResult("succeeded", "ws_CO_1", None, "QK10000000", None, None, {}),
                                   "query", provider="mpesa")
    finance = typed(services, new_staff(services, "finance"))
    refund = services.payment_reversals.reverse_payment(finance, deposit.reference, "wrong paybill").result
    refund.provider_ref = ACCEPTED["OriginatorConversationID"]  # as the acknowledged request leaves it
    states.move(refund, states.PENDING, services.clock.now())
    session.commit()
    token = app.config["CALLBACK_TOKEN"]
    assert client.post("/payments/mpesa/reversal?token=wrong", json=reversal_result()).status_code == 403
    answer = client.post(f"/payments/mpesa/reversal?token={token}", json=reversal_result())
    assert answer.status_code == 200 and answer.get_json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    session.expire_all()
    assert services.payments.get(refund.id).state == "succeeded"
    assert services.payments.get(deposit.id).state == "reversed"
    timeout = client.post(f"/payments/mpesa/reversal-timeout?token={token}",
                          json={"Result": {"OriginatorConversationID": "71840-27539181-07", "ResultCode": 1}})
    assert timeout.status_code == 200
