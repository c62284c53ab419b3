"""Outbound senders against Africa's Talking and Twilio, faked at the HTTP boundary only."""

import io
import json
from urllib.parse import parse_qs

import pytest
import requests
import responses

from channels.send_result import UnknownOutcomeError
from channels.senders import (
    ACCEPTED,
    FAILED,
    RETRY,
    AfricasTalkingSmsSender,
    ConsoleSender,
    OutsideWindowError,
    SendError,
    TransientSendError,
    TwilioWhatsAppSender,
    build_senders,
    parse_cost,
)

AT_URL = "https://api.africastalking.com/version1/messaging"
AT_SANDBOX_URL = "https://api.sandbox.africastalking.com/version1/messaging"
SID = "AC" + "0" * 32
TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"


def at_recipient(number, code=101, status="Success", cost="KES 0.8000", message_id="ATXid_1"):
    return {"statusCode": code, "number": number, "status": status, "cost": cost, "messageId": message_id}


def at_answer(*recipients, message="Sent to 1/1 Total Cost: KES 0.8000"):
    return {"SMSMessageData": {"Message": message, "Recipients": list(recipients)}}


def form(call):
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


@pytest.fixture
def sms():
    return AfricasTalkingSmsSender("pamoja", "at-key", sender_id="PAMOJA")


@responses.activate
def test_at_batch_success(sms):
    responses.post(
        AT_URL,
        json=at_answer(
            at_recipient("+254711000001", message_id="ATXid_a"),
            at_recipient("+254711000002", code=102, status="Queued", message_id="ATXid_b"),
            message="Sent to 2/2 Total Cost: KES 1.6000",
        ),
    )
    results = sms.send(["+254711000001", "+254711000002", "+254711000001"], "Salio: KES 1,500")
    assert len(responses.calls) == 1
    sent = form(responses.calls[0])
    assert sent["to"] == "+254711000001,+254711000002"
    assert sent["message"] == "Salio: KES 1,500"
    assert sent["username"] == "pamoja"
    assert sent["from"] == "PAMOJA"
    assert responses.calls[0].request.headers["apiKey"] == "at-key"
    assert [r.phone for r in results] == ["+254711000001", "+254711000002"]
    first, second = results
    assert first.ok and first.status == ACCEPTED
    assert (first.provider_id, first.provider_status, first.status_code) == ("ATXid_a", "Success", 101)
    assert (first.cost_currency, first.cost_amount, first.segments) == ("KES", "0.8000", 1)
    assert second.status == ACCEPTED and second.provider_status == "Queued"


@responses.activate
def test_at_partial_failure_is_a_failed_result_not_an_exception(sms):
    responses.post(
        AT_URL,
        json=at_answer(
            at_recipient("+254711000001"),
            at_recipient("+254711000009", code=403, status="InvalidPhoneNumber", cost="0", message_id="None"),
            at_recipient("+254711000003", code=501, status="GatewayError", cost="0", message_id="None"),
            message="Sent to 1/3 Total Cost: KES 0.8000",
        ),
    )
    ok, invalid, gateway = sms.send(["+254711000001", "+254711000009", "+254711000003"], "Habari")
    assert ok.status == ACCEPTED
    assert invalid.status == FAILED and invalid.reason == "InvalidPhoneNumber" and invalid.status_code == 403
    assert invalid.provider_id is None and invalid.cost_amount == "0" and invalid.cost_currency is None
    assert gateway.status == RETRY and gateway.status_code == 501


@responses.activate
def test_at_malformed_number_fails_alone_without_sinking_the_batch(sms):
    responses.post(AT_URL, json=at_answer(at_recipient("+254711000001")))
    ok, bad = sms.send(["+254711000001", "0711000002"], "Habari")
    assert ok.status == ACCEPTED
    assert bad.status == FAILED and bad.provider_status == "InvalidPhoneNumber"
    assert form(responses.calls[0])["to"] == "+254711000001"


@responses.activate
def test_at_batch_refused_as_a_whole(sms):
    responses.post(AT_URL, json=at_answer(message="InvalidSenderId"))
    (result,) = sms.send(["+254711000001"], "Habari")
    assert result.status == FAILED and result.reason == "InvalidSenderId"


@responses.activate
def test_at_json_with_charset_content_type_is_still_parsed(sms):
    # The SDK only decodes JSON when Content-Type is exactly "application/json".
    responses.post(
        AT_URL,
        body=json.dumps(at_answer(at_recipient("+254711000001"))),
        content_type="application/json; charset=utf-8",
    )
    (result,) = sms.send("+254711000001", "Habari")
    assert result.status == ACCEPTED and result.provider_id == "ATXid_1"


