"""What the payments service refuses; `message` is a Text the channel renders for the member."""

from app.i18n import N_, T
from app.ledger.errors import IdempotencyConflict as LedgerConflict
from app.payments.providers.reasons import reason_message


class PaymentError(Exception):
    """Base: `message` is shown to the member."""

    message = T(N_("The payment could not be started. Please try again later."))

    def __init__(self, detail="", message=None):
        super().__init__(detail or self.__class__.__name__)
        if message is not None:
            self.message = message


class NoProviderForNumber(PaymentError):
    """No mobile-money provider is configured for the phone's country."""

    message = T(N_("Mobile money is not available for this number yet."))


class ProviderUnavailable(PaymentError):
    """The provider's circuit is open: say so at once instead of hanging the session."""

    def __init__(self, provider):
        super().__init__(provider, reason_message("unavailable", provider=provider))
        self.provider = provider


class UnknownPurpose(PaymentError, ValueError):
    """No settlement/reservation handler is registered for this purpose (a wiring bug)."""


class UnknownProvider(PaymentError, KeyError):
    """A provider name that is not configured (a bad callback URL or a wiring bug)."""


class IdempotencyConflict(PaymentError):
    """The key already started a different payment (member, direction, purpose, purpose_ref, amount, fee or phone).

    A key collision is refused so it can never pass for a started payment; `payment` is the first.
    The member hears the ledger's words for it (one refusal for every reused key, whatever
    it would have moved), so every channel that shows a PaymentError shows this one translated.
    """

    message = LedgerConflict.message

    def __init__(self, payment):
        super().__init__(f"idempotency key {payment.idempotency_key!r} already started payment {payment.id}")
        self.payment = payment
