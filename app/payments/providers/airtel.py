"""Airtel Money (Airtel Africa Open API): collections (a USSD push), disbursements, enquiries, refunds.

Airtel lets us choose the transaction id and refuses a second request with the same
one (`ESB000041` for a collection, `DP00900001011` for a disbursement), so the id is
our own `reference` and a request whose answer was lost may be sent again: the
duplicate answer tells us the first one arrived (resend safe, like MTN MoMo). The
reference is also `provider_ref`, so a callback that comes before the acknowledgement
was stored still finds its payment.

Airtel answers HTTP 200 for business failures too: `status.success` and
`status.response_code` are the answer (`DP008000010xx` collections, `DP009000010xx`
disbursements); the enquiry's `data.transaction.status` (`TS`, `TF`, `TA`, `TIP`, `TE`)
is the truth about a transaction.

Callbacks are unsigned unless "callback authentication" is on in Airtel's portal, so a
callback is only a hint (`CALLBACKS_NEED_CONFIRMATION`): the payments service confirms
an open payment's callback by enquiry before anything is posted, and a forged one
changes nothing.

Every call carries `X-Country` and `X-Currency`: the country of the member's number and
the payment's currency; the number itself goes without its country code. Disbursements
carry the wallet PIN (AIRTEL_DISBURSEMENT_PIN) RSA-encrypted with Airtel's public key
(AIRTEL_PUBLIC_KEY, PKCS#1 v1.5, Base64). Tokens last 3 minutes and are cached in Redis
like the other operators'; every call goes through `ProviderHttp`.
"""

import base64
from functools import cached_property

import phonenumbers
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

from app.clock import SystemClock
from app.payments.providers import inbound
from app.payments.providers.base import (
    COLLECTION,
    DISBURSEMENT,
    Ack,
    MalformedCallback,
    ProviderRejected,
    ProviderResult,
    TokenCache,
    TransientProviderError,
)
from app.payments.providers.circuit import CircuitBreaker, ProviderHttp, json_object, raise_for_http_error

NAME = "airtel"

CALLBACKS_NEED_CONFIRMATION = True
"""An Airtel callback is a hint: the payments service asks the enquiry before posting (see above)."""

PATHS = {COLLECTION: "/merchant/v1/payments/", DISBURSEMENT: "/standard/v1/disbursements/"}
ENQUIRY_PATHS = {COLLECTION: "/standard/v1/payments/", DISBURSEMENT: "/standard/v1/disbursements/"}
REFUND_PATH = "/standard/v1/payments/refund"

COLLECTION_IN_PROCESS = {"DP00800001000", "DP00800001006"}
"""Ambiguous (enquire) and in process: sent, not paid."""

COLLECTION_REASONS = {
    "DP00800001002": "wrong_pin",
    "DP00800001003": "limit_reached",
    "DP00800001004": "amount_too_small",
    "DP00800001005": "expired",
    "DP00800001007": "insufficient_funds",
    "DP00800001008": "rejected",
    "DP00800001009": "rejected",
    "DP00800001010": "payer_not_found",
    "DP00800001024": "expired",
    "DP00800001025": "not_found",
    "DP00800001026": "signature",
    "DP00800001029": "expired",
}
"""Collection `response_code` -> our reason; anything unlisted is "rejected"."""

DISBURSEMENT_IN_PROCESS = {"DP00900001006", "DP00900001011", "DP00900001014"}
"""In process, a similar transaction exists (our id came twice), timed out: all settled by enquiry."""

DISBURSEMENT_REASONS = {"DP00900001007": "insufficient_float", "DP00900001010": "payee_not_found"}
"""Disbursement `response_code` -> our reason; `07` is OUR wallet running dry."""

DUPLICATE_ID = "ESB000041"
"""`result_code` for "External transaction ID already exists": our earlier request arrived."""

TRANSACTION_STATUS = {"TS": "succeeded", "TF": "failed", "TE": "failed", "TA": "pending", "TIP": "pending"}
"""Enquiry and callback `status` -> ours; TA (ambiguous) and TIP (in progress) mean ask again later."""

NOT_FOUND_CODES = {"DP00800001025", "ESB000008"}
"""An enquiry about an id Airtel never received."""


def _status(body):
    return inbound.mapping(body.get("status"), "status")


def _codes(body):
    """(success, response_code, result_code) of an Airtel answer."""
    status = _status(body)
    return (status.get("success") is True, inbound.text(status.get("response_code"), "response_code"),
            inbound.text(status.get("result_code"), "result_code"))


def _transaction(body):
    return inbound.mapping(inbound.mapping(body.get("data"), "data").get("transaction"), "data.transaction")


