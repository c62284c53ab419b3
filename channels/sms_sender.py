"""SMS through Africa's Talking: one SDK request for every recipient of the same text.

The provider's per-recipient status codes become our ACCEPTED, RETRY or FAILED;
a failed request as a whole (network, HTTP error) is a TransientSendError, a read
timeout an UnknownOutcomeError (it may have gone out: Africa's Talking has no API to ask).
Numbers the SDK would reject fail alone so they cannot sink the rest of the batch.
"""

import json
from decimal import Decimal, InvalidOperation

import requests
from africastalking.Service import AfricasTalkingException, validate_phone
from africastalking.SMS import SMSService

from channels.send_result import (
    ACCEPTED,
    FAILED,
    RETRY,
    TIMEOUT_SECONDS,
    SendError,
    SendResult,
    TransientSendError,
    UnknownOutcomeError,
)
from channels.textfit import segments

AT_ACCEPTED_CODES = frozenset({100, 101, 102})
"""Africa's Talking per-recipient codes: Processed, Sent, Queued."""
AT_TRANSIENT_CODES = frozenset({500, 501, 502})
"""InternalServerError, GatewayError, RejectedByGateway; 401-409 and anything unknown are definite."""


def parse_cost(cost):
    """Split Africa's Talking's "KES 0.8000" into ("KES", "0.8000"); failed recipients cost "0"."""
    pieces = str(cost or "").split()
    currency = pieces[0] if len(pieces) == 2 else None
    try:
        amount = str(Decimal(pieces[-1])) if pieces else None
    except InvalidOperation:
        amount = None
    return currency, amount


class AfricasTalkingSmsSender:
    """SMS through the `africastalking` SDK: one request for every recipient of the same text.

    The SDK service is built per sender (not `africastalking.initialize`, which sets
    module globals) so `api_url` can repoint just this instance at a sandbox or a fake.
    """

    def __init__(self, username, api_key, *, sender_id=None, api_url=None, timeout=TIMEOUT_SECONDS):
        self.service = SMSService(username, api_key)
        if api_url:
            # The SDK has no setting for this: it joins `_baseUrl` + "/messaging".
            base = api_url.rstrip("/")
            base = base if base.endswith("/version1") else base + "/version1"
            self.service._baseUrl = self.service._contentUrl = base
        self.sender_id = sender_id or None
        self.timeout = timeout

    def send(self, recipients, text):
        """Send `text` to every recipient; one `SendResult` per distinct recipient, in order.

        Raises `TransientSendError` when the request as a whole failed (network, any HTTP
        error: the SDK hides the status code), `UnknownOutcomeError` (a TransientSendError)
        when it was sent but no answer came in time, and `SendError` for a 2xx answer
        that is not the documented JSON.
        """
        recipients = list(dict.fromkeys([recipients] if isinstance(recipients, str) else recipients))
        parts = segments(text).parts
        # The SDK raises for the whole batch on one malformed number, so those fail alone here.
        results = {
            phone: SendResult(
                phone, FAILED, provider_status="InvalidPhoneNumber", segments=parts, reason="not an E.164 number"
            )
            for phone in recipients
            if not validate_phone(phone)
        }
        valid = [phone for phone in recipients if phone not in results]
        if valid:
            results.update(self._send_batch(valid, text, parts))
        return [results[phone] for phone in recipients]

    def _send_batch(self, recipients, text, parts):
        try:
            answer = self.service.send(text, recipients, sender_id=self.sender_id, timeout=self.timeout)
        except requests.ReadTimeout as error:
            # Sent, but no answer: Africa's Talking may have taken it, and it has no API to ask.
            raise UnknownOutcomeError(f"Africa's Talking SMS request timed out: {error}") from error
        except (AfricasTalkingException, requests.RequestException) as error:
            raise TransientSendError(f"Africa's Talking SMS request failed: {error}") from error
        try:
            # The SDK returns the body as text unless Content-Type is exactly "application/json".
            data = json.loads(answer) if isinstance(answer, str) else answer
            summary = data["SMSMessageData"]
            entries = {entry["number"]: entry for entry in summary.get("Recipients") or []}
        except (ValueError, KeyError, TypeError) as error:
            raise SendError(f"unreadable Africa's Talking answer: {answer!r:.200}") from error
        return {phone: self._result(phone, entries.get(phone), summary.get("Message"), parts) for phone in recipients}

    @staticmethod
    def _result(phone, entry, message, parts):
        if entry is None:  # the whole batch was refused, e.g. Message "InvalidSenderId"
            return SendResult(phone, FAILED, segments=parts, reason=message or "not in the answer")
        code = int(entry.get("statusCode", 0))
        status = ACCEPTED if code in AT_ACCEPTED_CODES else RETRY if code in AT_TRANSIENT_CODES else FAILED
        currency, amount = parse_cost(entry.get("cost"))
        message_id = entry.get("messageId")
        return SendResult(
            phone,
            status,
            provider_id=None if message_id in (None, "", "None") else message_id,
            provider_status=entry.get("status"),
            status_code=code,
            cost_currency=currency,
            cost_amount=amount,
            segments=parts,
            reason=None if status == ACCEPTED else entry.get("status"),
        )
