"""What every outbound sender answers with: one `SendResult` per recipient, or one of three errors.

Kept apart from the senders so the provider modules (sms_sender, whatsapp_sender)
and the console stand-in share one vocabulary without importing each other.
`TransientSendError` means retry later with backoff; `OutsideWindowError` (WhatsApp)
means send a template or fall back to SMS. A definite refusal (an invalid number, a
blacklisted recipient) is a FAILED result, not an exception: retrying cannot fix it.
"""

from dataclasses import dataclass

ACCEPTED = "accepted"
"""The provider took the message; delivery reports tell the rest."""
FAILED = "failed"
"""The provider refused the message for good; sending it again cannot help."""
RETRY = "retry"
"""The provider failed on its side for this recipient; send to them again later."""

TIMEOUT_SECONDS = (3.05, 10)
"""(connect, read) for provider calls: a worker must not hang on a silent gateway."""


class SendError(Exception):
    """A send that cannot be described as a result (an unreadable provider answer)."""


class TransientSendError(SendError):
    """The provider or the network failed; the same send may succeed later."""


class UnknownOutcomeError(TransientSendError):
    """The request may have reached the provider but no answer came (a read timeout): it may have gone out."""


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
