"""WhatsApp through Twilio's Messages API: free-form text inside the 24-hour window, or a template.

Twilio error 63016 (outside the window) becomes OutsideWindowError, a 5xx, a 429 or
a network failure a TransientSendError; any other refusal is a FAILED result with
Twilio's error code. `api_url` repoints the SDK at a sandbox or a fake.
"""

import json
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.notifications.messages import DELETED, GONE, REFUSED
from channels.send_result import (
    ACCEPTED,
    FAILED,
    TIMEOUT_SECONDS,
    OutsideWindowError,
    SendResult,
    TransientSendError,
    UnknownOutcomeError,
)

TWILIO_OUTSIDE_WINDOW = 63016
"""Twilio error: a free-form WhatsApp message outside the 24-hour customer-service window."""
FIND_SENT_LIMIT = 20
"""Newest messages to one number looked through by `find_sent`."""
FIND_SENT_SKEW = timedelta(minutes=1)
"""Twilio's clock against ours: a message created this long before our attempt may still be it."""
TWILIO_NOT_COMPLETE = 20009
"""Twilio error: a message cannot be deleted before Twilio has finished with it (retry in a minute or so)."""


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
        except requests.ReadTimeout as error:  # sent, no answer: the outbox asks `find_sent` before again
            raise UnknownOutcomeError(f"Twilio request timed out: {error}") from error
        except requests.RequestException as error:
            raise TransientSendError(f"Twilio request failed: {error}") from error
        except ValueError as error:  # a 2xx whose body is not JSON: Twilio may well have taken it
            raise UnknownOutcomeError(f"Twilio's answer could not be read: {error}") from error
        if message.error_code == TWILIO_OUTSIDE_WINDOW:
            raise OutsideWindowError(message.error_message or "outside the WhatsApp 24-hour window")
        return self._result(phone, message)

    def delete_message(self, message_sid):
        """Delete a message and its body from Twilio's logs: DELETED (204), GONE (404) or REFUSED.

        Raises `TransientSendError` on 429, 5xx, a network failure or error 20009
        (Twilio still processing the message), so the job retries with backoff.
        """
        try:
            self.client.messages(message_sid).delete()
        except TwilioRestException as error:
            if error.status == 404:
                return GONE
            if error.code == TWILIO_NOT_COMPLETE or error.status == 429 or error.status >= 500:
                raise TransientSendError(f"Twilio answered {error.status} ({error.code}): {error.msg}") from error
            return REFUSED
        except requests.RequestException as error:
            raise TransientSendError(f"Twilio request failed: {error}") from error
        return DELETED

    def find_sent(self, phone, since, text=None, content_sid=None):
        """The message Twilio took for `phone` at or after `since` with this `text`, as a SendResult, or None.

        Asked when a send's answer was lost (a killed worker, a timeout) before sending
        again: Twilio keeps every message, so a text it already took is not sent twice.
        A template's rendered body cannot be matched: None (the outbox decides by kind).
        """
        if text is None:
            return None
        try:
            recent = self.client.messages.list(from_=self.from_, to=whatsapp_address(phone), limit=FIND_SENT_LIMIT)
        except TwilioRestException as error:
            raise TransientSendError(f"Twilio answered {error.status}: {error.msg}") from error
        except requests.RequestException as error:
            raise TransientSendError(f"Twilio request failed: {error}") from error
        for message in recent:
            if message.body == text and message.date_created and message.date_created >= since - FIND_SENT_SKEW:
                return self._result(phone, message)
        return None

    @staticmethod
    def _result(phone, message):
        """The SendResult of a message Twilio took; an unreadable segment count is 1, never a crash after the send."""
        failed = message.status in ("failed", "undelivered")
        segments = str(message.num_segments or "").strip()
        return SendResult(phone, FAILED if failed else ACCEPTED, provider_id=message.sid,
                          provider_status=message.status, status_code=message.error_code,
                          segments=int(segments) if segments.isdigit() and 0 < int(segments) < 100 else 1,
                          reason=message.error_message if failed else None)

    @staticmethod
    def _refused(phone, error):
        if error.code == TWILIO_OUTSIDE_WINDOW:
            raise OutsideWindowError(error.msg) from error
        if error.status >= 500 or error.status == 429:
            raise TransientSendError(f"Twilio answered {error.status}: {error.msg}") from error
        return SendResult(phone, FAILED, provider_status="refused", status_code=error.code, reason=error.msg)