@responses.activate
@pytest.mark.parametrize(
    ("status", "body"), [(500, "Internal Server Error"), (502, "Bad Gateway"), (503, "Service Unavailable"),
                         (429, "Too Many Requests")]
)
def test_at_server_error_is_transient(sms, status, body):
    responses.post(AT_URL, body=body, status=status, content_type="text/plain")
    with pytest.raises(TransientSendError):
        sms.send(["+254711000001"], "Habari")


@responses.activate
@pytest.mark.parametrize(("status", "body"), [(401, "The supplied authentication is invalid"),
                                              (401, "Invalid senderId"), (400, "Bad Request")])
def test_at_bad_credentials_or_sender_id_fail_every_recipient_for_good(sms, status, body):
    """Africa's Talking answers 401 with a plain-text body; the SDK hid the status, so it was retried for ever."""
    responses.post(AT_URL, body=body, status=status, content_type="text/plain")
    results = sms.send(["+254711000001", "+254711000002"], "Habari")
    assert [r.status for r in results] == [FAILED, FAILED]
    assert all(r.status_code == status and body in r.reason for r in results)
    assert len(responses.calls) == 1


@responses.activate
def test_a_bulk_batch_asks_africas_talking_to_enqueue_it_and_a_small_one_does_not(sms):
    from channels.sms_sender import BULK_RECIPIENTS

    many = [f"+2547110{n:05d}" for n in range(BULK_RECIPIENTS)]
    responses.post(AT_URL, json=at_answer(*(at_recipient(phone, code=102, status="Queued") for phone in many),
                                          message=f"Sent to {len(many)}/{len(many)} Total Cost: KES 80.0000"))
    results = sms.send(many, "Mkutano kesho saa nne")
    sms.send(many[:2], "Habari")
    bulk, small = (form(call) for call in responses.calls)
    assert bulk["enqueue"] == "1" and bulk["bulkSMSMode"] == "1" and len(bulk["to"].split(",")) == len(many)
    assert "enqueue" not in small
    assert all(r.status == ACCEPTED for r in results)


@responses.activate
@pytest.mark.parametrize("failure", [requests.exceptions.ReadTimeout("slow"), requests.exceptions.ConnectionError()])
def test_at_timeout_or_network_failure_is_transient(sms, failure):
    responses.post(AT_URL, body=failure)
    with pytest.raises(TransientSendError):
        sms.send(["+254711000001"], "Habari")


@responses.activate
def test_at_unreadable_answer_is_a_send_error(sms):
    responses.post(AT_URL, body="<html>maintenance</html>", content_type="text/html")
    with pytest.raises(SendError) as raised:
        sms.send(["+254711000001"], "Habari")
    assert not isinstance(raised.value, TransientSendError)


@responses.activate
def test_at_segments_are_counted_for_the_text():
    responses.post(AT_SANDBOX_URL, json=at_answer(at_recipient("+254711000001", cost="KES 2.4000")))
    sender = AfricasTalkingSmsSender("sandbox", "at-key")
    (result,) = sender.send(["+254711000001"], "“" + "a" * 70)
    assert result.segments == 2
    assert "from" not in form(responses.calls[0])


@responses.activate
@pytest.mark.parametrize("api_url", ["http://at.fake:9000", "http://at.fake:9000/", "http://at.fake:9000/version1"])
def test_at_base_url_override_is_used(api_url):
    responses.post("http://at.fake:9000/version1/messaging", json=at_answer(at_recipient("+254711000001")))
    sender = AfricasTalkingSmsSender("pamoja", "at-key", api_url=api_url)
    (result,) = sender.send(["+254711000001"], "Habari")
    assert result.ok
    assert responses.calls[0].request.url == "http://at.fake:9000/version1/messaging"


@pytest.mark.parametrize(
    ("cost", "expected"),
    [("KES 0.8000", ("KES", "0.8000")), ("UGX 25", ("UGX", "25")), ("0", (None, "0")), (None, (None, None)),
     ("KES NaN", (None, None)), ("KES Infinity", (None, None)), ("KES 1e400", (None, None)),
     ("KES 123456789", (None, None)), ("KES 0.80001", (None, None)), ("KES -1", (None, None)),
     (["KES", "0.8"], (None, None)), (0.8, (None, None))],
)
def test_parse_cost(cost, expected):
    assert parse_cost(cost) == expected


