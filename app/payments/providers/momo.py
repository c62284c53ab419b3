"""MTN MoMo Open API: collection `requesttopay` and disbursement `transfer`, status, callbacks.

MoMo makes us choose the request id (`X-Reference-Id`, a UUID v4) and answers 409
when the same id comes again. We derive that id from our own reference
(`reference_uuid`: sha256 of the reference shaped as a v4 UUID), so a retried job
reuses it and a 409 tells us the first attempt arrived: sending twice is safe here,
unlike Daraja. Status and callbacks are found by that UUID (`provider_ref`); a
callback that lacks `referenceId` still carries `externalId` (our reference), from
which the UUID is derived again.

Each product (collection, disbursement) has its own subscription key, API user and
token; tokens are cached per product. Every call goes through `ProviderHttp`.
`query_balance` reads the disbursement account's available balance (the float payouts
draw on; app/payments/float_watch.py).
"""

import hashlib
import uuid
from dataclasses import replace

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
    callback_url,
)
from app.payments.providers.circuit import CircuitBreaker, ProviderHttp, json_object, raise_for_http_error

NAME = "momo"

PATHS = {COLLECTION: "/collection/v1_0/requesttopay", DISBURSEMENT: "/disbursement/v1_0/transfer"}
PARTY = {COLLECTION: "payer", DISBURSEMENT: "payee"}
CONFIG_PREFIX = {COLLECTION: "MOMO_COLLECTION", DISBURSEMENT: "MOMO_DISBURSEMENT"}

FAILURE_REASONS = {
    "PAYER_NOT_FOUND": "payer_not_found",
    "PAYEE_NOT_FOUND": "payee_not_found",
    "NOT_ENOUGH_FUNDS": "insufficient_funds",
    "APPROVAL_REJECTED": "cancelled",
    "EXPIRED": "expired",
    "PAYER_LIMIT_REACHED": "limit_reached",
    "INTERNAL_PROCESSING_ERROR": "internal_error",
    "INVALID_CURRENCY": "currency",
    "SERVICE_UNAVAILABLE": "unavailable",
}
"""MoMo failure `reason` (or error `code`) -> our reason; anything unlisted is "rejected"."""

ALREADY_EXISTS = "RESOURCE_ALREADY_EXIST"

SANDBOX = "sandbox"
SANDBOX_CURRENCY = "EUR"
"""MTN's sandbox takes only EUR: there the amount goes with the currency code EUR, the same number (no
exchange rate), and EUR amounts it reports back are read in MOMO_CURRENCY, so a deployment tries MoMo
with its own currency's payments before going live."""


def reference_uuid(reference):
    """The X-Reference-Id for `reference`: the same v4-shaped UUID every time."""
    return str(uuid.UUID(bytes=hashlib.sha256(reference.encode()).digest()[:16], version=4))


def _check_error(response):
    """Raise for an error answer (401 token, 5xx transient, 4xx rejected); return the JSON body otherwise."""
    body = json_object(response)
    code = body.get("code") if isinstance(body.get("code"), str) else None
    raise_for_http_error(response, body, code=code, message=body.get("message"),
                         reason=FAILURE_REASONS.get(code, "rejected"))
    return body


def _reason_code(reason):
    """MoMo gives `reason` as a string or as `{"code": ..., "message": ...}`."""
    if isinstance(reason, dict):
        return inbound.text(reason.get("code"), "reason.code")
    return inbound.text(reason, "reason")


def _parse_status(body, provider_ref, *, sandbox_currency=None):
    """A requesttopay/transfer body (status answer or callback) -> ProviderResult.

    `sandbox_currency`: in the sandbox, the currency its EUR amounts stand for (MOMO_CURRENCY).

    Values are read by `inbound` (a missing amount is None, an unreadable one raises
    UnreadableCallback); nothing here guesses what a strange value meant.
    """
    status = (inbound.text(body.get("status"), "status") or "").upper()
    direction = DISBURSEMENT if "payee" in body else COLLECTION
    party = inbound.mapping(body.get(PARTY[direction]), PARTY[direction])
    party_id = (inbound.text(party.get("partyId"), "partyId") or "").removeprefix("+")
    phone = f"+{party_id}" if party_id.isdigit() and party_id.isascii() else None
    currency = inbound.currency_code(body.get("currency"))
    if sandbox_currency and currency == SANDBOX_CURRENCY:
        currency = sandbox_currency
    amount = inbound.major_amount(body.get("amount"), currency)
    receipt = inbound.text(body.get("financialTransactionId"), "financialTransactionId")
    if status == "SUCCESSFUL":
        return ProviderResult("succeeded", provider_ref, None, receipt, amount, phone, body)
    if status == "FAILED":
        reason = FAILURE_REASONS.get(_reason_code(body.get("reason")), "rejected")
        if direction == DISBURSEMENT and reason == "insufficient_funds":
            reason = "insufficient_float"  # it is OUR disbursement account that ran dry
        return ProviderResult("failed", provider_ref, reason, receipt, amount, phone, body)
    if status in ("PENDING", "CREATED", "ONGOING"):
        return ProviderResult("pending", provider_ref, None, receipt, amount, phone, body)
    raise MalformedCallback(f"unknown MoMo status {body.get('status')!r}")


