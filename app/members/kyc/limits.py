"""`KycLimits`: the one place that says what a member's tier allows.

The savings service (deposit, withdrawal, transfer out and in), the agent cash deposit
and the loan eligibility ask it; none restates a tier's numbers. A check returns None
when allowed, or the refusal as a Text the caller raises as its own domain error (the
amount screens show it before any confirmation). Checks read balances the caller has
locked (savings locks the member's account first), so two sessions cannot both pass.

Money in counts credits to the member's savings since local midnight from deposits,
agent cash and transfers (INFLOW_KINDS); money out is what the savings service already
counts for its daily limit (its `spent_today`), passed in, so "out today" has one
definition. A mobile-money deposit above a limit is refused when it is started; a
payment the operator confirms anyway (a late callback, a paybill payment nobody
started) is credited all the same: money received is never lost or bounced.
"""

from datetime import datetime, time

from sqlalchemy import func, select

from app.i18n import N_, T
from app.ledger.models import LedgerEntry, LedgerPosting
from app.members.kyc.tiers import ID_VERIFIED
from app.money import Money

INFLOW_KINDS = ("deposit", "cash_deposit", "transfer")
"""Ledger entry kinds whose credits to member savings count against the daily limit in."""

ADVICE = {
    0: N_("Visit an agent to verify your ID and raise it."),
    1: N_("Visit an agent to verify your ID and raise it."),
    ID_VERIFIED: N_("Visit a Pamoja branch with your documents to raise it."),
}
"""tier -> how to raise it (the top tier has no advice)."""


def advice(tier):
    """How a member of `tier` raises their limits, as a Text, or None at the top tier."""
    msgid = ADVICE.get(tier)
    return T(msgid) if msgid else None


def with_advice(reason, tier):
    """`reason` followed by how to raise the limit."""
    how = advice(tier)
    return T(N_("{reason} {advice}"), reason=reason, advice=how) if how else reason


class KycLimits:
    def __init__(self, session, *, clock, ledger, table, loan_tiers):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.table = table
        """KYC_LIMITS: a KycLimitTable (app/settings.py `kyc_limits`)."""
        self.loan_tiers = dict(sorted(loan_tiers.items()))
        """LOAN_KYC_TIERS: tier -> largest loan in major units of the product's currency."""

    def of(self, member, currency=None):
        """The member's TierLimits in `currency` (their own by default)."""
        return self.table.for_tier(member.kyc_level, currency or member.currency)

    def loan_ceiling(self, member, currency):
        """The largest loan the member's tier allows, as Money, or None when unlimited (a tier above all listed)."""
        return self.tier_loan_ceiling(member.kyc_level, currency)

    def tier_loan_ceiling(self, level, currency):
        """The largest loan of tier `level` (LOAN_KYC_TIERS), as Money, or None when unlimited."""
        tiers = self.loan_tiers
        if not tiers or level > max(tiers):
            return None
        allowed = [limit for tier, limit in tiers.items() if tier <= level]
        return Money.from_major(allowed[-1], currency) if allowed else Money(0, currency)

    def refuse_in(self, member, amount, *, recipient_of_transfer=False):
        """None when `amount` may come into the member's savings today, else the refusal (a Text).

        A transfer's sender reads a refusal about the recipient that shows none of their limits.
        """
        limits = self.of(member, amount.currency)
        if limits.balance is None and limits.daily_in is None:
            return None
        account = self.ledger.account("member", member.id, "member_savings", amount.currency)
        over_balance = limits.balance is not None and self.ledger.balance(account) + amount > limits.balance
        received = self.received_today(account)
        over_daily = limits.daily_in is not None and received + amount > limits.daily_in
        if not (over_balance or over_daily):
            return None
        if recipient_of_transfer:
            return T(N_("The recipient cannot receive {amount} now. Try a smaller amount."), amount=amount)
        if over_balance:
            return with_advice(T(N_("Your account limit is {limit}."), limit=limits.balance), member.kyc_level)
        left = max(limits.daily_in - received, Money.zero(amount.currency))
        return with_advice(T(N_("You can receive {limit} a day ({left} left today)."), limit=limits.daily_in,
                             left=left), member.kyc_level)

    def refuse_out(self, member, amount, spent_today):
        """None when `amount` may leave the member's savings after `spent_today` (Money), else the refusal."""
        limit = self.of(member, amount.currency).daily_out
        if limit is None or spent_today + amount <= limit:
            return None
        left = max(limit - spent_today, Money.zero(amount.currency))
        return with_advice(T(N_("You can send or withdraw {limit} a day ({left} left today)."), limit=limit,
                             left=left), member.kyc_level)

    def lowered(self, old_tier, new_tier, currency):
        """True when any limit of `new_tier` is below `old_tier`'s (the member must be told)."""
        old, new = self.table.for_tier(old_tier, currency), self.table.for_tier(new_tier, currency)
        if any(after is not None and (before is None or after < before) for before, after in zip(old, new,
                                                                                                strict=True)):
            return True
        before, after = (self.tier_loan_ceiling(tier, currency) for tier in (old_tier, new_tier))
        return after is not None and (before is None or after < before)

    def received_today(self, account):
        """Money credited to this savings account since local midnight by deposits, agent cash and transfers."""
        midnight = datetime.combine(self.clock.today(), time.min, tzinfo=self.clock.zone)
        credited = self.session.scalar(
            select(func.coalesce(func.sum(LedgerPosting.amount), 0))
            .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
            .where(LedgerPosting.account_id == account.id, LedgerEntry.created_at >= midnight,
                   LedgerEntry.kind.in_(INFLOW_KINDS), LedgerPosting.amount < 0)) or 0
        return Money(-int(credited), account.currency)

