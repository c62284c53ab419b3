"""Safaricom M-Pesa Daraja: STK push collections, B2C disbursements, their callbacks.

Daraja has no idempotency key, so nothing here ever resends a request on its own: a
push or B2C call whose answer was lost is settled by a query or a callback. Every call
goes through `ProviderHttp` (timeouts, circuit breaker, one token refresh on a 401).

How callbacks find their payment: an STK callback and an STK query carry the
`CheckoutRequestID` returned in the push's Ack; a B2C result or queue-timeout
callback carries `OriginatorConversationID`, which is our own `reference` (B2C v3
lets us choose it), so `provider_ref` is the reference itself.

Result codes are numbers (`0`, `"1032"`) or text (`SFC_IC0003`, "the operator does not
exist"): both are answers. Anything else (`" 0"`, `0.5`, `true`) is unreadable, never
read as success. `4999` ("still under processing") and a query's HTTP 500
`500.001.1001` "The transaction is being processed" are pending, never failed.

Pay Bill or Buy Goods (MPESA_TRANSACTION_TYPE): a Pay Bill push names the paybill as both
`BusinessShortCode` and `PartyB`; a Buy Goods push (`CustomerBuyGoodsOnline`) names the
store number (MPESA_SHORTCODE, which also signs the Password) as `BusinessShortCode` and
the till (MPESA_TILL_NUMBER) as `PartyB`.

B2C status: Daraja's Transaction Status API is asynchronous. `query_status` for a
disbursement asks it (`OriginalConversationID` = our reference, `Occasion` = our
reference too) and answers "pending"; the result is posted to `/payments/mpesa/status`
in a Result whose own OriginatorConversationID is the query's, so it is matched by the
original's OriginatorConversationID among its ResultParameters (or the echoed Occasion)
and settles the payout (`TransactionStatus` Completed / Cancelled / Declined / Expired).
Resending a B2C would risk paying twice; asking for its status never does.

Reversal (refunds and recoveries, app/payments/refunds.py): `request_reversal` asks Daraja's
Reversal API (CommandID TransactionReversal) to reverse the original receipt: a C2B/STK
receipt back to the member (ReceiverParty the paybill) or a B2C receipt back to us (the B2C
shortcode). Ack.provider_ref is Daraja's OriginatorConversationID; the result is posted to
`/payments/mpesa/reversal` (timeouts to `/payments/mpesa/reversal-timeout`) with that id,
and read by `parse_callback(kind="reversal")`. Its status is asked like a B2C's (Transaction
Status). Never resent on its own, like everything here.

Float (app/payments/float_watch.py): `query_balance` asks Daraja's AccountBalance API for
the B2C shortcode; it is asynchronous too, so it answers None and the result is POSTed to
`/payments/mpesa/balance`, read by `parse_balance_result` (one account's available balance).
"""

import base64
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from app.clock import SystemClock
from app.money import Money
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
    callback_url,
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

STILL_PROCESSING = 4999
"""STK query ResultCode: "The transaction is still under processing": pending, never failed."""

TEXT_CODE = re.compile(r"[A-Z][A-Z0-9_.]{1,39}", re.ASCII)
"""A text result code as Daraja spells them (`SFC_IC0003`, `R000001`): a definite answer."""

PAY_BILL = "CustomerPayBillOnline"
BUY_GOODS = "CustomerBuyGoodsOnline"

STATUS_OUTCOMES = {"Completed": ("succeeded", None), "Cancelled": ("failed", "cancelled"),
                   "Declined": ("failed", "rejected"), "Expired": ("failed", "expired")}
"""Transaction Status `TransactionStatus` -> (status, reason); anything else is still pending."""

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


def _result_code(value):
    """A ResultCode as an int (`0`, `"1032"`) or a text code (`"SFC_IC0003"`); None when missing.

    UnreadableCallback for anything else: `" 0"`, `"0.0"`, `0.5` or `False` are never success.
    """
    if value is None:
        return None
    code = _int(value)
    if code is not None:
        return code
    if isinstance(value, str) and TEXT_CODE.fullmatch(value):
        return value
    raise UnreadableCallback(f"ResultCode {value!r:.40}")


