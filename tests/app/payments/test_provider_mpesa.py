"""M-Pesa Daraja client against Daraja's documented payloads (HTTP faked by `responses`), the run's Redis db."""

import base64
import json
import threading
import time
from datetime import UTC, datetime

import pytest
import requests
import responses

from app.keys import provider_token_key
from app.money import Money
from app.payments.providers.base import (
    MalformedCallback,
    NotSent,
    PaymentRequest,
    ProviderRejected,
    TransientProviderError,
    UnreadableCallback,
)
from app.payments.providers.mpesa import MpesaDaraja
from tests.clock_helpers import fixed_clock

BASE = "https://daraja.test"
TOKEN_URL = f"{BASE}/oauth/v1/generate"
STK_URL = f"{BASE}/mpesa/stkpush/v1/processrequest"
QUERY_URL = f"{BASE}/mpesa/stkpushquery/v1/query"
B2C_URL = f"{BASE}/mpesa/b2c/v3/paymentrequest"
STATUS_URL = f"{BASE}/mpesa/transactionstatus/v1/query"
CHECKOUT_ID = "ws_CO_191220191020363925"

CONFIG = {
    "MPESA_BASE_URL": BASE,
    "MPESA_CONSUMER_KEY": "ck",
    "MPESA_CONSUMER_SECRET": "cs",
    "MPESA_SHORTCODE": "174379",
    "MPESA_PASSKEY": "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
    "MPESA_B2C_SHORTCODE": "600996",
    "MPESA_INITIATOR_NAME": "testapi",
    "MPESA_SECURITY_CREDENTIAL": "c2VjcmV0",
    "PUBLIC_URL": "https://pamoja.test",
    "CALLBACK_TOKEN": "s3cret",
}

STK_ACCEPTED = {
    "MerchantRequestID": "29115-34620561-1",
    "CheckoutRequestID": CHECKOUT_ID,
    "ResponseCode": "0",
    "ResponseDescription": "Success. Request accepted for processing",
    "CustomerMessage": "Success. Request accepted for processing",
}
INVALID_TOKEN = {"requestId": "1459-15094918-1", "errorCode": "404.001.03", "errorMessage": "Invalid Access Token"}


clock = fixed_clock(datetime(2024, 5, 1, 9, 30, 0, tzinfo=UTC))


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def mpesa(redis, clock):
    return MpesaDaraja(CONFIG, redis, clock=clock)


def token_ok(fake, token="tok-1"):
    return fake.get(TOKEN_URL, json={"access_token": token, "expires_in": "3599"})


def calls_to(fake, url):
    return [c for c in fake.calls if c.request.url.split("?")[0] == url]


def collection(amount=Money(150_00, "KES"), provider_ref=None):
    return PaymentRequest("deposit:42:ab-cd", "collection", amount, "+254708374149", "Savings deposit",
                          provider_ref=provider_ref)


def disbursement(reference="wd-7f3a1c"):
    return PaymentRequest(reference, "disbursement", Money(500_00, "KES"), "+254708374149", "Loan payout")


# -- token -----------------------------------------------------------------------------


def test_token_is_cached_and_reused(fake, mpesa, redis):
    token_ok(fake)
    fake.post(STK_URL, json=STK_ACCEPTED)

    mpesa.request_collection(collection())
    mpesa.request_collection(collection())

    assert len(calls_to(fake, TOKEN_URL)) == 1
    token_call = calls_to(fake, TOKEN_URL)[0].request
    assert token_call.url == f"{TOKEN_URL}?grant_type=client_credentials"
    assert token_call.headers["Authorization"] == "Basic " + base64.b64encode(b"ck:cs").decode()
    assert [c.request.headers["Authorization"] for c in calls_to(fake, STK_URL)] == ["Bearer tok-1"] * 2
    assert 3400 < redis.ttl(provider_token_key("mpesa")) <= 3599


