"""Reading an amount a member types on a menu screen (messages: app/amount_mistakes.py)."""

from app.amount_mistakes import amount_mistake
from app.money import AmountError, parse_amount
from menus.screens import Invalid


def amount_in(currency, raw):
    """`raw` as Money in `currency`, or Invalid saying what is wrong with it."""
    try:
        return parse_amount(raw, currency)
    except AmountError as error:
        raise Invalid(amount_mistake(error.reason)) from None


def typed_amount(ctx, raw):
    """The member's amount in their currency, or Invalid with what is wrong."""
    return amount_in(ctx.member.currency, raw)


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

