"""Compensating entries: the ledger is append-only, so a mistake is undone by a new entry, never an edit.

- `opposite_postings(entries)`: the postings that undo `entries` together (each account's
  net movement over them, negated; accounts the entries left unchanged are skipped), so a
  payment's reservation, settlement and any release are undone as one.
- `redirected_postings(entry, from_owner, to_account_of)`: move what `entry` gave or took
  from one holder to another (a deposit credited to the wrong member): the wrong holder's
  postings negated, the same amounts on the right holder's accounts of the same kind.
- `REVERSAL_KEY`: the one key a compensation of an entry is posted under
  (`reverse:<entry id>`), so a second reversal of the same entry is found and refused.

Posting goes through `LedgerService.post` like every movement: balanced, one currency,
no overdraft (a member who already spent the money gets InsufficientFunds, nothing written).
"""

from collections import defaultdict

from sqlalchemy import select

from app.ledger.models import LedgerAccount
from app.money import Money

REVERSAL_KEY = "reverse:{entry_id}"
"""The idempotency key of the entry that compensates ledger entry `entry_id`."""


def reversal_key(entry):
    return REVERSAL_KEY.format(entry_id=getattr(entry, "id", entry))


def _accounts(session, ids):
    return {account.id: account for account in session.scalars(select(LedgerAccount).where(LedgerAccount.id.in_(ids)))}


def net_by_account(entries):
    """{account id: net minor amount} over `entries` (zero nets dropped)."""
    net = defaultdict(int)
    for entry in entries:
        for posting in entry.postings:
            net[posting.account_id] += posting.amount
    return {account_id: amount for account_id, amount in net.items() if amount}


def opposite_postings(session, entries):
    """(LedgerAccount, Money) postings undoing `entries` together, in account id order."""
    net = net_by_account(entries)
    accounts = _accounts(session, net)
    return [(accounts[account_id], Money(-amount, accounts[account_id].currency))
            for account_id, amount in sorted(net.items())]


def holders_of(session, entry, owner_type="member"):
    """The owner ids of `owner_type` whose accounts `entry` moved, sorted."""
    accounts = _accounts(session, [posting.account_id for posting in entry.postings])
    return sorted({a.owner_id for a in accounts.values() if a.owner_type == owner_type})


def redirected_postings(session, entry, owner_type, from_id, to_account_of):
    """Postings moving `entry`'s effect on holder (`owner_type`, `from_id`) to another holder.

    `to_account_of(kind, currency)` gives the right holder's account. Empty when the entry
    did not touch that holder.
    """
    accounts = _accounts(session, [posting.account_id for posting in entry.postings])
    postings = []
    for posting in entry.postings:
        account = accounts[posting.account_id]
        if account.owner_type == owner_type and account.owner_id == from_id:
            postings.append((account, Money(-posting.amount, account.currency)))
            target = to_account_of(account.kind, account.currency)
            postings.append((target, Money(posting.amount, target.currency)))
    return postings
