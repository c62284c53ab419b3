"""What the loan service refuses. Each refusal carries a translated `message` in plain words,
so a member always learns why, whatever the channel. Refusals that name an amount derive
from `AmountRefusal` and give only their `template`."""

from app.i18n import N_, T, ngettext


class LoanError(Exception):
    """Base: `message` is a Text a channel shows; `code` is stable for operators and tests."""

    code = "refused"
    message = T(N_("This loan request could not be completed."))

    def __init__(self, message=None, detail=""):
        super().__init__(detail or self.code)
        if message is not None:
            self.message = message


class AmountRefusal(LoanError):
    """A refusal whose message names an amount: `template` is its msgid with an `{amount}`."""

    template = None

    def __init__(self, amount):
        super().__init__(T(self.template, amount=amount))
        self.amount = amount


class NotEligible(LoanError):
    """The member may not borrow (now); the message says why and, where it can, when."""


def refuse(code, message):
    """A NotEligible with its stable code and translated message."""
    error = NotEligible(message)
    error.code = code
    return error


def too_new(days_left):
    return refuse("too_new", ngettext("You can borrow after {days} more day as a member.",
                                         "You can borrow after {days} more days as a member.", days_left,
                                         days=days_left))


def locked(minutes):
    return refuse("locked", T(N_("Your account is locked after wrong PINs. Try again in {minutes} min."),
                              minutes=minutes))


def in_arrears():
    return refuse("arrears", T(N_("You have an overdue loan. Repay it before borrowing again.")))


def has_open_loan():
    return refuse("open_loan", T(N_("You already have a loan in progress. Repay it before borrowing again.")))


def defaulted():
    return refuse("defaulted", T(N_("A past loan was not repaid. Please visit the office to borrow again.")))


def kyc(limit):
    return refuse("kyc", T(N_("Your ID details allow loans up to {limit}. Visit an agent to raise it."),
                           limit=limit))


def below_minimum(minimum):
    return refuse("below_min", T(N_("The smallest loan is {amount}."), amount=minimum))


def above_maximum(maximum):
    return refuse("above_max", T(N_("The largest loan is {amount}."), amount=maximum))


def above_limit(limit):
    return refuse("above_limit", T(N_("Your limit is {limit}. Enter a smaller amount."), limit=limit))


def no_limit(reason):
    return refuse("no_limit", reason)


def bad_term():
    return refuse("bad_term", T(N_("Choose one of the repayment periods shown.")))


class NoProduct(LoanError):
    code = "no_product"
    message = T(N_("No loan product is available for you yet."))


class NoLoan(LoanError):
    code = "no_loan"
    message = T(N_("You have no loan to repay."))


class PaysTooMuch(AmountRefusal):
    code = "too_much"
    template = N_("That is more than you owe. To clear the loan pay {amount}.")

    @property
    def payoff(self):
        """The amount that clears the loan (what the message names)."""
        return self.amount


class WrongState(LoanError):
    """An operator action on a loan in the wrong state (approve a closed loan...)."""

    code = "wrong_state"
    message = T(N_("This loan cannot be changed now."))


class GuaranteesMissing(AmountRefusal):
    code = "guarantees_missing"
    template = N_("Guarantors still need to pledge {amount}.")


class NotAnOfficial(LoanError):
    code = "not_official"
    message = T(N_("Only the group's officials can approve this loan."))


class BadGuarantor(LoanError):
    code = "bad_guarantor"
    message = T(N_("A guarantor must be another registered member."))


class TooManyGuarantors(LoanError):
    code = "too_many_guarantors"
    message = T(N_("Name at most 3 guarantors."))


class GuaranteeClosed(LoanError):
    code = "guarantee_closed"
    message = T(N_("This guarantee request is no longer open."))


class PledgeTooLarge(AmountRefusal):
    code = "pledge_too_large"
    template = N_("The loan needs at most {amount} more in pledges.")


class ConflictingRequest(LoanError):
    """The repayment's idempotency key was already used for another movement (another loan,
    amount or source, or another kind of entry): refused, never a silent success. The message
    is the ledger's (IdempotencyConflict)."""

    code = "conflicting_request"
