"""Safaricom M-Pesa Daraja: STK push collections, B2C disbursements, their callbacks.

Daraja has no idempotency key, so nothing here ever resends a request on its own: a
push or B2C call whose answer was lost is settled by a query or a callback. Every call
goes through `ProviderHttp` (timeouts, circuit breaker, one token refresh on a 401).

How callbacks find their payment: an STK callback and an STK query carry the
`CheckoutRequestID` returned in the push's Ack; a B2C result or queue-timeout
callback carries `OriginatorConversationID`, which is our own `reference` (B2C v3
lets us choose it), so `provider_ref` is the reference itself.

B2C status: Daraja's Transaction Status API is asynchronous (its answer is posted
later to a ResultURL under a new ConversationID, in a different Result shape), so
`query_status` for a disbursement answers "pending" without calling Daraja; the B2C
result and queue-timeout callbacks settle disbursements, and an operator reviews those
still pending after reconciliation. Resending a B2C would risk paying twice.
"""

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

from app.clock import SystemClock
from app.payments.providers import inbound
from app.payments.providers.base import (
    DISBURSEMENT,
    Ack,
    MalformedCallback,
    ProviderRejected,
    ProviderResult,
    TokenCache,
    TransientProviderError,
    UnreadableCallback,
)
from app.payments.providers.circuit import CircuitBreaker, ProviderHttp, json_object, raise_for_http_error

NAME = "mpesa"
CURRENCY = "KES"
NAIROBI = ZoneInfo("Africa/Nairobi")

STK_RESULT_REASONS = {
    1: "insufficient_funds",
    17: "internal_error",
    26: "busy",
    1001: "busy",
    1019: "expired",
    1025: "push_failed",
    1032: "cancelled",
    1037: "unreachable",
    2001: "wrong_pin",
}
"""STK push ResultCode -> reason; 0 is success, anything unlisted is "rejected"."""

B2C_RESULT_REASONS = {
    1: "insufficient_float",
    17: "internal_error",
    26: "busy",
    2001: "credentials",
    2040: "payee_not_found",
}
"""B2C ResultCode -> reason. Here 1 is OUR float running dry and 2001 a bad initiator, not the member."""

PROCESSING = "500.001.1001"
"""Daraja's errorCode (HTTP 500) for "still processing" (query) or "subscriber locked" (push)."""

INVALID_TOKEN = "404.001.03"
"""Daraja's errorCode for an access token it does not accept."""

ACCOUNT_REFERENCE_MAX = 12
TRANSACTION_DESC_MAX = 13
REMARKS_MAX = 100


def _check_answer(response):
    """Classify a Daraja answer; return its JSON body when it is a 2xx with ResponseCode "0"."""
    body = json_object(response)
    code = body.get("errorCode")
    raise_for_http_error(response, body, code=code, message=body.get("errorMessage"),
                         token_refused=code == INVALID_TOKEN, token_message="invalid access token")
    if not body:
        raise TransientProviderError(f"HTTP {response.status_code} without a JSON body")
    if "ResponseCode" in body and str(body["ResponseCode"]) != "0":
        reason = STK_RESULT_REASONS.get(_int(body["ResponseCode"]), "rejected")
        raise ProviderRejected(reason, body.get("ResponseDescription", ""), code=str(body["ResponseCode"]), raw=body)
    return body


