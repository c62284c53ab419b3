"""Amounts in the tests, and putting money in a member's savings (or an agent's float) as a confirmed deposit does.

`kes(major)` is the one shorthand for an amount: whole shillings, `kes(500)` is KES 500.00. Where a
test means minor units (cents), it says so with `Money(minor, "KES")`.
"""

from app.money import Money


def kes(major):
    """KES `major` whole shillings (kes(500) == Money(500_00, "KES"))."""
    return Money.from_major(major, "KES")


def credit_from_clearing(ledger, account, amount, key, *, provider="sandbox", kind="deposit",
                         initiated_by="system"):
    """Post clearing -> `account` for `amount`, one entry, as a settled collection does."""
    return ledger.post(key, [(ledger.clearing_account(provider, amount.currency), amount), (account, -amount)],
                       kind=kind, initiated_by=initiated_by, channel="system")


def fund_savings(services, member, minor, provider="sandbox"):
    """Post clearing -> member savings, as the ledger entry of a succeeded deposit."""
    amount = Money(minor, member.currency)
    ledger = services.ledger
    savings = services.savings.account_for(member)
    credit_from_clearing(ledger, savings, amount, f"test-fund:{member.id}:{minor}:{ledger.balance(savings).minor}",
                         provider=provider)
    services.session.flush()
    return amount