@responses.activate
@pytest.mark.parametrize("code", ["abc", None, True, 101.5, [101], "1e2"])
def test_an_unreadable_status_code_or_cost_is_never_success_and_never_a_crash(sms, code):
    """Unreadable values after the provider took the batch: the recipient is FAILED, the cost unknown."""
    responses.post(AT_URL, json=at_answer(at_recipient("+254711000001", code=code, cost="KES 1e400",
                                                       message_id={"id": 1})))
    (result,) = sms.send(["+254711000001"], "Habari")
    assert (result.status, result.cost_amount, result.provider_id) == (FAILED, None, None)


@responses.activate
def test_an_answer_nested_too_deep_is_a_send_error_not_a_crash(sms):
    responses.post(AT_URL, body="[" * 10_000 + "]" * 10_000, content_type="application/json")
    with pytest.raises(SendError):
        sms.send(["+254711000001"], "Habari")


def twilio_message(status="queued", error_code=None, error_message=None, **fields):
    return {
        "sid": "SM" + "1" * 32,
        "account_sid": SID,
        "from": "whatsapp:+14155238886",
        "to": "whatsapp:+254711000001",
        "body": fields.get("body", "Habari"),
        "status": status,
        "num_segments": "1",
        "direction": "outbound-api",
        "error_code": error_code,
        "error_message": error_message,
        "price": None,
        "price_unit": "USD",
        "date_created": "Thu, 24 Jul 2025 10:00:00 +0000",
        "uri": f"/2010-04-01/Accounts/{SID}/Messages/SM{'1' * 32}.json",
    }


def twilio_error(code, message, status):
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@pytest.fixture
def whatsapp():
    return TwilioWhatsAppSender(SID, "token", "+14155238886")


@responses.activate
def test_twilio_free_form_success(whatsapp):
    responses.post(TWILIO_URL, json=twilio_message(), status=201)
    result = whatsapp.send("+254711000001", "Habari")
    sent = form(responses.calls[0])
    assert sent == {"From": "whatsapp:+14155238886", "To": "whatsapp:+254711000001", "Body": "Habari"}
    assert result.status == ACCEPTED and result.provider_id == "SM" + "1" * 32 and result.provider_status == "queued"


@responses.activate
def test_twilio_template_sends_content_sid_and_json_variables(whatsapp):
    responses.post(TWILIO_URL, json=twilio_message(), status=201)
    result = whatsapp.send("+254711000001", content_sid="HX" + "2" * 32, content_variables={"1": "KES 1,500"})
    sent = form(responses.calls[0])
    assert sent["ContentSid"] == "HX" + "2" * 32
    assert json.loads(sent["ContentVariables"]) == {"1": "KES 1,500"}
    assert "Body" not in sent
    assert result.ok


def test_twilio_needs_exactly_one_of_text_or_template(whatsapp):
    with pytest.raises(ValueError):
        whatsapp.send("+254711000001")
    with pytest.raises(ValueError):
        whatsapp.send("+254711000001", "Habari", content_sid="HX1")


@responses.activate
def test_twilio_outside_window(whatsapp):
    message = "Failed to send freeform message because you are outside the allowed window."
    responses.post(TWILIO_URL, json=twilio_error(63016, message, 400), status=400)
    with pytest.raises(OutsideWindowError):
        whatsapp.send("+254711000001", "Habari")


@responses.activate
def test_twilio_outside_window_reported_on_the_created_message(whatsapp):
    responses.post(TWILIO_URL, json=twilio_message("failed", 63016, "outside the allowed window"), status=201)
    with pytest.raises(OutsideWindowError):
        whatsapp.send("+254711000001", "Habari")


@responses.activate
@pytest.mark.parametrize(("status", "code"), [(500, 20500), (503, 20503), (429, 20429)])
def test_twilio_server_errors_are_transient(whatsapp, status, code):
    responses.post(TWILIO_URL, json=twilio_error(code, "Service unavailable", status), status=status)
    with pytest.raises(TransientSendError):
        whatsapp.send("+254711000001", "Habari")


@responses.activate
def test_twilio_network_failure_is_transient(whatsapp):
    responses.post(TWILIO_URL, body=requests.exceptions.ConnectTimeout("slow"))
    with pytest.raises(TransientSendError):
        whatsapp.send("+254711000001", "Habari")


@responses.activate
def test_twilio_client_error_is_a_failed_result(whatsapp):
    message = "The 'To' number whatsapp:+254 is not a valid phone number."
    responses.post(TWILIO_URL, json=twilio_error(21211, message, 400), status=400)
    result = whatsapp.send("+254", "Habari")
    assert result.status == FAILED and result.status_code == 21211 and "not a valid phone number" in result.reason


