"""What the member service refuses, each carrying a translatable message."""

from app.i18n import N_, T, ngettext


class MemberError(Exception):
    """Base: `message` is a Text the channel renders in the member's language."""

    message = T(N_("Request not allowed."))

    def __init__(self, message=None):
        super().__init__()
        if message is not None:
            self.message = message


class AlreadyRegistered(MemberError):
    message = T(N_("This number is already registered."))


class InvalidName(MemberError):
    message = T(N_("Enter your name in letters, 3 to 60 characters."))


class InvalidNationalId(MemberError):
    message = T(N_("Enter an ID number of 5 to 12 digits or letters."))


class WeakPin(MemberError):
    message = T(N_("Choose 4 digits that are not easy to guess."))


class SamePin(MemberError):
    message = T(N_("Your new PIN must be different from your current PIN."))


class PinLocked(MemberError):
    """Too many wrong PINs; `until` is when the lock lifts."""

    def __init__(self, until, minutes):
        super().__init__(T(N_("Your account is locked after too many wrong PINs. Try again in {minutes} min."),
                           minutes=minutes))
        self.until = until


class WrongPin(MemberError):
    """A wrong PIN with attempts left."""

    def __init__(self, attempts_left):
        super().__init__(ngettext("Wrong PIN. {left} try left.", "Wrong PIN. {left} tries left.",
                                  attempts_left, left=attempts_left))
        self.attempts_left = attempts_left


class NoPin(MemberError):
    message = T(N_("Set your PIN first: dial the service code."))


class AccountBlocked(MemberError):
    """Staff blocked the account (lost phone, fraud): every channel answers this, no money moves."""

    def __init__(self, support_phone):
        super().__init__(T(N_("Your account is blocked. Call {support_phone}."), support_phone=support_phone))
