"""What the savings service refuses; each `message` is a Text shown to the member."""

from app.i18n import N_, T


class SavingsError(Exception):
    message = T(N_("This request cannot be completed."))

    def __init__(self, message=None):
        super().__init__(message.msgid if message is not None else self.__class__.__name__)
        if message is not None:
            self.message = message


class BelowMinimum(SavingsError):
    def __init__(self, minimum):
        super().__init__(T(N_("The smallest amount is {amount}."), amount=minimum))


class AboveTransactionLimit(SavingsError):
    def __init__(self, maximum):
        super().__init__(T(N_("The most you can move at once is {amount}."), amount=maximum))


class DailyLimitReached(SavingsError):
    def __init__(self, left):
        super().__init__(T(N_("Daily limit reached. You can still move {amount} today."), amount=left))


class KycLimitReached(SavingsError):
    """A limit of the member's KYC tier (app/members/kyc/limits.py); the message says how to raise it."""


class InsufficientBalance(SavingsError):
    def __init__(self, available, needed):
        super().__init__(T(N_("Not enough savings. You need {needed}, you have {available}."),
                           needed=needed, available=available))


class NotAPhoneNumber(SavingsError):
    """What the member typed is no phone number at all (a name, a short number): not "not registered"."""

    def __init__(self, typed):
        super().__init__(T(N_("{typed} is not a phone number. Enter the number like 0712345678."), typed=typed))


class UnknownRecipient(SavingsError):
    message = T(N_("This number is not registered with Pamoja."))


class SelfTransfer(SavingsError):
    message = T(N_("You cannot send money to yourself."))


class CurrencyNotServed(SavingsError):
    message = T(N_("Transfers are only possible within the same country."))


class ConflictingRequest(SavingsError):
    """The movement's idempotency key was already used for another movement (the ledger's
    IdempotencyConflict); the message is the ledger's."""
