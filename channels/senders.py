"""Outbound senders handed to the notification service by `create_app`: the one entry point.

`build_senders` picks one sender per channel: Africa's Talking for SMS
(sms_sender), Twilio for WhatsApp (whatsapp_sender), each a thin wrapper over the
provider's SDK answering in the vocabulary of send_result. With no credentials
configured, `ConsoleSender` stands in so `make run` works without provider accounts.
Every sender name is re-exported here, so callers import from this module only. No
business rules: what to send, to whom and when is the notification service's decision.
"""

import sys
import uuid

from channels.send_result import (
    ACCEPTED,
    FAILED,
    RETRY,
    TIMEOUT_SECONDS,
    OutsideWindowError,
    SendError,
    SendResult,
    TransientSendError,
)
from channels.sms_sender import AfricasTalkingSmsSender, parse_cost
from channels.textfit import segments
from channels.whatsapp_sender import TwilioWhatsAppSender

__all__ = [
    "ACCEPTED", "FAILED", "RETRY", "TIMEOUT_SECONDS", "SendError", "TransientSendError", "OutsideWindowError",
    "SendResult", "AfricasTalkingSmsSender", "parse_cost", "TwilioWhatsAppSender", "ConsoleSender",
    "whatsapp_status_url", "build_senders",
]


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

    def delete_message(self, message_sid):
        """Nothing to delete: a console stand-in keeps no provider log (the Twilio sender's no-op)."""
        return None

    def _print(self, phone, text):
        print(f"[{self.channel} -> {phone}] {text}", file=self.stream or sys.stdout, flush=True)
        return SendResult(
            phone,
            ACCEPTED,
            provider_id=f"console-{uuid.uuid4()}",
            provider_status="console",
            segments=segments(text or "").parts,
        )


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
