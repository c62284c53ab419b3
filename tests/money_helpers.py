"""Put money in a member's savings (or an agent's float) the way a confirmed mobile-money deposit does."""

from app.money import Money


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
