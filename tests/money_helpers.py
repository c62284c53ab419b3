"""Put money in a member's savings the way a confirmed mobile-money deposit does."""

from app.money import Money


def fund_savings(services, member, minor, provider="sandbox"):
    """Post clearing -> member savings, as the ledger entry of a succeeded deposit."""
    amount = Money(minor, member.currency)
    ledger = services.ledger
    ledger.post(f"test-fund:{member.id}:{minor}:{ledger.balance(services.savings.account_for(member)).minor}",
                [(ledger.clearing_account(provider, member.currency), amount),
                 (services.savings.account_for(member), -amount)],
                kind="deposit", initiated_by="system", channel="system")
    services.session.flush()
    return amount
