"""What the groups' collaborators refuse, each with a message the member reads in their language."""

from app.amount_mistakes import amount_mistake
from app.groups.models import ROLE_LABELS
from app.groups.periods import period_name
from app.i18n import N_, T


class GroupError(Exception):
    """Base: `message` is a Text the channel renders for the member."""

    message = T(N_("This group request is not allowed."))

    def __init__(self, message=None):
        super().__init__(self.__class__.__name__)
        if message is not None:
            self.message = message


class InvalidGroupName(GroupError):
    message = T(N_("Enter a group name of 3 to 30 characters, with letters."))


class InvalidAmount(GroupError):
    """A typed amount that is not money; `reason` is the parser's code."""

    def __init__(self, reason):
        super().__init__(amount_mistake(reason))
        self.reason = reason




class AmountAboveLimit(GroupError):
    def __init__(self, limit):
        super().__init__(T(N_("The most you can contribute at once is {limit}."), limit=limit))
        self.limit = limit


class InvalidFrequency(GroupError):
    message = T(N_("Choose 1 for weekly or 2 for monthly."))


class InvalidMeetingDay(GroupError):
    message = T(N_("Enter a meeting day: 1-7 (Mon-Sun) weekly, 1-28 monthly."))


class UnknownGroupCode(GroupError):
    message = T(N_("No group has that code. Check it and try again."))


class AlreadyMember(GroupError):
    message = T(N_("You are already a member of this group."))


class AlreadyRequested(GroupError):
    message = T(N_("You already asked to join. Wait for the chair to approve."))


class CurrencyMismatch(GroupError):
    message = T(N_("This group saves in another currency."))


class NotAMember(GroupError):
    message = T(N_("You are not a member of this group."))


class NotAnOfficial(GroupError):
    message = T(N_("Only the chair or treasurer can do this."))


class NotTheChair(GroupError):
    message = T(N_("Only the chair can do this."))


class NoSuchRequest(GroupError):
    message = T(N_("That join request is no longer waiting."))


class InvalidRole(GroupError):
    message = T(N_("Choose chair, treasurer, secretary or member."))


class ChairMustHandOver(GroupError):
    message = T(N_("Choose a new chair before you step down."))


class DueBeforeLeaving(GroupError):
    def __init__(self, due):
        super().__init__(T(N_("Pay what is due now ({amount}) before you leave the group."), amount=due))
        self.due = due


class PayoutWaiting(GroupError):
    message = T(N_("A payout is waiting. The officials must pay it first."))


class NothingToShareOut(GroupError):
    message = T(N_("The group has no money to share out."))


class PayoutTurnOwed(GroupError):
    message = T(N_("You had your payout this round. Stay until every member has had theirs."))


class ContributionOnItsWay(GroupError):
    message = T(N_("Your mobile money contribution is still on its way. Try again when it arrives."))


class RoleTaken(GroupError):
    """A group has one treasurer and one secretary: the holder steps down before another is named."""

    def __init__(self, role, holder_name):
        super().__init__(T(N_("{name} is already {role}. Make them a member first."), name=holder_name,
                           role=T(ROLE_LABELS[role])))
        self.role = role


class PayoutsNotEnabled(GroupError):
    message = T(N_("This group has no payout order yet."))


class PayoutNotDue(GroupError):
    message = T(N_("No payout is due yet."))


class AlreadyPaidOut(GroupError):
    def __init__(self, period):
        super().__init__(T(N_("The payout for {period} was already made."), period=period_name(period)))


class NothingToPayOut(GroupError):
    def __init__(self, period):
        super().__init__(T(N_("Nothing was contributed for {period}."), period=period_name(period)))


class NotEnoughSavings(GroupError):
    def __init__(self, available):
        super().__init__(T(N_("Not enough savings. Available: {available}."), available=available))
        self.available = available


class ConflictingRequest(GroupError):
    """The contribution's idempotency key was already used for another movement (another amount,
    group or member): refused, never a silent success. The message is the ledger's."""