@responses.activate
def test_twilio_base_url_override_is_used():
    fake = f"http://twilio.fake:8080/2010-04-01/Accounts/{SID}/Messages.json"
    responses.post(fake, json=twilio_message(), status=201)
    sender = TwilioWhatsAppSender(SID, "token", "whatsapp:+14155238886", api_url="http://twilio.fake:8080/")
    assert sender.send("whatsapp:+254711000001", "Habari").ok
    assert responses.calls[0].request.url == fake
    assert form(responses.calls[0])["To"] == "whatsapp:+254711000001"


def test_build_senders_falls_back_to_the_console_without_credentials(capsys):
    config = {"AT_USERNAME": "sandbox", "AT_API_KEY": "", "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": ""}
    senders = build_senders(config)
    assert isinstance(senders["sms"], ConsoleSender) and isinstance(senders["whatsapp"], ConsoleSender)
    (result,) = senders["sms"].send(["+254711000001"], "Habari")
    single = senders["whatsapp"].send("+254711000001", "Karibu")
    out = capsys.readouterr().out
    assert "[sms -> +254711000001] Habari" in out
    assert "[whatsapp -> +254711000001] Karibu" in out
    assert result.ok and result.provider_id.startswith("console-") and result.segments == 1
    assert single.ok and single.provider_id.startswith("console-")


def test_console_shows_templates():
    stream = io.StringIO()
    ConsoleSender("whatsapp", stream=stream).send("+254711000001", content_sid="HX1", content_variables='{"1":"x"}')
    assert stream.getvalue() == '[whatsapp -> +254711000001] <template HX1 {"1":"x"}>\n'


def test_build_senders_uses_the_providers_with_credentials():
    config = {
        "AT_USERNAME": "pamoja",
        "AT_API_KEY": "at-key",
        "AT_SENDER_ID": "",
        "AFRICASTALKING_API_URL": "http://at.fake:9000",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_WHATSAPP_FROM": "+14155238886",
        "TWILIO_API_URL": "",
    }
    senders = build_senders(config)
    assert isinstance(senders["sms"], AfricasTalkingSmsSender) and senders["sms"].sender_id is None
    assert isinstance(senders["whatsapp"], TwilioWhatsAppSender)


@responses.activate
def test_twilio_asks_for_status_callbacks_at_the_public_url():
    sender = build_senders({"AT_API_KEY": "", "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "token",
                            "TWILIO_WHATSAPP_FROM": "+14155238886", "PUBLIC_URL": "https://pamoja.example/"})["whatsapp"]
    responses.post(TWILIO_URL, json=twilio_message(), status=201)
    sender.send("+254711000001", "Habari")
    assert form(responses.calls[0])["StatusCallback"] == "https://pamoja.example/whatsapp/status"


@responses.activate
@pytest.mark.parametrize("segments", ["abc", "", None, "1e9", "-2", True])
def test_twilio_unreadable_segment_count_is_one_not_a_crash_after_the_send(whatsapp, segments):
    responses.post(TWILIO_URL, json={**twilio_message(), "num_segments": segments}, status=201)
    result = whatsapp.send("+254711000001", "Habari")
    assert result.status == ACCEPTED and result.segments == 1


@responses.activate
def test_twilio_unreadable_success_answer_is_an_unknown_outcome_not_a_resend(whatsapp):
    responses.post(TWILIO_URL, body="<html>gateway</html>", status=201, content_type="application/json")
    with pytest.raises(UnknownOutcomeError):
        whatsapp.send("+254711000001", "Habari")


@pytest.fixture
def no_proxy_environment(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
                 "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_sms_sender_reads_the_proxy_environment_once_when_built(no_proxy_environment):
    """requests looked through the whole environment at every request (issue 17): now once, with the same outcome."""
    no_proxy_environment.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    no_proxy_environment.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")

    session = AfricasTalkingSmsSender("pamoja", "at-key").http

    assert session.trust_env is False  # nothing is read from the environment at a request any more
    assert session.proxies["https"] == "http://proxy.internal:3128"
    assert session.verify == "/etc/ssl/certs/ca-certificates.crt"

    no_proxy_environment.setenv("NO_PROXY", "api.africastalking.com")
    assert "https" not in AfricasTalkingSmsSender("pamoja", "at-key").http.proxies  # NO_PROXY covers the host


@responses.activate
def test_the_sms_sender_without_proxy_variables_sends_directly(no_proxy_environment):
    responses.post(AT_URL, json=at_answer(at_recipient("+254700000001")), status=201)

    sender = AfricasTalkingSmsSender("pamoja", "at-key")
    [result] = sender.send(["+254700000001"], "Hello")

    assert result.status == ACCEPTED
    assert sender.http.proxies == {}
    assert sender.http.verify is True
