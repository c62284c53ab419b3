"""The tiers, the ID types an agent may record, and KYC_LIMITS as a table.

KYC_LIMITS lists, per tier and currency, the largest savings balance and the most that
may come in and go out of savings in one local day, in major units:

    KYC_LIMITS="0.KES=5000/5000/5000, 1.KES=50000/50000/50000, 2.KES=300000/150000/150000"

`tier.CUR=balance/in/out`; `-` for one of the three means no KYC limit on it. A tier
and currency not listed has no KYC limits (the operators' own limits, SAVINGS_LIMITS,
still apply): list every served currency for every tier below the top one. The text is
read by app/settings.py `kyc_limits`, like every money setting.
"""

from typing import NamedTuple

from app.i18n import N_
from app.money import Money

PHONE_ONLY, ID_GIVEN, ID_VERIFIED, DOCUMENTS_SIGHTED = 0, 1, 2, 3
TIERS = (PHONE_ONLY, ID_GIVEN, ID_VERIFIED, DOCUMENTS_SIGHTED)
"""Every tier, lowest first."""

ID_TYPES = {"national_id": N_("National ID"), "passport": N_("Passport"), "alien_id": N_("Alien ID")}
"""ID type -> its name on the agent's screen."""


def registration_tier(national_id):
    """The tier registration gives: 1 with an ID number (not yet verified), else 0. Never more."""
    return ID_GIVEN if national_id else PHONE_ONLY


class TierLimits(NamedTuple):
    """One tier's limits in one currency; None = no KYC limit."""

    balance: Money | None
    daily_in: Money | None
    daily_out: Money | None


NO_LIMITS = TierLimits(None, None, None)


class KycLimitTable:
    """KYC_LIMITS parsed (app/settings.py `kyc_limits`): {(tier, currency): TierLimits}."""

    def __init__(self, limits):
        self.limits = limits

    def for_tier(self, tier, currency):
        """The TierLimits of `tier` in `currency` (NO_LIMITS when not listed)."""
        return self.limits.get((tier, currency), NO_LIMITS)
