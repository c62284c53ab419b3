"""What to tell a member who typed something that is not an amount: one table for every channel.

Keyed by `app.money.AmountError.reason`; separate from app/money.py because
translatable texts live above Money (app/i18n imports app/money).
"""

from app.i18n import N_, T

AMOUNT_MISTAKES = {
    "empty": T(N_("Enter an amount.")),
    "negative": T(N_("Enter an amount without a minus sign.")),
    "zero": T(N_("Enter an amount above zero.")),
    "too_large": T(N_("That amount is too large.")),
    "too_many_decimals": T(N_("Too many decimals for this currency.")),
    "not_whole_units": T(N_("Mobile money takes whole amounts only. Enter the amount without cents, like 1500.")),
    "not_a_number": T(N_("Enter the amount in digits, like 1500.")),
}


def amount_mistake(reason):
    """The message for an AmountError reason (a plain "use digits" for anything unknown)."""
    return AMOUNT_MISTAKES.get(reason, AMOUNT_MISTAKES["not_a_number"])