class MtnMomo:
    """The MoMo client; `config` holds the MOMO_* settings, PUBLIC_URL and the callback token
    (MOMO_CALLBACK_TOKEN or CALLBACK_TOKEN)."""

    name = NAME

    def __init__(self, config, redis, *, session=None, clock=None, breaker=None):
        self.config = config
        self.base_url = config["MOMO_BASE_URL"].rstrip("/")
        self.currency = config["MOMO_CURRENCY"]
        self.sandbox = config["MOMO_TARGET_ENVIRONMENT"] == SANDBOX
        self.wire_currency = SANDBOX_CURRENCY if self.sandbox else self.currency
        """What MoMo is told: EUR in the sandbox (with the same number), the payment's currency live."""
        self.breaker = breaker or CircuitBreaker(redis, NAME, clock=clock or SystemClock())
        self.http = ProviderHttp(self.breaker, session=session)
        self.tokens = {product: TokenCache(redis, NAME, product, lambda product=product: self._fetch_token(product))
                       for product in (COLLECTION, DISBURSEMENT)}

    def _setting(self, product, name):
        return self.config[f"{CONFIG_PREFIX[product]}_{name}"]

    def _fetch_token(self, product):
        def handle(response):
            body = _check_error(response) if response.status_code != 401 else json_object(response)
            if response.status_code == 401 or "access_token" not in body:
                raise ProviderRejected("unauthorized", f"MoMo refused the {product} API user", raw=body)
            return body["access_token"], body.get("expires_in", 3600)

        return self.http.send("POST", f"{self.base_url}/{product}/token/", handle,
                              auth=(self._setting(product, "USER"), self._setting(product, "API_KEY")),
                              headers={"Ocp-Apim-Subscription-Key": self._setting(product, "SUBSCRIPTION_KEY")})

    def _headers(self, product, **extra):
        return {"X-Target-Environment": self.config["MOMO_TARGET_ENVIRONMENT"],
                "Ocp-Apim-Subscription-Key": self._setting(product, "SUBSCRIPTION_KEY"), **extra}

    def _callback_url(self):
        return callback_url(self.config, NAME, "/payments/momo/callback")

    def _send(self, product, req):
        if req.amount.currency != self.currency:
            raise ProviderRejected("currency", f"MoMo here moves {self.currency}, not {req.amount.currency}")
        if req.amount.minor <= 0:
            raise ProviderRejected("invalid_amount", "amount must be positive")
        party_id = req.phone.removeprefix("+")
        if not party_id.isdigit():
            raise ProviderRejected("invalid_phone", f"not an MSISDN: {req.phone}")
        ref = reference_uuid(req.reference)
        body = {
            "amount": str(req.amount.major),
            "currency": self.wire_currency,
            "externalId": req.reference,
            PARTY[product]: {"partyIdType": "MSISDN", "partyId": party_id},
            "payerMessage": req.description,
            "payeeNote": req.description,
        }

        def handle(response):
            if response.status_code == 202:
                return None
            if response.status_code == 409 and json_object(response).get("code") == ALREADY_EXISTS:
                return json_object(response)  # our earlier attempt with this id arrived
            _check_error(response)
            raise TransientProviderError(f"unexpected HTTP {response.status_code}")

        raw = self.http.send_authorized(
            "POST", f"{self.base_url}{PATHS[product]}", handle, tokens=self.tokens[product], json=body,
            headers=self._headers(product, **{"X-Reference-Id": ref, "X-Callback-Url": self._callback_url()}))
        return Ack(provider_ref=ref, raw=raw)

    def request_collection(self, req):
        """requesttopay; Ack.provider_ref is the X-Reference-Id UUID (202 and 409 both acknowledge)."""
        return self._send(COLLECTION, req)

    def send_disbursement(self, req):
        """transfer; Ack.provider_ref is the X-Reference-Id UUID (202 and 409 both acknowledge)."""
        return self._send(DISBURSEMENT, req)

    def query_status(self, req):
        """GET the request's status; 404 -> failed "not_found" (it never arrived: resend with the same id)."""
        product = DISBURSEMENT if req.direction == DISBURSEMENT else COLLECTION
        ref = req.provider_ref or reference_uuid(req.reference)

        def handle(response):
            if response.status_code == 404:
                return None
            body = _check_error(response)
            if not body:
                raise TransientProviderError(f"HTTP {response.status_code} without a JSON body")
            return body

        body = self.http.send_authorized("GET", f"{self.base_url}{PATHS[product]}/{ref}", handle,
                                         tokens=self.tokens[product], headers=self._headers(product))
        if body is None:
            return ProviderResult("failed", ref, "not_found", None, None, None, {})
        return self._parse_status(body, ref)

    def _parse_status(self, body, ref):
        return _parse_status(body, ref, sandbox_currency=self.currency if self.sandbox else None)

    def query_balance(self):
        """The disbursement account's available balance (`GET /disbursement/v1_0/account/balance`) as Money."""
        def handle(response):
            body = _check_error(response)
            if not body:
                raise TransientProviderError(f"HTTP {response.status_code} without a JSON body")
            return body

        body = self.http.send_authorized("GET", f"{self.base_url}/disbursement/v1_0/account/balance", handle,
                                         tokens=self.tokens[DISBURSEMENT], headers=self._headers(DISBURSEMENT))
        amount = inbound.major_amount(body.get("availableBalance"), inbound.currency_code(body.get("currency")))
        if amount is None:
            raise MalformedCallback("MoMo balance without availableBalance")
        return amount

    def parse_callback(self, payload, *, kind="momo"):
        """A MoMo callback (same body as the status answer, POST or PUT) -> ProviderResult."""
        if not isinstance(payload, dict) or "status" not in payload:
            raise MalformedCallback("MoMo callback without status")
        ref = inbound.text(payload.get("referenceId"), "referenceId")
        external_id = inbound.text(payload.get("externalId"), "externalId")
        if not ref and external_id:
            ref = reference_uuid(external_id)
        if not ref:
            raise MalformedCallback("MoMo callback without referenceId or externalId")
        return replace(self._parse_status(payload, ref), reference=external_id)
