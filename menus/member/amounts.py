"""Reading an amount a member types, with one translated message per kind of mistake."""

from app.i18n import N_, T
from app.money import AmountError, parse_amount
from menus.screens import Invalid

AMOUNT_MISTAKES = {
    "empty": T(N_("Enter an amount.")),
    "negative": T(N_("Enter an amount without a minus sign.")),
    "zero": T(N_("Enter an amount above zero.")),
    "too_large": T(N_("That amount is too large.")),
    "too_many_decimals": T(N_("Too many decimals for this currency.")),
    "not_a_number": T(N_("Enter the amount in digits, like 1500.")),
}


def typed_amount(ctx, raw):
    """The member's amount in their currency, or Invalid with what is wrong."""
    try:
        return parse_amount(raw, ctx.member.currency)
    except AmountError as error:
        raise Invalid(AMOUNT_MISTAKES[error.reason]) from None


def amount_with(check):
    """A parser: typed_amount, then `check(ctx, amount)` raising a domain error with `.message`."""

    def parse(ctx, raw):
        amount = typed_amount(ctx, raw)
        try:
            check(ctx, amount)
        except Exception as error:  # noqa: BLE001 - only domain errors carry .message; others re-raise
            if not hasattr(error, "message"):
                raise
            raise Invalid(error.message) from None
        return amount

    return parse

