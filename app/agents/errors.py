"""What the agents' collaborators refuse, each with a message the agent (or member) reads."""

from app.i18n import N_, T, ngettext


class AgentError(Exception):
    """Base: `message` is a Text rendered in the reader's language."""

    message = T(N_("Request not allowed."))

    def __init__(self, message=None):
        super().__init__()
        if message is not None:
            self.message = message


class AgentExists(AgentError):
    message = T(N_("An agent with this code or phone already exists."))


class AgentInactive(AgentError):
    message = T(N_("This agent account is suspended. Call your supervisor."))


class AgentLocked(AgentError):
    def __init__(self, minutes):
        super().__init__(T(N_("Agent PIN locked. Try again in {minutes} min."), minutes=minutes))


class WrongAgentPin(AgentError):
    def __init__(self, left):
        super().__init__(ngettext("Wrong agent PIN. {left} try left.", "Wrong agent PIN. {left} tries left.",
                                  left, left=left))


class UnknownMember(AgentError):
    message = T(N_("No Pamoja member has this number."))


class SelfDealing(AgentError):
    message = T(N_("Agents cannot transact on their own account."))


class OverTransactionLimit(AgentError):
    def __init__(self, limit):
        super().__init__(T(N_("Above your limit of {limit} per transaction."), limit=limit))


class OverDailyLimit(AgentError):
    def __init__(self, left):
        super().__init__(T(N_("Above your daily limit. You can still take {left} today."), left=left))


class InsufficientFloat(AgentError):
    def __init__(self, available):
        super().__init__(T(N_("Not enough float. Your float is {available}."), available=available))


class MemberOverKycLimit(AgentError):
    """The member's KYC tier would refuse the deposit: said to the agent, who is the one reading it."""

    def __init__(self, amount):
        super().__init__(T(N_("This member's account cannot take {amount} now. Try a smaller amount."),
                           amount=amount))


class WrongCurrency(AgentError):
    message = T(N_("This member banks in another currency."))


class ReceiptNotFound(AgentError):
    message = T(N_("We found no receipt with that code for your number."))


class DisputeTooLate(AgentError):
    message = T(N_("Receipts can be disputed within 24 hours only. Please call us."))


class AlreadyDisputed(AgentError):
    message = T(N_("This receipt is already under review."))


class ConflictingRequest(AgentError):
    """The transaction's idempotency key was already used for another movement (another member,
    kind or amount): refused, never answered with the first receipt. The message is the ledger's."""


class TopupNeedsApproval(AgentError):
    def __init__(self, limit):
        super().__init__(T(N_("Top-ups above {limit} need a branch manager's approval. Call your branch."),
                           limit=limit))


class BackOfficeRefusal(Exception):
    """A staff action on agents or disputes refused (unknown id, wrong state): English, staff-facing."""


class UnknownDispute(BackOfficeRefusal):
    pass


class DisputeStateError(BackOfficeRefusal):
    """The dispute is not in a state that allows this move (resolving twice, skipping the investigation)."""


class UnknownAgent(BackOfficeRefusal):
    pass


class AgentStateError(BackOfficeRefusal):
    """Suspending a suspended agent, reinstating an active one, limits that make no sense."""
