"""SMS through Africa's Talking: one HTTP request for every recipient of the same text.

A thin `requests` client rather than the `africastalking` SDK, because the SDK raises one
exception carrying only the body text for every non-2xx answer: a bad API key (401) would
look like an outage and be retried for ever. Here the HTTP status decides:

- 2xx: the per-recipient status codes become our ACCEPTED, RETRY or FAILED;
- 401 (bad credentials or an unregistered sender id) and the other 4xx: a definite refusal,
  FAILED for every recipient (sending again cannot help);
- 408, 429 and 5xx, or a network failure before the request went out: TransientSendError;
- a read timeout: UnknownOutcomeError (it may have gone out: Africa's Talking has no API to ask).

A batch of BULK_RECIPIENTS or more is sent with `enqueue=1`, so Africa's Talking queues it
and answers at once instead of timing out (and being sent again whole). Numbers Africa's
Talking would reject fail alone so they cannot sink the rest of the batch.
"""

import json
import os
import re

import requests
from africastalking.Service import validate_phone

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

TRANSIENT_HTTP = frozenset({408, 429})
"""HTTP statuses below 500 that a later attempt may get past (timeout, rate limit)."""

BULK_RECIPIENTS = 100
"""Recipients from which a batch is sent with `enqueue=1` (queued by Africa's Talking, answered at once)."""

PRODUCTION_URL = "https://api.africastalking.com/version1"
SANDBOX_URL = "https://api.sandbox.africastalking.com/version1"
"""Africa's Talking's API roots; the `sandbox` username uses the sandbox (as the SDK does)."""


COST = re.compile(r"(?:([A-Z]{3}) )?([0-9]{1,8}(?:\.[0-9]{1,4})?)", re.ASCII)
"""A cost as Africa's Talking writes it, bounded to the Numeric(12, 4) column that keeps it."""


def environment_session(url):
    """A requests Session that reads the environment for `url` once, not at every request.

    With `trust_env` (requests' default) every request looks through the whole process
    environment twice for proxy variables and once more for a CA bundle, and stats
    ~/.netrc: about a third of a millisecond a request, for settings that cannot change
    while the process runs. They are read here, when the sender is built: the proxy
    `url` would use (none when NO_PROXY covers its host), REQUESTS_CA_BUNDLE or
    CURL_CA_BUNDLE, and ~/.netrc credentials for its host, as requests would find them.
    """
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.auth = requests.utils.get_netrc_auth(url)
    session.trust_env = False
    return session


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
    """SMS through Africa's Talking's `/version1/messaging`: one request for every recipient of the same text.

    `api_url` repoints just this instance at a sandbox or a local fake (`http://fake:9000` or
    `http://fake:9000/version1`).
    """

    def __init__(self, username, api_key, *, sender_id=None, api_url=None, timeout=TIMEOUT_SECONDS, session=None):
        if api_url:
            base = api_url.rstrip("/")
            base = base if base.endswith("/version1") else base + "/version1"
        else:
            base = SANDBOX_URL if username == "sandbox" else PRODUCTION_URL
        self.url = base + "/messaging"
        self.user_url = base + "/user"
        self.username = username
        self.headers = {"apiKey": api_key, "Accept": "application/json"}
        self.sender_id = sender_id or None
        self.timeout = timeout
        self.http = session or environment_session(self.url)

    def send(self, recipients, text):
        """Send `text` to every recipient; one `SendResult` per distinct recipient, in order.

        Raises `TransientSendError` when the request as a whole failed for now (network, 5xx,
        429), `UnknownOutcomeError` (a TransientSendError) when it was sent but no answer came
        in time, and `SendError` for a 2xx answer that is not the documented JSON. A refusal
        of the whole request (401, other 4xx) is a FAILED result for every recipient.
        """
        recipients = list(dict.fromkeys([recipients] if isinstance(recipients, str) else recipients))
        parts = segments(text).parts
        # Africa's Talking refuses the whole batch for one malformed number, so those fail alone here.
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

    def credit(self):
        """The account's SMS credit as (currency, amount text), from `GET /version1/user?username=`.

        Africa's Talking answers `{"UserData": {"balance": "KES 1785.5000"}}`. Raises
        TransientSendError when it cannot be asked now, SendError for an answer it cannot read.
        """
        try:
            response = self.http.get(self.user_url, params={"username": self.username}, headers=self.headers,
                                     timeout=self.timeout)
        except requests.RequestException as error:
            raise TransientSendError(f"Africa's Talking user data request failed: {error}") from error
        if response.status_code >= 500 or response.status_code in TRANSIENT_HTTP:
            raise TransientSendError(f"Africa's Talking user data: HTTP {response.status_code}")
        try:
            balance = response.json()["UserData"]["balance"]
        except (ValueError, KeyError, TypeError):
            raise SendError(f"Africa's Talking user data: HTTP {response.status_code}, unreadable answer "
                            f"{response.text[:200]!r}") from None
        currency, amount = parse_cost(balance)
        if currency is None or amount is None:
            raise SendError(f"Africa's Talking user data: unreadable balance {balance!r:.40}")
        return currency, amount

    def _post(self, recipients, text):
        data = {"username": self.username, "to": ",".join(recipients), "message": text, "bulkSMSMode": 1}
        if self.sender_id:
            data["from"] = self.sender_id
        if len(recipients) >= BULK_RECIPIENTS:
            data["enqueue"] = 1
        try:
            return self.http.post(self.url, data=data, headers=self.headers, timeout=self.timeout)
        except requests.ReadTimeout as error:
            # Sent, but no answer: Africa's Talking may have taken it, and it has no API to ask.
            raise UnknownOutcomeError(f"Africa's Talking SMS request timed out: {error}") from error
        except requests.RequestException as error:
            raise TransientSendError(f"Africa's Talking SMS request failed: {error}") from error

    def _send_batch(self, recipients, text, parts):
        response = self._post(recipients, text)
        status = response.status_code
        if status >= 500 or status in TRANSIENT_HTTP:
            raise TransientSendError(f"Africa's Talking SMS HTTP {status}: {response.text[:200]}")
        if status >= 400:  # bad API key, unregistered sender id, bad request: sending again cannot help
            reason = f"HTTP {status}: {response.text[:200]}"
            provider_status = "Unauthorized" if status == 401 else f"HTTP {status}"
            return {phone: SendResult(phone, FAILED, provider_status=provider_status, status_code=status,
                                      segments=parts, reason=reason) for phone in recipients}
        if not 200 <= status < 300:
            raise SendError(f"unexpected Africa's Talking answer HTTP {status}")
        try:
            data = json.loads(response.content)
            summary = data["SMSMessageData"]
            entries = {entry["number"]: entry for entry in summary.get("Recipients") or []}
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            raise SendError(f"unreadable Africa's Talking answer: {response.text[:200]!r}") from error
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
