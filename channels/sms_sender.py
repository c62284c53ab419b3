"""SMS through Africa's Talking: one SDK request for every recipient of the same text.

The provider's per-recipient status codes become our ACCEPTED, RETRY or FAILED;
a failed request as a whole (network, HTTP error) is a TransientSendError, a read
timeout an UnknownOutcomeError (it may have gone out: Africa's Talking has no API to ask).
Numbers the SDK would reject fail alone so they cannot sink the rest of the batch.
"""

import json
import re

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


COST = re.compile(r"(?:([A-Z]{3}) )?([0-9]{1,8}(?:\.[0-9]{1,4})?)", re.ASCII)
"""A cost as Africa's Talking writes it, bounded to the Numeric(12, 4) column that keeps it."""


def parse_cost(cost):
    """Split Africa's Talking's "KES 0.8000" into ("KES", "0.8000"); failed recipients cost "0".

    Anything else ("KES NaN", "KES 1e400", "KES 123456789", a list) is (None, None): an
    unknown cost, never a reason to fail after the provider accepted the message (the
    column would refuse it and the job would crash into sending twice).
    """
    match = COST.fullmatch(cost.strip()) if isinstance(cost, str) else None
    if match is None:
        return None, None
    return match.group(1), match.group(2)


def status_code(value):
    """Africa's Talking's per-recipient `statusCode` as an int; 0 (no known code: FAILED) when unreadable.

    `int()` would crash on "abc" or a list after the provider accepted the batch, and read True as 1.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 4:
        return int(value)
    return 0


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
        except RecursionError as error:  # the SDK parsed an answer nested thousands deep
            raise SendError("unreadable Africa's Talking answer: nested too deeply") from error
        try:
            # The SDK returns the body as text unless Content-Type is exactly "application/json".
            data = json.loads(answer) if isinstance(answer, str) else answer
            summary = data["SMSMessageData"]
            entries = {entry["number"]: entry for entry in summary.get("Recipients") or []}
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            raise SendError(f"unreadable Africa's Talking answer: {answer!r:.200}") from error
        return {phone: self._result(phone, entries.get(phone), summary.get("Message"), parts) for phone in recipients}

    @staticmethod
    def _result(phone, entry, message, parts):
        if entry is None:  # the whole batch was refused, e.g. Message "InvalidSenderId"
            return SendResult(phone, FAILED, segments=parts, reason=message or "not in the answer")
        code = status_code(entry.get("statusCode"))
        status = ACCEPTED if code in AT_ACCEPTED_CODES else RETRY if code in AT_TRANSIENT_CODES else FAILED
        currency, amount = parse_cost(entry.get("cost"))
        message_id = entry.get("messageId")
        readable_id = isinstance(message_id, str) and 0 < len(message_id) <= 100 and message_id != "None"
        return SendResult(
            phone,
            status,
            provider_id=message_id if readable_id else None,
            provider_status=entry.get("status"),
            status_code=code,
            cost_currency=currency,
            cost_amount=amount,
            segments=parts,
            reason=None if status == ACCEPTED else entry.get("status"),
        )
