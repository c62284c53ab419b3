"""Reading an amount a member types on a menu screen (messages: app/amount_mistakes.py).

Every amount is a multiple of what the currency's mobile-money operators carry
(app/operator_units.py: whole shillings in KES), savings transfers and savings-paid
repayments included: a cent that reached a member's savings could never leave it.
"""

from app.amount_mistakes import amount_mistake
from app.money import AmountError, parse_amount
from menus.screens import Invalid


def amount_in(currency, raw, *, multiple_of=1):
    """`raw` as Money in `currency` (a multiple of `multiple_of` minor units), or Invalid saying what is wrong."""
    try:
        return parse_amount(raw, currency, multiple_of=multiple_of)
    except AmountError as error:
        raise Invalid(amount_mistake(error.reason)) from None


def typed_amount(ctx, raw):
    """The member's amount in their currency, in units their mobile money carries, or Invalid with what is wrong."""
    currency = ctx.member.currency
    return amount_in(currency, raw, multiple_of=ctx.services.operator_units.of(currency))


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
