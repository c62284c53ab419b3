"""What a member is told when a mobile-money payment does not go through.

Provider clients report failures as stable reason codes (`cancelled`, `wrong_pin`,
...) so that the payment record stores a code, not a sentence, and each channel
renders the words in the member's language. The operator's name is a parameter, so
one sentence serves M-Pesa, MTN MoMo and Airtel Money alike.
"""

from app.i18n import N_, T
from app.payments.providers import PROVIDERS

REASON_MESSAGES = {
    "cancelled": N_("You cancelled the {provider} request."),
    "insufficient_funds": N_("Not enough money in your {provider} account."),
    "timeout": N_("{provider} did not answer in time. Please check your balance before trying again."),
    "wrong_pin": N_("Wrong {provider} PIN. Please try again."),
    "expired": N_("The {provider} request expired. Please try again."),
    "unreachable": N_("We could not reach your phone. Keep it on and try again."),
    "busy": N_("{provider} is busy. Please try again in a few minutes."),
    "push_failed": N_("We could not send the {provider} prompt to your phone. Please try again."),
    "payer_not_found": N_("This number is not registered for {provider}."),
    "payee_not_found": N_("The receiving number is not registered for {provider}."),
    "limit_reached": N_("You have reached your {provider} limit."),
    "internal_error": N_("{provider} had a problem. Please try again later."),
    "unavailable": N_("{provider} is not responding. Please try again shortly."),
    "insufficient_float": N_("We cannot send the money right now. Our team has been told."),
    "invalid_amount": N_("Please enter a whole amount, without cents."),
    "amount_too_small": N_("{provider} does not accept an amount this small."),
    "currency": N_("{provider} does not support this currency."),
    "invalid_phone": N_("This phone number cannot use {provider}."),
    "not_found": N_("{provider} has no record of this payment."),
    "rejected": N_("{provider} declined the payment."),
}
"""Reason code -> msgid. Codes not listed here (configuration faults) get FALLBACK."""

FALLBACK = N_("The payment did not go through. Please try again later.")


def reason_message(reason, *, provider=None):
    """The member's message for `reason`, naming the operator (`mpesa`, `momo`) when given."""
    info = PROVIDERS.get(provider)
    name = info.label if info else (provider or T(N_("mobile money")))
    return T(REASON_MESSAGES.get(reason, FALLBACK), provider=name)