def test_token_refreshed_once_when_ten_processes_ask_at_once(fake, redis, clock):
    def slow_token(request):
        time.sleep(0.2)
        return 200, {}, json.dumps({"access_token": "tok-1", "expires_in": "3599"})

    fake.add_callback(responses.GET, TOKEN_URL, callback=slow_token)
    clients = [MpesaDaraja(CONFIG, redis, clock=clock) for _ in range(10)]
    tokens, barrier = [], threading.Barrier(10)

    def ask(client):
        barrier.wait()
        tokens.append(client.tokens.get())

    threads = [threading.Thread(target=ask, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert tokens == ["tok-1"] * 10
    assert len(calls_to(fake, TOKEN_URL)) == 1


def test_token_refused_mid_flight_is_refreshed_once_and_the_call_retried_once(fake, mpesa, redis):
    redis.set(provider_token_key("mpesa"), "stale")
    token_ok(fake, "fresh")
    fake.post(STK_URL, status=401, json=INVALID_TOKEN)
    fake.post(STK_URL, json=STK_ACCEPTED)

    ack = mpesa.request_collection(collection())

    assert ack.provider_ref == CHECKOUT_ID
    assert len(calls_to(fake, TOKEN_URL)) == 1
    assert [c.request.headers["Authorization"] for c in calls_to(fake, STK_URL)] == ["Bearer stale", "Bearer fresh"]
    assert redis.get(provider_token_key("mpesa")) == b"fresh"


def test_a_fresh_token_refused_again_is_a_rejection_not_a_loop(fake, mpesa):
    token_ok(fake)
    fake.post(STK_URL, status=401, json=INVALID_TOKEN)

    with pytest.raises(ProviderRejected) as raised:
        mpesa.request_collection(collection())

    assert raised.value.reason == "unauthorized"
    assert len(calls_to(fake, STK_URL)) == 2


def test_bad_consumer_credentials_are_a_rejection(fake, mpesa):
    fake.get(TOKEN_URL, status=400, json={"resultCode": "999991", "resultDesc": "Invalid client id passed"})

    with pytest.raises(ProviderRejected) as raised:
        mpesa.request_collection(collection())
    assert raised.value.reason == "unauthorized"


# -- STK push --------------------------------------------------------------------------


def test_stk_push_sends_the_documented_body(fake, mpesa):
    token_ok(fake)
    fake.post(STK_URL, json=STK_ACCEPTED)

    ack = mpesa.request_collection(collection())

    timestamp = "20240501123000"  # 09:30 UTC is 12:30 in Nairobi
    password = base64.b64encode(f"174379{CONFIG['MPESA_PASSKEY']}{timestamp}".encode()).decode()
    assert json.loads(calls_to(fake, STK_URL)[0].request.body) == {
        "BusinessShortCode": "174379",
        "Password": password,
        "Timestamp": timestamp,
        "TransactionType": "CustomerPayBillOnline",
        "Amount": 150,
        "PartyA": "254708374149",
        "PartyB": "174379",
        "PhoneNumber": "254708374149",
        "CallBackURL": "https://pamoja.test/payments/mpesa/callback?token=s3cret",
        "AccountReference": "deposit42abc",
        "TransactionDesc": "Savings depos",
    }
    assert (ack.provider_ref, ack.status, ack.raw) == (CHECKOUT_ID, "pending", STK_ACCEPTED)


@pytest.mark.parametrize("amount, reason", [(Money(150_50, "KES"), "invalid_amount"),
                                            (Money(0, "KES"), "invalid_amount"),
                                            (Money(150_00, "UGX"), "currency")])
def test_stk_push_refuses_amounts_mpesa_cannot_take_before_any_call(fake, mpesa, amount, reason):
    with pytest.raises(ProviderRejected) as raised:
        mpesa.request_collection(collection(amount))
    assert raised.value.reason == reason
    assert not fake.calls


def test_stk_push_refuses_a_non_kenyan_number(fake, mpesa):
    req = PaymentRequest("r1", "collection", Money(100_00, "KES"), "+256772123456", "x")
    with pytest.raises(ProviderRejected) as raised:
        mpesa.request_collection(req)
    assert raised.value.reason == "invalid_phone"


def test_stk_push_bad_request_is_a_rejection_with_darajas_code(fake, mpesa):
    token_ok(fake)
    fake.post(STK_URL, status=400, json={"requestId": "11728-2929992-1", "errorCode": "400.002.02",
                                         "errorMessage": "Bad Request - Invalid Amount"})

    with pytest.raises(ProviderRejected) as raised:
        mpesa.request_collection(collection())
    assert (raised.value.reason, raised.value.code) == ("rejected", "400.002.02")


def test_stk_push_for_a_locked_subscriber_is_busy_not_transient(fake, mpesa):
    token_ok(fake)
    fake.post(STK_URL, status=500, json={"requestId": "ws_CO_1", "errorCode": "500.001.1001",
                                         "errorMessage": "Unable to lock subscriber, a transaction is already in "
                                                         "process for the current subscriber"})

    with pytest.raises(ProviderRejected) as raised:
        mpesa.request_collection(collection())
    assert raised.value.reason == "busy"


@pytest.mark.parametrize("answer", [
    {"status": 503, "json": {"requestId": "1", "errorCode": "503.001.01", "errorMessage": "Service Unavailable"}},
    {"body": requests.exceptions.ConnectTimeout("connect timeout")},
    {"body": requests.exceptions.ReadTimeout("read timeout")},
    {"body": requests.exceptions.ConnectionError("reset")},
])
def test_network_errors_and_5xx_are_transient(fake, mpesa, answer):
    token_ok(fake)
    fake.post(STK_URL, **answer)

    with pytest.raises(TransientProviderError):
        mpesa.request_collection(collection())


# -- STK callback and query ------------------------------------------------------------


def stk_callback(result_code, desc="", metadata=None):
    body = {"MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": CHECKOUT_ID,
            "ResultCode": result_code, "ResultDesc": desc}
    if metadata is not None:
        body["CallbackMetadata"] = {"Item": metadata}
    return {"Body": {"stkCallback": body}}


def test_stk_success_callback_reports_receipt_amount_phone_and_time(mpesa):
    payload = stk_callback(0, "The service request is processed successfully.", [
        {"Name": "Amount", "Value": 1.00},
        {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
        {"Name": "Balance"},
        {"Name": "TransactionDate", "Value": 20191219102115},
        {"Name": "PhoneNumber", "Value": 254708374149},
    ])

    result = mpesa.parse_callback(payload, kind="stk")

    assert (result.status, result.provider_ref, result.reason) == ("succeeded", CHECKOUT_ID, None)
    assert (result.receipt, result.amount, result.phone) == ("NLJ7RT61SV", Money(100, "KES"), "+254708374149")
    assert result.completed_at == datetime(2019, 12, 19, 7, 21, 15, tzinfo=UTC)
    assert result.raw is payload


STK_CODES = [
    (1, "The balance is insufficient for the transaction.", "insufficient_funds"),
    (17, "System internal error.", "internal_error"),
    (26, "System busy. The service request is rejected.", "busy"),
    (1001, "Unable to lock subscriber, a transaction is already in process for the current subscriber", "busy"),
    (1019, "Transaction has expired", "expired"),
    (1025, "An error occurred while sending a push request", "push_failed"),
    (1032, "Request cancelled by user", "cancelled"),
    (1037, "DS timeout user cannot be reached", "unreachable"),
    (2001, "The initiator information is invalid.", "wrong_pin"),
    (9999, "An error occurred while sending a push request.", "rejected"),
]


@pytest.mark.parametrize("code, desc, reason", STK_CODES)
def test_every_stk_result_code_is_mapped_in_callbacks(mpesa, code, desc, reason):
    result = mpesa.parse_callback(stk_callback(code, desc), kind="stk")
    assert (result.status, result.reason, result.provider_ref, result.receipt) == ("failed", reason, CHECKOUT_ID, None)


STK_SUCCESS = (0, "The service request is processed successfully.", None)


@pytest.mark.parametrize("code, desc, reason", [*STK_CODES, STK_SUCCESS])
def test_every_stk_result_code_is_mapped_in_queries(fake, mpesa, code, desc, reason):
    token_ok(fake)
    fake.post(QUERY_URL, json={"ResponseCode": "0", "ResponseDescription": "The service request has been accepted "
                               "successsfully", "MerchantRequestID": "29115-34620561-1",
                               "CheckoutRequestID": CHECKOUT_ID, "ResultCode": str(code), "ResultDesc": desc})

    result = mpesa.query_status(collection(provider_ref=CHECKOUT_ID))

    assert (result.status, result.reason) == ("succeeded" if code == 0 else "failed", reason)
    sent = json.loads(calls_to(fake, QUERY_URL)[0].request.body)
    assert sent["CheckoutRequestID"] == CHECKOUT_ID and sent["Timestamp"] == "20240501123000"
    assert set(sent) == {"BusinessShortCode", "Password", "Timestamp", "CheckoutRequestID"}


def test_query_while_daraja_is_still_processing_is_pending(fake, mpesa):
    token_ok(fake)
    fake.post(QUERY_URL, status=500, json={"requestId": "ws_CO_20022018230142206", "errorCode": "500.001.1001",
                                           "errorMessage": "The transaction is being processed"})

    result = mpesa.query_status(collection(provider_ref=CHECKOUT_ID))

    assert (result.status, result.provider_ref, result.reason) == ("pending", CHECKOUT_ID, None)
    assert mpesa.breaker.redis.exists(mpesa.breaker.key) == 0  # not counted as a failure


def test_query_result_4999_still_under_processing_is_pending_not_failed(fake, mpesa):
    token_ok(fake)
    fake.post(QUERY_URL, json={"ResponseCode": "0", "ResponseDescription": "The service request has been accepted "
                               "successsfully", "MerchantRequestID": "29115-34620561-1",
                               "CheckoutRequestID": CHECKOUT_ID, "ResultCode": "4999",
                               "ResultDesc": "The transaction is still under processing"})

    result = mpesa.query_status(collection(provider_ref=CHECKOUT_ID))

    assert (result.status, result.reason, result.provider_ref) == ("pending", None, CHECKOUT_ID)


@pytest.mark.parametrize("result_code", ["SFC_IC0003", "R000002"])
def test_a_text_result_code_is_an_answer_not_a_malformed_one(fake, mpesa, result_code):
    payload = stk_callback(result_code, "The operator does not exist")
    result = mpesa.parse_callback(payload, kind="stk")
    assert (result.status, result.reason, result.provider_ref) == ("failed", "rejected", CHECKOUT_ID)

    token_ok(fake)
    fake.post(QUERY_URL, json={"ResponseCode": "0", "MerchantRequestID": "29115-34620561-1",
                               "CheckoutRequestID": CHECKOUT_ID, "ResultCode": result_code,
                               "ResultDesc": "The operator does not exist"})
    queried = mpesa.query_status(collection(provider_ref=CHECKOUT_ID))
    assert (queried.status, queried.reason) == ("failed", "rejected")

    b2c = mpesa.parse_callback(b2c_result(result_code, "The operator does not exist"), kind="b2c")
    assert (b2c.status, b2c.reason) == ("failed", "rejected")


def test_buy_goods_sends_the_store_number_as_shortcode_and_the_till_as_party_b(fake, redis, clock):
    config = {**CONFIG, "MPESA_TRANSACTION_TYPE": "CustomerBuyGoodsOnline", "MPESA_SHORTCODE": "7654321",
              "MPESA_TILL_NUMBER": "5566778"}
    token_ok(fake)
    fake.post(STK_URL, json=STK_ACCEPTED)
    fake.post(QUERY_URL, json={"ResponseCode": "0", "CheckoutRequestID": CHECKOUT_ID, "ResultCode": "0",
                               "ResultDesc": "The service request is processed successfully."})
    mpesa = MpesaDaraja(config, redis, clock=clock)

    mpesa.request_collection(collection())
    mpesa.query_status(collection(provider_ref=CHECKOUT_ID))

    sent = json.loads(calls_to(fake, STK_URL)[0].request.body)
    password = base64.b64encode(f"7654321{CONFIG['MPESA_PASSKEY']}20240501123000".encode()).decode()
    assert (sent["TransactionType"], sent["BusinessShortCode"], sent["PartyB"]) == (
        "CustomerBuyGoodsOnline", "7654321", "5566778")
    assert sent["Password"] == password
    assert json.loads(calls_to(fake, QUERY_URL)[0].request.body)["BusinessShortCode"] == "7654321"


def test_buy_goods_without_a_till_is_refused_before_any_call(fake, redis, clock):
    mpesa = MpesaDaraja({**CONFIG, "MPESA_TRANSACTION_TYPE": "CustomerBuyGoodsOnline"}, redis, clock=clock)
    with pytest.raises(ProviderRejected) as raised:
        mpesa.request_collection(collection())
    assert raised.value.reason == "configuration" and not fake.calls


def test_a_token_that_cannot_be_had_is_not_sent(fake, mpesa):
    fake.get(TOKEN_URL, status=503, json={"requestId": "1", "errorCode": "503.001.01",
                                          "errorMessage": "Service Unavailable"})
    with pytest.raises(NotSent):
        mpesa.request_collection(collection())
    assert not calls_to(fake, STK_URL)


def test_callbacks_are_registered_with_mpesas_own_current_token(fake, redis, clock):
    mpesa = MpesaDaraja({**CONFIG, "MPESA_CALLBACK_TOKEN": "new-mpesa,old-mpesa"}, redis, clock=clock)
    token_ok(fake)
    fake.post(STK_URL, json=STK_ACCEPTED)
    mpesa.request_collection(collection())
    sent = json.loads(calls_to(fake, STK_URL)[0].request.body)
    assert sent["CallBackURL"] == "https://pamoja.test/payments/mpesa/callback?token=new-mpesa"


def test_query_without_a_checkout_id_cannot_ask_daraja(fake, mpesa):
    result = mpesa.query_status(collection())
    assert (result.status, result.reason) == ("pending", "not_acknowledged")
    assert not fake.calls


@pytest.mark.parametrize("payload", [{}, {"Body": {}}, {"Body": {"stkCallback": {"ResultCode": 0}}}, ["x"],
                                     {"Body": {"stkCallback": {"CheckoutRequestID": "x", "ResultCode": "abc"}}}])
def test_unreadable_callbacks_are_malformed(mpesa, payload):
    with pytest.raises(MalformedCallback):
        mpesa.parse_callback(payload, kind="stk")


# -- B2C -------------------------------------------------------------------------------


def test_b2c_sends_the_documented_body_and_acks_with_our_reference(fake, mpesa):
    token_ok(fake)
    answer = {"ConversationID": "AG_20191219_00005797af5d7d75f652", "OriginatorConversationID": "wd-7f3a1c",
              "ResponseCode": "0", "ResponseDescription": "Accept the service request successfully."}
    fake.post(B2C_URL, json=answer)

    ack = mpesa.send_disbursement(disbursement())

    assert json.loads(calls_to(fake, B2C_URL)[0].request.body) == {
        "OriginatorConversationID": "wd-7f3a1c",
        "InitiatorName": "testapi",
        "SecurityCredential": "c2VjcmV0",
        "CommandID": "BusinessPayment",
        "Amount": 500,
        "PartyA": "600996",
        "PartyB": "254708374149",
        "Remarks": "Loan payout",
        "QueueTimeOutURL": "https://pamoja.test/payments/mpesa/timeout?token=s3cret",
        "ResultURL": "https://pamoja.test/payments/mpesa/callback?token=s3cret",
        "Occasion": "wd-7f3a1c",
    }
    assert (ack.provider_ref, ack.raw) == ("wd-7f3a1c", answer)


def b2c_result(code, desc, params=None):
    result = {"ResultType": 0, "ResultCode": code, "ResultDesc": desc, "OriginatorConversationID": "wd-7f3a1c",
              "ConversationID": "AG_20191219_00004e48cf7e3533f581", "TransactionID": "NLJ41HAY6Q",
              "ReferenceData": {"ReferenceItem": {"Key": "QueueTimeoutURL",
                                                  "Value": "https://internalsandbox.safaricom.co.ke/mpesa/b2cresults"}}}
    if params is not None:
        result["ResultParameters"] = {"ResultParameter": params}
    return {"Result": result}


def test_b2c_success_result_callback(mpesa):
    payload = b2c_result(0, "The service request is processed successfully.", [
        {"Key": "TransactionAmount", "Value": 500},
        {"Key": "TransactionReceipt", "Value": "NLJ41HAY6Q"},
        {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
        {"Key": "B2CChargesPaidAccountAvailableFunds", "Value": -4510.00},
        {"Key": "ReceiverPartyPublicName", "Value": "254708374149 - John Doe"},
        {"Key": "TransactionCompletedDateTime", "Value": "19.12.2019 11:45:50"},
        {"Key": "B2CUtilityAccountAvailableFunds", "Value": 10116.00},
        {"Key": "B2CWorkingAccountAvailableFunds", "Value": 900000.00},
    ])

    result = mpesa.parse_callback(payload, kind="b2c")

    assert (result.status, result.provider_ref, result.receipt) == ("succeeded", "wd-7f3a1c", "NLJ41HAY6Q")
    assert (result.amount, result.phone) == (Money(500_00, "KES"), "+254708374149")
    assert result.completed_at == datetime(2019, 12, 19, 8, 45, 50, tzinfo=UTC)


@pytest.mark.parametrize("code, reason", [(1, "insufficient_float"), (2001, "credentials"), (2040, "payee_not_found"),
                                          (17, "internal_error"), (8006, "rejected")])
def test_b2c_failure_result_callback(mpesa, code, reason):
    result = mpesa.parse_callback(b2c_result(code, "The initiator information is invalid."), kind="b2c")
    assert (result.status, result.reason, result.provider_ref, result.receipt) == ("failed", reason, "wd-7f3a1c", None)


def test_b2c_queue_timeout_callback_is_pending_with_reason_timeout(mpesa):
    payload = b2c_result(1, "The service request timed out.")  # posted to QueueTimeOutURL
    result = mpesa.parse_callback(payload, kind="timeout")
    assert (result.status, result.reason, result.provider_ref) == ("pending", "timeout", "wd-7f3a1c")


def test_b2c_status_asks_transaction_status_with_the_documented_body(fake, mpesa):
    token_ok(fake)
    answer = {"OriginatorConversationID": "5118-111210482-1", "ConversationID": "AG_20230420_2010759fd5662ef6d054",
              "ResponseCode": "0", "ResponseDescription": "Accept the service request successfully."}
    fake.post(STATUS_URL, json=answer)

    result = mpesa.query_status(disbursement())

    assert (result.status, result.provider_ref, result.reason) == ("pending", "wd-7f3a1c", "status_asked")
    assert json.loads(calls_to(fake, STATUS_URL)[0].request.body) == {
        "Initiator": "testapi",
        "SecurityCredential": "c2VjcmV0",
        "CommandID": "TransactionStatusQuery",
        "OriginalConversationID": "wd-7f3a1c",
        "PartyA": "600996",
        "IdentifierType": "4",
        "ResultURL": "https://pamoja.test/payments/mpesa/status?token=s3cret",
        "QueueTimeOutURL": "https://pamoja.test/payments/mpesa/status?token=s3cret",
        "Remarks": "Payout status",
        "Occasion": "wd-7f3a1c",
    }


def status_result(transaction_status="Completed", code=0, original="wd-7f3a1c", occasion="wd-7f3a1c"):
    """A Transaction Status result as Daraja posts it to the ResultURL (its own ids are the query's)."""
    params = [
        {"Key": "DebitPartyName", "Value": "600310 - Safaricom333"},
        {"Key": "CreditPartyName", "Value": "254708374149 - John Doe"},
        {"Key": "InitiatedTime", "Value": 20191219114549},
        {"Key": "DebitAccountType", "Value": "Utility Account"},
        {"Key": "DebitPartyCharges", "Value": "Fee For B2C Payment|KES|22.40"},
        {"Key": "TransactionReason"},
        {"Key": "ReasonType", "Value": "Business Payment to Customer via API"},
        {"Key": "TransactionStatus", "Value": transaction_status},
        {"Key": "FinalisedTime", "Value": 20191219114550},
        {"Key": "Amount", "Value": 500},
        {"Key": "ConversationID", "Value": "AG_20191219_00004e48cf7e3533f581"},
        {"Key": "ReceiptNo", "Value": "NLJ41HAY6Q"},
    ]
    if original is not None:
        params.append({"Key": "OriginatorConversationID", "Value": original})
    return {"Result": {"ResultType": 0, "ResultCode": code, "ResultDesc": "The service request is processed "
                       "successfully.", "OriginatorConversationID": "5118-111210482-1",
                       "ConversationID": "AG_20230420_2010759fd5662ef6d054", "TransactionID": "NLJ0000000",
                       "ResultParameters": {"ResultParameter": params},
                       "ReferenceData": {"ReferenceItem": {"Key": "Occasion", "Value": occasion}}}}


def test_a_completed_transaction_status_settles_the_original_payout(mpesa):
    result = mpesa.parse_callback(status_result(), kind="status")
    assert (result.status, result.provider_ref, result.receipt) == ("succeeded", "wd-7f3a1c", "NLJ41HAY6Q")
    assert (result.amount, result.phone) == (Money(500_00, "KES"), "+254708374149")
    assert result.completed_at == datetime(2019, 12, 19, 8, 45, 50, tzinfo=UTC)


def test_a_transaction_status_is_matched_by_the_echoed_occasion_without_the_original_id(mpesa):
    result = mpesa.parse_callback(status_result(original=None), kind="status")
    assert (result.status, result.provider_ref) == ("succeeded", "wd-7f3a1c")


@pytest.mark.parametrize("transaction_status, code, expected", [
    ("Cancelled", 0, ("failed", "cancelled")), ("Declined", 0, ("failed", "rejected")),
    ("Expired", 0, ("failed", "expired")), ("Pending", 0, ("pending", None)),
    ("Completed", 2001, ("pending", "status_unknown")),  # the query failed: it says nothing of the payout
    ("Completed", "SFC_IC0003", ("pending", "status_unknown")),
])
def test_transaction_status_outcomes(mpesa, transaction_status, code, expected):
    result = mpesa.parse_callback(status_result(transaction_status, code), kind="status")
    assert (result.status, result.reason) == expected and result.provider_ref == "wd-7f3a1c"


def test_b2c_success_without_an_amount_says_so_and_a_lone_parameter_is_read(mpesa):
    lone = b2c_result(0, "The service request is processed successfully.", {"Key": "TransactionReceipt",
                                                                             "Value": "NLJ41HAY6Q"})
    result = mpesa.parse_callback(lone, kind="b2c")
    assert (result.status, result.receipt, result.amount) == ("succeeded", "NLJ41HAY6Q", None)


@pytest.mark.parametrize("params", [
    [{"Key": "TransactionAmount", "Value": "abc"}], [{"Key": "TransactionAmount", "Value": 500.001}],
    [{"Key": "TransactionAmount", "Value": True}], [{"Key": "TransactionAmount", "Value": "Infinity"}],
    [{"Key": "TransactionAmount", "Value": 500}, {"Key": "TransactionAmount", "Value": 5}],
    [{"Key": ["TransactionAmount"], "Value": 500}], ["TransactionAmount"], "TransactionAmount",
])
def test_b2c_unreadable_amounts_and_shapes(mpesa, params):
    with pytest.raises(UnreadableCallback):
        mpesa.parse_callback(b2c_result(0, "The service request is processed successfully.", params), kind="b2c")


@pytest.mark.parametrize("code", [False, True, 0.0, 0.5, " 0", "0.0", [0], {"code": 0}])
def test_a_result_code_is_an_integer_never_coerced_into_success(mpesa, code):
    with pytest.raises(UnreadableCallback):
        mpesa.parse_callback(stk_callback(code, "", [{"Name": "Amount", "Value": 1}]), kind="stk")
    with pytest.raises(UnreadableCallback):
        mpesa.parse_callback(b2c_result(code, "", [{"Key": "TransactionAmount", "Value": 500}]), kind="b2c")


def test_an_stk_query_answer_nested_too_deep_is_transient_not_a_crash(fake, mpesa):
    token_ok(fake)
    fake.post(QUERY_URL, body="[" * 10_000 + "]" * 10_000, content_type="application/json")
    with pytest.raises(TransientProviderError):
        mpesa.query_status(collection(provider_ref=CHECKOUT_ID))