def _check_http(response):
    """Raise for an HTTP error (401 token, 429/5xx transient, 4xx rejected); return the JSON body otherwise."""
    body = json_object(response)
    _, response_code, _ = _codes(body) if body else (False, None, None)
    raise_for_http_error(response, body, code=response_code, message=_status(body).get("message") if body else None)
    if not body:
        raise TransientProviderError(f"HTTP {response.status_code} without a JSON body")
    return body


def _failure_reason(direction, response_code):
    if direction == DISBURSEMENT:
        return DISBURSEMENT_REASONS.get(response_code, "rejected")
    return COLLECTION_REASONS.get(response_code, "rejected")


def _party(phone):
    """(country, national number) of an E.164 number: Airtel wants the msisdn without its country code."""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException as exc:
        raise ProviderRejected("invalid_phone", f"not a phone number: {phone}") from exc
    country = phonenumbers.region_code_for_number(number)
    if not country or not phonenumbers.is_valid_number(number):
        raise ProviderRejected("invalid_phone", f"not a mobile number: {phone}")
    return country, str(number.national_number)


def _whole_amount(amount):
    """The amount in whole units, as Airtel's wallets move them; a fraction is refused before anything is sent."""
    major = amount.major
    if major <= 0 or major != major.to_integral_value():
        raise ProviderRejected("invalid_amount", f"Airtel Money takes whole units only, got {major}")
    return int(major)


def _outcome(transaction, ref, raw, direction):
    """An enquiry's or callback's `transaction` -> ProviderResult (no amount: Airtel does not say)."""
    code = inbound.text(transaction.get("status") or transaction.get("status_code"), "transaction.status")
    status = TRANSACTION_STATUS.get((code or "").upper())
    if status is None:
        raise MalformedCallback(f"unknown Airtel transaction status {code!r:.20}")
    receipt = inbound.text(transaction.get("airtel_money_id"), "airtel_money_id")
    reason = None
    if status == "failed":
        reason = "expired" if code.upper() == "TE" else _failure_reason(
            direction, inbound.text(transaction.get("response_code"), "response_code"))
    return ProviderResult(status, ref, reason, receipt if status == "succeeded" else None, None, None, raw)


def load_public_key(text):
    """Airtel's RSA public key as its portal gives it (Base64 DER) or as PEM."""
    text = (text or "").strip()
    if not text:
        raise ProviderRejected("configuration", "AIRTEL_PUBLIC_KEY is not set")
    if "BEGIN" in text:
        return serialization.load_pem_public_key(text.encode())
    return serialization.load_der_public_key(base64.b64decode("".join(text.split())))


