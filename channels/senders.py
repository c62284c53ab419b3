"""Outbound senders handed to the notification service by `create_app`.

One sender per channel, each a thin wrapper over the provider's own SDK that turns
the provider's answer into `SendResult`s and its failures into two exceptions a job
can act on: `TransientSendError` (retry later with backoff) and, for WhatsApp,
`OutsideWindowError` (send a template or fall back to SMS). A definite refusal
(an invalid number, a blacklisted recipient) is a failed result, not an exception:
retrying cannot fix it. With no credentials configured, `ConsoleSender` stands in so
`make run` works without provider accounts. No business rules here: what to send,
to whom and when is the notification service's decision.
"""

import json
import sys
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import requests
from africastalking.Service import AfricasTalkingException, validate_phone
from africastalking.SMS import SMSService
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from channels.textfit import segments

ACCEPTED = "accepted"
"""The provider took the message; delivery reports tell the rest."""
FAILED = "failed"
"""The provider refused the message for good; sending it again cannot help."""
RETRY = "retry"
"""The provider failed on its side for this recipient; send to them again later."""

AT_ACCEPTED_CODES = frozenset({100, 101, 102})
"""Africa's Talking per-recipient codes: Processed, Sent, Queued."""
AT_TRANSIENT_CODES = frozenset({500, 501, 502})
"""InternalServerError, GatewayError, RejectedByGateway; 401-409 and anything unknown are definite."""
TWILIO_OUTSIDE_WINDOW = 63016
"""Twilio error: a free-form WhatsApp message outside the 24-hour customer-service window."""
TIMEOUT_SECONDS = (3.05, 10)
"""(connect, read) for provider calls: a worker must not hang on a silent gateway."""


class SendError(Exception):
    """A send that cannot be described as a result (an unreadable provider answer)."""


class TransientSendError(SendError):
    """The provider or the network failed; the same send may succeed later."""


class OutsideWindowError(SendError):
    """WhatsApp refused free-form text outside the 24-hour window: send a template or use SMS."""


@dataclass(frozen=True)
class SendResult:
    """What happened to one message for one recipient, ready to be recorded.

    `status` is ours (ACCEPTED, FAILED, RETRY); `provider_status` and `status_code`
    are the provider's words (Africa's Talking "Success"/101, Twilio "queued" or an
    error code). Cost stays a decimal string, never a float.
    """

    phone: str
    status: str
    provider_id: str | None = None
    provider_status: str | None = None
    status_code: int | None = None
    cost_currency: str | None = None
    cost_amount: str | None = None
    segments: int | None = None
    reason: str | None = None

    @property
    def ok(self):
        return self.status == ACCEPTED


class ConsoleSender:
    """Writes outbound messages to the console: what `make run` shows a newcomer.

    It answers like the sender it stands in for: for "sms" a list of results for a
    list of recipients, for "whatsapp" one result.
    """

    def __init__(self, channel, stream=None):
        self.channel = channel
        self.stream = stream

    def send(self, to, text=None, content_sid=None, content_variables=None):
        if content_sid:
            text = f"<template {content_sid}{f' {content_variables}' if content_variables else ''}>"
        if self.channel == "sms":
            return [self._print(phone, text) for phone in ([to] if isinstance(to, str) else to)]
        return self._print(to, text)

    def _print(self, phone, text):
        print(f"[{self.channel} -> {phone}] {text}", file=self.stream or sys.stdout, flush=True)
        return SendResult(
            phone,
            ACCEPTED,
            provider_id=f"console-{uuid.uuid4()}",
            provider_status="console",
            segments=segments(text or "").parts,
        )


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

        Raises `TransientSendError` when the request as a whole failed (timeout, network,
        any HTTP error: the SDK hides the status code), and `SendError` for a 2xx answer
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


class RebasedTwilioHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with every *.twilio.com URL moved to `base_url` (a sandbox or a fake).

    The SDK builds absolute URLs per product (api.twilio.com, plus edge/region
    variants), so rewriting at the one place every request passes is the narrowest hook.
    """

    def __init__(self, base_url, **options):
        super().__init__(**options)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        if (parts.hostname or "").endswith("twilio.com"):
            url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, url, *args, **kwargs)


def whatsapp_address(phone):
    """Twilio's WhatsApp addressing: "whatsapp:+2547..."."""
    return phone if phone.startswith("whatsapp:") else f"whatsapp:{phone}"


class TwilioWhatsAppSender:
    """WhatsApp through the `twilio` SDK's Messages API: free-form text, or an approved template."""

    def __init__(self, account_sid, auth_token, from_number, *, api_url=None, timeout=TIMEOUT_SECONDS[1],
                 status_callback=None):
        self.status_callback = status_callback
        if api_url:
            http_client = RebasedTwilioHttpClient(api_url, timeout=timeout)
        else:
            http_client = TwilioHttpClient(timeout=timeout)
        # A non-empty `environment` stops the SDK reading TWILIO_* from os.environ: config comes from app/config.py.
        self.client = Client(account_sid, auth_token, http_client=http_client, environment={"PAMOJA": "1"})
        self.from_ = whatsapp_address(from_number)

    def send(self, phone, text=None, content_sid=None, content_variables=None):
        """Send free-form `text` (inside the 24-hour window) or the template `content_sid`.

        `content_variables` may be a dict or Twilio's JSON string. Raises
        `OutsideWindowError` on 63016, `TransientSendError` on 5xx, 429 or a network
        failure; any other refusal is a FAILED result carrying Twilio's error code.
        """
        if (text is None) == (content_sid is None):
            raise ValueError("send either text or content_sid")
        options = {"from_": self.from_, "to": whatsapp_address(phone)}
        if self.status_callback:
            options["status_callback"] = self.status_callback
        if content_sid:
            options["content_sid"] = content_sid
            if content_variables is not None:
                is_json = isinstance(content_variables, str)
                options["content_variables"] = content_variables if is_json else json.dumps(content_variables)
        else:
            options["body"] = text
        try:
            message = self.client.messages.create(**options)
        except TwilioRestException as error:
            return self._refused(phone, error)
        except requests.RequestException as error:
            raise TransientSendError(f"Twilio request failed: {error}") from error
        if message.error_code == TWILIO_OUTSIDE_WINDOW:
            raise OutsideWindowError(message.error_message or "outside the WhatsApp 24-hour window")
        failed = message.status in ("failed", "undelivered")
        return SendResult(
            phone,
            FAILED if failed else ACCEPTED,
            provider_id=message.sid,
            provider_status=message.status,
            status_code=message.error_code,
            segments=int(message.num_segments or 1),
            reason=message.error_message if failed else None,
        )

    @staticmethod
    def _refused(phone, error):
        if error.code == TWILIO_OUTSIDE_WINDOW:
            raise OutsideWindowError(error.msg) from error
        if error.status >= 500 or error.status == 429:
            raise TransientSendError(f"Twilio answered {error.status}: {error.msg}") from error
        return SendResult(phone, FAILED, provider_status="refused", status_code=error.code, reason=error.msg)


def whatsapp_status_url(config):
    """Where Twilio reports delivery: PUBLIC_URL + /whatsapp/status (signed, like inbound)."""
    public = (config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{public}/whatsapp/status" if public else None


def build_senders(config):
    """The senders for `app.extensions["senders"]`: real ones where credentials are set, else the console."""
    if config.get("AT_API_KEY"):
        sms = AfricasTalkingSmsSender(
            config["AT_USERNAME"],
            config["AT_API_KEY"],
            sender_id=config.get("AT_SENDER_ID"),
            api_url=config.get("AFRICASTALKING_API_URL"),
        )
    else:
        sms = ConsoleSender("sms")
    if config.get("TWILIO_ACCOUNT_SID"):
        whatsapp = TwilioWhatsAppSender(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            config["TWILIO_WHATSAPP_FROM"],
            api_url=config.get("TWILIO_API_URL"),
            status_callback=whatsapp_status_url(config),
        )
    else:
        whatsapp = ConsoleSender("whatsapp")
    return {"sms": sms, "whatsapp": whatsapp}
