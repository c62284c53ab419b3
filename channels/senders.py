"""Outbound senders handed to the notification service by `create_app`.

Placeholder: prints to the console until the SMS and WhatsApp senders exist.
"""


class ConsoleSender:
    """Writes outbound messages to the console: what `make run` shows a newcomer."""

    def __init__(self, channel):
        self.channel = channel

    def send(self, phone, text, **options):
        print(f"[{self.channel} -> {phone}] {text}", flush=True)
        return {"status": "sent", "provider_id": None}


def build_senders(config):
    return {"sms": ConsoleSender("sms"), "whatsapp": ConsoleSender("whatsapp")}
