"""GroupService: savings groups (chamas) end to end, one class assembled from small parts.

- membership.py     create, join by code, approve/decline, roles, leave
- contributions.py  contributions (savings, mobile money, any source), balances, history
- arrears.py        arrears per member per period, late fines
- payouts.py        the merry-go-round payout order and each period's payout

Knows nothing of Flask or channels; every refusal is a GroupError with a translated
`message`. Money moves only through the ledger (postings: app/groups/postings.py).
Callers commit once.
"""

from app.config import as_list
from app.groups import errors
from app.groups.arrears import ArrearsMixin
from app.groups.contributions import ContributionsMixin
from app.groups.membership import MembershipMixin
from app.groups.payouts import PayoutsMixin
from app.money import AmountError, Money, parse_amount


def parse_limits(config):
    """{currency: Money} from `GROUP_CONTRIBUTION_LIMITS` (`KES=150000,UGX=5000000`, major units)."""
    limits = {}
    for item in as_list(config, "GROUP_CONTRIBUTION_LIMITS"):
        currency, _, major = item.partition("=")
        limits[currency.strip()] = Money.from_major(major.strip(), currency.strip())
    return limits


class GroupService(MembershipMixin, ContributionsMixin, ArrearsMixin, PayoutsMixin):
    def __init__(self, session, *, clock, ledger, payments, notify, limits=None):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.payments = payments
        self.notify = notify
        self.limits = limits or {}

    def check_amount(self, amount, currency):
        """Money in `currency` within the per-transaction limit, from Money or typed text.

        Raises InvalidAmount (letters, negative, zero, too many decimals) or AmountAboveLimit.
        """
        if not isinstance(amount, Money):
            try:
                amount = parse_amount(str(amount), currency)
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