class AirtelMoney:
    """The Airtel Money client; `config` holds the AIRTEL_* settings."""

    name = NAME
    resend_safe = True
    callbacks_need_confirmation = CALLBACKS_NEED_CONFIRMATION

    def __init__(self, config, redis, *, session=None, clock=None, breaker=None):
        self.config = config
        self.base_url = config["AIRTEL_BASE_URL"].rstrip("/")
        self.breaker = breaker or CircuitBreaker(redis, NAME, clock=clock or SystemClock())
        self.http = ProviderHttp(self.breaker, session=session)
        self.tokens = TokenCache(redis, NAME, "default", self._fetch_token)

    # -- plumbing -------------------------------------------------------------------

    def _fetch_token(self):
        def handle(response):
            body = json_object(response)
            if response.status_code >= 500 or response.status_code == 429:
                raise TransientProviderError(f"token HTTP {response.status_code}", raw=body)
            if response.status_code >= 400 or "access_token" not in body:
                raise ProviderRejected("unauthorized", "Airtel refused our client id/secret", raw=body)
            return body["access_token"], body.get("expires_in", 180)  # "180": a string, read by TokenCache

        return self.http.send("POST", f"{self.base_url}/auth/oauth2/token", handle,
                              json={"client_id": self.config["AIRTEL_CLIENT_ID"],
                                    "client_secret": self.config["AIRTEL_CLIENT_SECRET"],
                                    "grant_type": "client_credentials"})

    def _call(self, method, path, handle, *, country, currency, **kwargs):
        headers = {"X-Country": country, "X-Currency": currency, "Accept": "*/*"}
        return self.http.send_authorized(method, f"{self.base_url}{path}", handle, tokens=self.tokens,
                                         headers=headers, **kwargs)

    @cached_property
    def _public_key(self):
        return load_public_key(self.config.get("AIRTEL_PUBLIC_KEY"))

    def encrypted_pin(self):
        """The disbursement wallet's PIN, RSA-encrypted (PKCS#1 v1.5) with Airtel's public key, Base64."""
        pin = str(self.config.get("AIRTEL_DISBURSEMENT_PIN") or "")
        if not pin:
            raise ProviderRejected("configuration", "AIRTEL_DISBURSEMENT_PIN is not set")
        return base64.b64encode(self._public_key.encrypt(pin.encode(), padding.PKCS1v15())).decode()

    # -- requests -------------------------------------------------------------------

    def request_collection(self, req):
        """A USSD push to the member; Ack.provider_ref is our reference (Airtel's transaction.id)."""
        country, msisdn = _party(req.phone)
        currency = req.amount.currency
        amount = _whole_amount(req.amount)
        body = {"reference": (req.description or "Payment")[:64],
                "subscriber": {"country": country, "currency": currency, "msisdn": msisdn},
                "transaction": {"amount": amount, "country": country, "currency": currency, "id": req.reference}}
        return self._request(COLLECTION, req, body, country, currency)

    def send_disbursement(self, req):
        """Pay out to the member's wallet with our encrypted PIN; Ack.provider_ref is our reference."""
        country, msisdn = _party(req.phone)
        currency = req.amount.currency
        body = {"payee": {"msisdn": msisdn}, "reference": (req.description or "Payment")[:64],
                "pin": self.encrypted_pin(),
                "transaction": {"amount": _whole_amount(req.amount), "id": req.reference}}
        return self._request(DISBURSEMENT, req, body, country, currency)

    def _request(self, direction, req, body, country, currency):
        in_process = COLLECTION_IN_PROCESS if direction == COLLECTION else DISBURSEMENT_IN_PROCESS

        def handle(response):
            answer = _check_http(response)
            success, response_code, result_code = _codes(answer)
            if result_code == DUPLICATE_ID or response_code in in_process:
                return answer  # sent (or sent before, under this same id): the outcome comes later
            if success and response_code in ("DP00800001001", "DP00900001001"):
                return answer  # done at once; the callback or the enquiry settles it like any other
            raise ProviderRejected(_failure_reason(direction, response_code),
                                   str(_status(answer).get("message") or ""), code=response_code, raw=answer)

        answer = self._call("POST", PATHS[direction], handle, country=country, currency=currency, json=body)
        return Ack(provider_ref=req.reference, raw=answer)

    def query_status(self, req):
        """Transaction enquiry: TS/TF/TE settle it, TA/TIP stay pending; an id Airtel never got is "not_found"."""
        country, _ = _party(req.phone)
        direction = DISBURSEMENT if req.direction == DISBURSEMENT else COLLECTION
        ref = req.provider_ref or req.reference

        def handle(response):
            if response.status_code == 404:
                return None
            answer = _check_http(response)
            success, response_code, result_code = _codes(answer)
            if not success and (response_code in NOT_FOUND_CODES or result_code in NOT_FOUND_CODES):
                return None
            if not success:
                raise ProviderRejected("rejected", str(_status(answer).get("message") or ""),
                                       code=response_code, raw=answer)
            return answer

        answer = self._call("GET", f"{ENQUIRY_PATHS[direction]}{ref}", handle, country=country,
                            currency=req.amount.currency)
        if answer is None:
            return ProviderResult("failed", ref, "not_found", None, None, None, {})
        return _outcome(_transaction(answer), ref, answer, direction)

    def refund(self, req, receipt):
        """Refund a collection in full (Airtel refunds nothing less) by its `airtel_money_id` (our receipt).

        Returns a ProviderResult: "succeeded" when Airtel confirms, "pending" while in process;
        a refusal raises ProviderRejected. The operations work records it against the payment.
        """
        country, _ = _party(req.phone)

        def handle(response):
            answer = _check_http(response)
            success, response_code, _ = _codes(answer)
            if not success and response_code not in COLLECTION_IN_PROCESS:
                raise ProviderRejected(COLLECTION_REASONS.get(response_code, "rejected"),
                                       str(_status(answer).get("message") or ""), code=response_code, raw=answer)
            return answer

        answer = self._call("POST", REFUND_PATH, handle, country=country, currency=req.amount.currency,
                            json={"transaction": {"airtel_money_id": receipt}})
        transaction = _transaction(answer)
        word = (inbound.text(transaction.get("status"), "transaction.status") or "").upper()
        status = "succeeded" if word in ("SUCCESS", "TS") else "pending"
        return ProviderResult(status, req.provider_ref or req.reference, None,
                              inbound.text(transaction.get("airtel_money_id"), "airtel_money_id"),
                              req.amount, None, answer)

    # -- callbacks ------------------------------------------------------------------

    def parse_callback(self, payload, *, kind="callback"):
        """`{transaction{id, message, status_code, airtel_money_id}}` -> ProviderResult, a hint to confirm.

        `id` is our reference (so provider_ref and reference both). The direction is not
        in the body; the enquiry the service makes knows it from the payment.
        """
        if not isinstance(payload, dict):
            raise MalformedCallback("callback body is not a JSON object")
        transaction = inbound.mapping(payload.get("transaction"), "transaction")
        ref = inbound.text(transaction.get("id"), "transaction.id")
        if not ref:
            raise MalformedCallback("Airtel callback without transaction.id")
        return _outcome(transaction, ref, payload, COLLECTION)