def _still_processing(response, answer):
    """True for the query's "still processing" answers: HTTP 500 500.001.1001, or its words under another code."""
    if response.status_code < 500:
        return False
    words = str(answer.get("errorMessage") or "").lower()
    return answer.get("errorCode") == PROCESSING or "being processed" in words or "under processing" in words


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
    """The Daraja client; `config` holds the MPESA_* settings, PUBLIC_URL and the callback token
    (MPESA_CALLBACK_TOKEN or CALLBACK_TOKEN)."""

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
        return callback_url(self.config, NAME, path)

    def _parties(self):
        """(BusinessShortCode, PartyB, TransactionType): the paybill twice, or Buy Goods' store number and till."""
        shortcode = str(self.config["MPESA_SHORTCODE"])
        kind = self.config.get("MPESA_TRANSACTION_TYPE") or PAY_BILL
        if kind != BUY_GOODS:
            return shortcode, shortcode, kind
        till = str(self.config.get("MPESA_TILL_NUMBER") or "")
        if not till:
            raise ProviderRejected("configuration", "Buy Goods (MPESA_TRANSACTION_TYPE) without MPESA_TILL_NUMBER")
        return shortcode, till, kind

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
        shortcode, party_b, kind = self._parties()
        password, timestamp = self._password()
        account = "".join(ch for ch in req.reference if ch.isalnum())[:ACCOUNT_REFERENCE_MAX] or "Pamoja"
        body = {
            "BusinessShortCode": shortcode,
            "Password": password,
            "Timestamp": timestamp,
            "TransactionType": kind,
            "Amount": amount,
            "PartyA": phone,
            "PartyB": party_b,
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
            if _still_processing(response, answer):
                return answer  # "The transaction is being processed": still pending
            return _check_answer(response)

        answer = self._post("/mpesa/stkpushquery/v1/query", body, handle)
        if answer.get("ResultCode") is None:
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

    def _query_b2c(self, req):
        """Ask Transaction Status about a B2C; its answer comes later to /payments/mpesa/status."""
        ref = req.provider_ref or req.reference
        body = {
            "Initiator": self.config["MPESA_INITIATOR_NAME"],
            "SecurityCredential": self.config["MPESA_SECURITY_CREDENTIAL"],
            "CommandID": "TransactionStatusQuery",
            "OriginalConversationID": ref,
            "PartyA": str(self.config["MPESA_B2C_SHORTCODE"]),
            "IdentifierType": "4",
            "ResultURL": self._callback_url("/payments/mpesa/status"),
            "QueueTimeOutURL": self._callback_url("/payments/mpesa/status"),
            "Remarks": "Payout status",
            "Occasion": ref[:REMARKS_MAX],
        }
        answer = self._post("/mpesa/transactionstatus/v1/query", body)
        return ProviderResult("pending", ref, "status_asked", None, None, None, answer)

    # -- reversals ------------------------------------------------------------------

    def request_reversal(self, req):
        """Reverse `req.original_receipt` (Daraja Reversal); Ack.provider_ref is the OriginatorConversationID."""
        if not req.original_receipt:
            raise ProviderRejected("not_found", "a reversal needs the original M-Pesa receipt")
        receiver = (self.config["MPESA_SHORTCODE"] if req.original_direction != DISBURSEMENT
                    else self.config["MPESA_B2C_SHORTCODE"])
        body = {
            "Initiator": self.config["MPESA_INITIATOR_NAME"],
            "SecurityCredential": self.config["MPESA_SECURITY_CREDENTIAL"],
            "CommandID": "TransactionReversal",
            "TransactionID": req.original_receipt,
            "Amount": _whole_shillings(req.amount),
            "ReceiverParty": str(receiver),
            "RecieverIdentifierType": "11",  # sic: Daraja's spelling
            "ResultURL": self._callback_url("/payments/mpesa/reversal"),
            "QueueTimeOutURL": self._callback_url("/payments/mpesa/reversal-timeout"),
            "Remarks": (req.description or "Reversal")[:REMARKS_MAX],
            "Occasion": req.reference[:REMARKS_MAX],
        }
        answer = self._post("/mpesa/reversal/v1/request", body)
        ref = answer.get("OriginatorConversationID") or answer.get("ConversationID")
        if not ref:
            raise TransientProviderError("reversal acknowledged without a conversation id", raw=answer)
        return Ack(provider_ref=ref, raw=answer)

    def query_balance(self):
        """Ask AccountBalance for the B2C shortcode; None (the result comes to /payments/mpesa/balance)."""
        body = {
            "Initiator": self.config["MPESA_INITIATOR_NAME"],
            "SecurityCredential": self.config["MPESA_SECURITY_CREDENTIAL"],
            "CommandID": "AccountBalance",
            "PartyA": str(self.config["MPESA_B2C_SHORTCODE"]),
            "IdentifierType": "4",
            "Remarks": "Float check",
            "QueueTimeOutURL": self._callback_url("/payments/mpesa/balance"),
            "ResultURL": self._callback_url("/payments/mpesa/balance"),
        }
        self._post("/mpesa/accountbalance/v1/query", body)
        return None

    @staticmethod
    def parse_balance_result(payload, account):
        """The available balance of `account` ("Utility Account") in an AccountBalance result, as Money.

        None for a failed query (ResultCode not 0) or a result without that account; MalformedCallback
        for a body that is not a Result. The value reads "Working Account|KES|700000.00|700000.00|0.00|0.00
        &Utility Account|KES|...": name, currency, current, available, reserved, uncleared.
        """
        result = payload.get("Result") if isinstance(payload, dict) else None
        if not isinstance(result, dict):
            raise MalformedCallback("AccountBalance result without Result")
        if _result_code(result.get("ResultCode")) != 0:
            return None
        parameters = inbound.mapping(result.get("ResultParameters"), "ResultParameters")
        values = _values(parameters.get("ResultParameter"), "Key", "ResultParameters.ResultParameter")
        for entry in str(values.get("AccountBalance") or "").split("&"):
            fields = entry.split("|")
            if len(fields) >= 3 and fields[0].strip() == account:
                amount = fields[3] if len(fields) > 3 and fields[3].strip() else fields[2]
                try:
                    return Money.from_major(amount.strip(), fields[1].strip().upper())
                except (ValueError, ArithmeticError):
                    raise UnreadableCallback(f"AccountBalance amount {amount!r:.40}") from None
        return None

    def query_status(self, req):
        """STK: ask Daraja (the answer is the outcome). B2C and reversals: ask Transaction Status ("pending")."""
        if req.direction == DISBURSEMENT or req.original_receipt:
            return self._query_b2c(req)
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
        if kind == "reversal":
            return _parse_reversal(inbound.mapping(result, "Result"), payload)
        if kind == "status":
            return _parse_status(inbound.mapping(result, "Result"), payload)
        if kind == "timeout":
            return _parse_timeout(result if isinstance(result, dict) else payload, payload)
        if isinstance(result, dict):
            return _parse_b2c(result, payload)
        raise MalformedCallback("neither Body.stkCallback nor Result")


def _stk_outcome(result_code):
    code = _result_code(result_code)
    if code is None:
        raise MalformedCallback("callback without ResultCode")
    if code == 0:
        return "succeeded", None
    if code == STILL_PROCESSING:
        return "pending", None
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
    code = _result_code(result.get("ResultCode"))
    if code is None:
        raise MalformedCallback("B2C result without ResultCode")
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


def _parse_status(result, payload):
    """A Transaction Status result -> the ORIGINAL payout's outcome (pending when the query itself failed)."""
    parameters = inbound.mapping(result.get("ResultParameters"), "ResultParameters")
    values = _values(parameters.get("ResultParameter"), "Key", "ResultParameters.ResultParameter")
    reference = inbound.mapping(result.get("ReferenceData"), "ReferenceData")
    echoed = _values(reference.get("ReferenceItem"), "Key", "ReferenceData.ReferenceItem")
    ref = _reference(inbound.text(values.get("OriginatorConversationID"), "OriginatorConversationID")
                     or inbound.text(echoed.get("Occasion"), "Occasion"), "the payout's OriginatorConversationID")
    code = _result_code(result.get("ResultCode"))
    if code != 0:  # the query failed or timed out: it says nothing about the payout
        return ProviderResult("pending", ref, "status_unknown", None, None, None, payload)
    status, reason = STATUS_OUTCOMES.get(inbound.text(values.get("TransactionStatus"), "TransactionStatus"),
                                         ("pending", None))
    if status != "succeeded":
        return ProviderResult(status, ref, reason, None, None, None, payload)
    receiver = inbound.text(values.get("CreditPartyName"), "CreditPartyName", max_length=200)
    return ProviderResult("succeeded", ref, None, inbound.text(values.get("ReceiptNo"), "ReceiptNo"),
                          _kes(values.get("Amount"), "Amount"), _e164(receiver) if receiver else None, payload,
                          completed_at=_nairobi_time(inbound.text(values.get("FinalisedTime"), "FinalisedTime")))


def _parse_reversal(result, payload):
    """A Reversal result: succeeded (with the reversed Amount when Daraja gives it) or failed ("rejected")."""
    ref = _reference(result.get("OriginatorConversationID") or result.get("ConversationID"),
                     "OriginatorConversationID")
    code = _result_code(result.get("ResultCode"))
    if code is None:
        raise MalformedCallback("reversal result without ResultCode")
    if code != 0:
        return ProviderResult("failed", ref, "rejected", None, None, None, payload)
    parameters = result.get("ResultParameters")
    values = _values(inbound.mapping(parameters, "ResultParameters").get("ResultParameter"), "Key",
                     "ResultParameters.ResultParameter") if parameters is not None else {}
    return ProviderResult("succeeded", ref, None, inbound.text(result.get("TransactionID"), "TransactionID"),
                          _kes(values.get("Amount"), "Amount"), None, payload,
                          completed_at=_nairobi_time(inbound.text(values.get("TransCompletedTime"),
                                                                  "TransCompletedTime")))
