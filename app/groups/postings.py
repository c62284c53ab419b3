"""The group's ledger accounts and the postings of each group movement.

Accounts (sign convention: app/ledger/__init__.py; all three are credit-normal)
    group_pool          owner ("group", id): the money the group holds.
    member_group_share  owner ("group_member", membership id): a member's claim on the pool.
    member_group_share  owner ("group", id), may go negative: the share register's
                        contra, always minus the sum of the members' shares.

A contribution of X is one entry of four postings: the source is debited X (the
member's savings, or the provider's clearing account when mobile money settles),
the pool is credited X, the contra is debited X and the member's share credited X.
It balances, the pool holds the money, and each share says whose it is. A payout
debits the pool and credits the recipient's savings, and gives the period's
contributors' shares back to the contra. Fines credit the pool with no share: they
belong to the group. A member who leaves gets their share back: the reverse of a
contribution, into their savings (app/groups/leaving.py).
"""

from app.money import Money

GROUP_OWNER = "group"
SHARE_OWNER = "group_member"


def pool_account(ledger, group):
    return ledger.account(GROUP_OWNER, group.id, "group_pool", group.currency)


def share_register(ledger, group):
    """The contra of every share in the group (natural balance: minus the shares)."""
    return ledger.account(GROUP_OWNER, group.id, "member_group_share", group.currency, allow_negative=True)


def share_account(ledger, group, membership):
    return ledger.account(SHARE_OWNER, membership.id, "member_group_share", group.currency)


def savings_account(ledger, member_id, currency):
    return ledger.account("member", member_id, "member_savings", currency)


def contribution_credits(ledger, group, membership, amount):
    """Everything but the source's debit: sums to -amount (the payments registry's contract)."""
    return [
        (pool_account(ledger, group), -amount),
        (share_register(ledger, group), amount),
        (share_account(ledger, group, membership), -amount),
    ]


def fine_postings(ledger, group, member_id, fine):
    return [(savings_account(ledger, member_id, group.currency), fine), (pool_account(ledger, group), -fine)]


def payout_postings(ledger, group, recipient_id, shares_paid):
    """Pay out the period's contributions; `shares_paid` is [(membership, Money)] per contributor."""
    total = sum((amount for _, amount in shares_paid), Money.zero(group.currency))
    postings = [(pool_account(ledger, group), total),
                (savings_account(ledger, recipient_id, group.currency), -total),
                (share_register(ledger, group), -total)]
    postings += [(share_account(ledger, group, membership), amount) for membership, amount in shares_paid]
    return total, postings


def leave_postings(ledger, group, membership, share):
    """Give a leaving member's share back: pool and share debited, savings and the contra credited."""
    return [(pool_account(ledger, group), share),
            (savings_account(ledger, membership.member_id, group.currency), -share),
            (share_account(ledger, group, membership), share),
            (share_register(ledger, group), -share)]
