"""How much one group movement may be: the per-transaction limit of each currency.

A contribution, a fine or a group's set contribution is typed by a member or given
as Money; either way it passes `ContributionLimits.check`, the one rule, before it
is stored or posted.
"""

from app.groups import errors
from app.money import AmountError, Money, parse_amount
from app.operator_units import OperatorUnits


class ContributionLimits:
    def __init__(self, limits=None, *, operator_units=None):
        self.limits = limits or {}
        self.operator_units = operator_units or OperatorUnits()

    def check(self, amount, currency):
        """Money in `currency` within the per-transaction limit, from Money or typed text.

        Raises InvalidAmount (letters, negative, zero, too many decimals, cents mobile money
        cannot carry: app/operator_units.py), CurrencyMismatch or AmountAboveLimit.
        """
        if not isinstance(amount, Money):
            try:
                amount = parse_amount(str(amount), currency, multiple_of=self.operator_units.of(currency))
            except AmountError as exc:
                raise errors.InvalidAmount(exc.reason) from None
        if amount.currency != currency:
            raise errors.CurrencyMismatch()
        if amount.minor <= 0:
            raise errors.InvalidAmount("zero")
        limit = self.limits.get(currency)
        if limit is not None and amount > limit:
            raise errors.AmountAboveLimit(limit)
        return amount
