"""What the KYC workflows refuse: member-facing ones carry a Text, staff-facing ones plain English."""

from app.i18n import N_, T


class KycError(Exception):
    """Base: `message` is a Text (agent or member screens); str() is the English for the CLI."""

    message = T(N_("Request not allowed."))

    def __init__(self, message=None):
        if message is not None:
            self.message = message
        super().__init__(self.message.render("en"))


class UnknownMember(KycError):
    message = T(N_("This number is not registered with Pamoja."))


class AlreadyVerified(KycError):
    message = T(N_("This member's ID is already verified."))


class IdMismatch(KycError):
    message = T(N_("This ID does not match the one the member registered. Send the member to a branch."))


class IdTaken(KycError):
    message = T(N_("This ID is already verified for another member. Send the member to a branch."))


class UnknownIdType(KycError):
    message = T(N_("Unknown ID type."))


class TierRefused(KycError):
    """A staff tier change the rules do not allow (same tier, tier 3 before tier 2, ...): the reason in English."""

    def __init__(self, reason):
        self.message = T(reason)
        Exception.__init__(self, reason)