def _int(value):
    """An integer code as Daraja sends it (`0`, `"0"`, `"1032"`); None for anything else.

    Strict on purpose: `int()` would read `False`, `0.5` and `" 0 "` as 0, which is success.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        return int(value)
    return None


def _phone_digits(phone):
    """`+254712345678` -> `254712345678`; Daraja takes Kenyan numbers only."""
    digits = phone.removeprefix("+")
    if not (digits.isdigit() and digits.startswith("254") and len(digits) == 12):
        raise ProviderRejected("invalid_phone", f"not a Kenyan mobile number: {phone}")
    return digits


def _whole_shillings(amount):
    if amount.currency != CURRENCY:
        raise ProviderRejected("currency", f"M-Pesa moves KES, not {amount.currency}")
    major = amount.major
    if major <= 0 or major != major.to_integral_value():
        raise ProviderRejected("invalid_amount", f"M-Pesa takes whole shillings only, got {major}")
    return int(major)


def _e164(number):
    digits = str(number).strip().split(" ")[0].removeprefix("+")
    return f"+{digits}" if digits.isdigit() else None


def _kes(value, name):
    """A Daraja amount (a number of shillings) as Money; None when missing, UnreadableCallback when unreadable."""
    return inbound.major_amount(value, CURRENCY, name)


def _values(entries, key_name, name):
    """Daraja's `[{Name|Key, Value}]` list as a dict; UnreadableCallback when it is not that shape.

    Daraja sends a lone entry as an object rather than a one-item list.
    """
    entries = [entries] if isinstance(entries, dict) else inbound.listing(entries, name)
    values = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise UnreadableCallback(f"{name} entry is a {type(entry).__name__}")
        key = inbound.text(entry.get(key_name), f"{name}.{key_name}")
        if key in values:
            raise UnreadableCallback(f"{name} gives {key} twice")
        values[key] = entry.get("Value")
    return values


def _nairobi_time(value):
    """Daraja's `YYYYMMDDHHMMSS` number (or `dd.mm.yyyy HH:MM:SS` text) in Nairobi time."""
    text = str(value or "")
    for fmt in ("%Y%m%d%H%M%S", "%d.%m.%Y %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=NAIROBI)
        except ValueError:
            continue
    return None


class MpesaDaraja:
    """The Daraja client; `config` holds the MPESA_* settings, PUBLIC_URL and CALLBACK_TOKEN."""

    name = NAME

    def __init__(self, config, redis, *, session=None, clock=None, breaker=None):
        self.config = config
        self.base_url = config["MPESA_BASE_URL"].rstrip("/")
        self.clock = clock or SystemClock()
        self.breaker = breaker or CircuitBreaker(redis, NAME, clock=self.clock)
        self.http = ProviderHttp(self.breaker, session=session)
        self.tokens = TokenCache(redis, NAME, "default", self._fetch_token)

    # -- plumbing -------------------------------------------------------------------

    def _fetch_token(self):
        def handle(response):
            body = json_object(response)
            if response.status_code >= 500:
                raise TransientProviderError(f"token HTTP {response.status_code}", raw=body)
            if response.status_code >= 400 or "access_token" not in body:
                raise ProviderRejected("unauthorized", "Daraja refused our consumer key/secret", raw=body)
            return body["access_token"], body.get("expires_in", 3599)

        return self.http.send("GET", f"{self.base_url}/oauth/v1/generate", handle,
                              params={"grant_type": "client_credentials"},
                              auth=(self.config["MPESA_CONSUMER_KEY"], self.config["MPESA_CONSUMER_SECRET"]))

    def _post(self, path, body, handle=_check_answer):
        return self.http.send_authorized("POST", f"{self.base_url}{path}", handle, tokens=self.tokens, json=body)

    def _callback_url(self, path):
        return f"{self.config['PUBLIC_URL'].rstrip('/')}{path}?token={self.config['CALLBACK_TOKEN']}"

    def _password(self):
        """(Password, Timestamp): base64(shortcode + passkey + timestamp), Nairobi time."""
        timestamp = self.clock.now().astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")
        raw = f"{self.config['MPESA_SHORTCODE']}{self.config['MPESA_PASSKEY']}{timestamp}"
        return base64.b64encode(raw.encode()).decode(), timestamp

    # -- collections: STK push ------------------------------------------------------

    def request_collection(self, req):
        """Send an STK push; Ack.provider_ref is the CheckoutRequestID."""
        amount = _whole_shillings(req.amount)
        phone = _phone_digits(req.phone)
        password, timestamp = self._password()
        shortcode = str(self.config["MPESA_SHORTCODE"])
        account = "".join(ch for ch in req.reference if ch.isalnum())[:ACCOUNT_REFERENCE_MAX] or "Pamoja"
        body = {
            "BusinessShortCode": shortcode,
            "Password": password,
            "Timestamp": timestamp,
            "TransactionType": self.config.get("MPESA_TRANSACTION_TYPE") or "CustomerPayBillOnline",
            "Amount": amount,
            "PartyA": phone,
            "PartyB": shortcode,
            "PhoneNumber": phone,
            "CallBackURL": self._callback_url("/payments/mpesa/callback"),
            "AccountReference": account,
            "TransactionDesc": (req.description or "Payment")[:TRANSACTION_DESC_MAX],
        }

        def handle(response):
            if response.status_code == 500 and json_object(response).get("errorCode") == PROCESSING:
                # "Unable to lock subscriber": the member has another M-Pesa prompt open.
                raise ProviderRejected("busy", json_object(response).get("errorMessage", ""), code=PROCESSING)
            return _check_answer(response)

        answer = self._post("/mpesa/stkpush/v1/processrequest", body, handle)
        return Ack(provider_ref=answer["CheckoutRequestID"], raw=answer)

    def _query_stk(self, req):
        if not req.provider_ref:
            # The push was never acknowledged: there is no CheckoutRequestID to ask about.
            return ProviderResult("pending", None, "not_acknowledged", None, None, None, {})
        password, timestamp = self._password()
        body = {"BusinessShortCode": str(self.config["MPESA_SHORTCODE"]), "Password": password,
                "Timestamp": timestamp, "CheckoutRequestID": req.provider_ref}

        def handle(response):
            answer = json_object(response)
            if response.status_code == 500 and answer.get("errorCode") == PROCESSING:
                return answer  # "The transaction is being processed": still pending
            return _check_answer(response)

        answer = self._post("/mpesa/stkpushquery/v1/query", body, handle)
        if "ResultCode" not in answer:
            return ProviderResult("pending", req.provider_ref, None, None, None, None, answer)
        status, reason = _stk_outcome(answer["ResultCode"])
        return ProviderResult(status, answer.get("CheckoutRequestID", req.provider_ref), reason,
                              None, None, None, answer)

    # -- disbursements: B2C ---------------------------------------------------------

    def send_disbursement(self, req):
        """Send a B2C payment; Ack.provider_ref is the OriginatorConversationID (= req.reference)."""
        body = {
            "OriginatorConversationID": req.reference,
            "InitiatorName": self.config["MPESA_INITIATOR_NAME"],
            "SecurityCredential": self.config["MPESA_SECURITY_CREDENTIAL"],
            "CommandID": self.config.get("MPESA_B2C_COMMAND_ID") or "BusinessPayment",
            "Amount": _whole_shillings(req.amount),
            "PartyA": str(self.config["MPESA_B2C_SHORTCODE"]),
            "PartyB": _phone_digits(req.phone),
            "Remarks": (req.description or "Payment")[:REMARKS_MAX],
            "QueueTimeOutURL": self._callback_url("/payments/mpesa/timeout"),
            "ResultURL": self._callback_url("/payments/mpesa/callback"),
            "Occasion": req.reference[:REMARKS_MAX],
        }
        answer = self._post("/mpesa/b2c/v3/paymentrequest", body)
        return Ack(provider_ref=answer.get("OriginatorConversationID") or req.reference, raw=answer)

    def query_status(self, req):
        """STK: ask Daraja. B2C: "pending" without a call (see the module docstring)."""
        if req.direction == DISBURSEMENT:
            return ProviderResult("pending", req.provider_ref or req.reference, "no_status_api", None, None, None, {})
        return self._query_stk(req)

    # -- callbacks ------------------------------------------------------------------

    def parse_callback(self, payload, *, kind="stk"):
        """Read an STK callback, a B2C result or a B2C queue timeout (shape decides, `kind` hints).

        Raises MalformedCallback for anything else, UnreadableCallback (a MalformedCallback)
        for a value that cannot be read (see `inbound.py`).
        """
        if not isinstance(payload, dict):
            raise MalformedCallback("callback body is not a JSON object")
        stk = (payload.get("Body") or {}).get("stkCallback") if isinstance(payload.get("Body"), dict) else None
        if isinstance(stk, dict):
            return _parse_stk(stk, payload)
        result = payload.get("Result")
        if kind == "timeout":
            return _parse_timeout(result if isinstance(result, dict) else payload, payload)
        if isinstance(result, dict):
            return _parse_b2c(result, payload)
        raise MalformedCallback("neither Body.stkCallback nor Result")


def _stk_outcome(result_code):
    code = _int(result_code)
    if code is None:
        error = MalformedCallback if result_code is None else UnreadableCallback
        raise error(f"ResultCode {result_code!r:.40}")
    if code == 0:
        return "succeeded", None
    return "failed", STK_RESULT_REASONS.get(code, "rejected")


def _reference(value, name):
    ref = inbound.text(value, name)
    if not ref:
        raise MalformedCallback(f"callback without {name}")
    return ref


def _parse_stk(stk, payload):
    checkout_id = _reference(stk.get("CheckoutRequestID"), "CheckoutRequestID")
    status, reason = _stk_outcome(stk.get("ResultCode"))
    metadata = inbound.mapping(stk.get("CallbackMetadata"), "CallbackMetadata")
    items = _values(metadata.get("Item"), "Name", "CallbackMetadata.Item")
    phone = inbound.text(items.get("PhoneNumber"), "PhoneNumber")
    receipt = inbound.text(items.get("MpesaReceiptNumber"), "MpesaReceiptNumber")
    return ProviderResult(status, checkout_id, reason, receipt, _kes(items.get("Amount"), "Amount"),
                          _e164(phone) if phone else None, payload,
                          completed_at=_nairobi_time(inbound.text(items.get("TransactionDate"), "TransactionDate")))


def _parse_b2c(result, payload):
    ref = _reference(result.get("OriginatorConversationID") or result.get("ConversationID"),
                     "OriginatorConversationID")
    code = _int(result.get("ResultCode"))
    if code is None:
        error = MalformedCallback if result.get("ResultCode") is None else UnreadableCallback
        raise error(f"ResultCode {result.get('ResultCode')!r:.40}")
    parameters = inbound.mapping(result.get("ResultParameters"), "ResultParameters")
    values = _values(parameters.get("ResultParameter"), "Key", "ResultParameters.ResultParameter")
    if code != 0:
        return ProviderResult("failed", ref, B2C_RESULT_REASONS.get(code, "rejected"), None, None, None, payload)
    receiver = inbound.text(values.get("ReceiverPartyPublicName"), "ReceiverPartyPublicName", max_length=200)
    receipt = inbound.text(result.get("TransactionID"), "TransactionID") or inbound.text(
        values.get("TransactionReceipt"), "TransactionReceipt")
    return ProviderResult("succeeded", ref, None, receipt, _kes(values.get("TransactionAmount"), "TransactionAmount"),
                          _e164(receiver) if receiver else None, payload,
                          completed_at=_nairobi_time(inbound.text(values.get("TransactionCompletedDateTime"),
                                                                  "TransactionCompletedDateTime")))


def _parse_timeout(result, payload):
    """A queue timeout is not a failure: Daraja may still complete the B2C. Status "pending", reason "timeout"."""
    ref = _reference(result.get("OriginatorConversationID") or result.get("ConversationID"),
                     "OriginatorConversationID")
    return ProviderResult("pending", ref, "timeout", None, None, None, payload)
