"""The ledger service: the only code that writes ledger rows (design: app/ledger/__init__.py).

Posting runs in a savepoint of the caller's transaction, so a refused entry leaves
the caller's other work intact; the caller commits once. Account rows are locked
in id order, which is what makes concurrent withdrawals safe and deadlock-free.
"""

from collections import defaultdict
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.ledger import errors
from app.ledger.models import LedgerAccount, LedgerEntry, LedgerPosting, clearing_kind, normal_sign_of
from app.money import Money


class StatementLine(NamedTuple):
    """One movement of an account, `amount` in the account's natural sign (+ = more for the owner)."""

    entry_id: int
    created_at: object
    kind: str
    memo: str
    amount: Money


class LedgerService:
    def __init__(self, session, *, clock):
        self.session = session
        self.clock = clock

    def account(self, owner_type, owner_id, kind, currency, *, allow_negative=False):
        """The account for this owner, kind and currency, created on first use (race-safe).

        `allow_negative` applies only when the account is created.
        """
        try:
            sign = normal_sign_of(kind)
        except KeyError:
            raise errors.UnknownAccountKind(kind) from None
        self.session.execute(
            insert(LedgerAccount)
            .values(owner_type=owner_type, owner_id=owner_id, kind=kind, currency=currency, normal_sign=sign,
                    allow_negative=allow_negative, balance=0)
            .on_conflict_do_nothing()
        )
        return self.session.scalars(
            select(LedgerAccount).where(
                LedgerAccount.owner_type == owner_type, LedgerAccount.owner_id.is_not_distinct_from(owner_id),
                LedgerAccount.kind == kind, LedgerAccount.currency == currency)
        ).one()

    def system_account(self, kind, currency):
        """A Pamoja-wide account (owner "system", no id); may go negative only if it is debit-normal suspense."""
        return self.account("system", None, kind, currency, allow_negative=kind == "suspense")

    def clearing_account(self, provider, currency):
        """The mobile-money clearing account of a provider; may go negative (the operator holds the truth)."""
        return self.account("provider", None, clearing_kind(provider), currency, allow_negative=True)

    def balance(self, account):
        """The account's balance as its owner sees it (natural sign)."""
        self.session.refresh(account, ["balance"])
        return Money(account.balance * account.normal_sign, account.currency)

    def entry(self, idempotency_key):
        """The entry posted under this key, or None."""
        return self.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == idempotency_key))

    def statement(self, account, limit=5):
        """The last `limit` movements of the account, newest first, as StatementLines."""
        rows = self.session.execute(
            select(LedgerEntry.id, LedgerEntry.created_at, LedgerEntry.kind, LedgerEntry.memo, LedgerPosting.amount)
            .join(LedgerPosting, LedgerPosting.entry_id == LedgerEntry.id)
            .where(LedgerPosting.account_id == account.id)
            .order_by(LedgerEntry.id.desc(), LedgerPosting.id.desc())
            .limit(limit)
        )
        return [StatementLine(entry_id, created_at, kind, memo, Money(amount * account.normal_sign, account.currency))
                for entry_id, created_at, kind, memo, amount in rows]

    def post(self, idempotency_key, postings, *, kind, memo="", initiated_by, channel, session_ref=None):
        """Post one balanced entry; the same key again returns the first entry and changes nothing.

        `postings` is a list of (LedgerAccount, Money), debit positive. Raises an
        InvalidEntry/NotMoney for a malformed entry and InsufficientFunds when a
        no-overdraft account would go below zero (nothing is written then).
        """
        existing = self.entry(idempotency_key)
        if existing is not None:
            return existing
        net = self._validate(postings)
        with self.session.begin_nested():
            entry_id = self.session.scalar(
                insert(LedgerEntry)
                .values(idempotency_key=idempotency_key, kind=kind, memo=memo[:200], created_at=self.clock.now(),
                        initiated_by=initiated_by, channel=channel, session_ref=session_ref)
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(LedgerEntry.id)
            )
            if entry_id is None:  # a concurrent post of the same key committed first
                return self.entry(idempotency_key)
            self._apply(net)
            self.session.add_all(LedgerPosting(entry_id=entry_id, account_id=account.id, amount=money.minor)
                                 for account, money in postings)
        return self.session.get(LedgerEntry, entry_id)

    def _validate(self, postings):
        """Check the entry's shape; return the net amount per account id."""
        if len(postings) < 2:
            raise errors.TooFewPostings(f"{len(postings)} posting(s)")
        currencies = set()
        net = defaultdict(int)
        for account, money in postings:
            if not isinstance(money, Money):
                raise errors.NotMoney(f"posting amount must be Money, got {type(money).__name__}")
            if money.minor == 0:
                raise errors.ZeroAmount(f"zero posting to account {account.id}")
            if money.currency != account.currency:
                raise errors.MixedCurrencies(f"{money.currency} posting to {account.currency} account {account.id}")
            currencies.add(money.currency)
            net[account.id] += money.minor
        if len(currencies) != 1:
            raise errors.MixedCurrencies(", ".join(sorted(currencies)))
        if sum(net.values()) != 0:
            raise errors.UnbalancedEntry(f"postings sum to {sum(net.values())}")
        return net

    def _apply(self, net):
        """Lock the accounts in id order, refuse an overdraft, update the cached balances."""
        locked = self.session.scalars(
            select(LedgerAccount).where(LedgerAccount.id.in_(net)).order_by(LedgerAccount.id)
            .with_for_update().execution_options(populate_existing=True)
        ).all()
        for account in locked:
            new_balance = account.balance + net[account.id]
            shrinks = net[account.id] * account.normal_sign < 0
            if shrinks and not account.allow_negative and new_balance * account.normal_sign < 0:
                available = Money(account.balance * account.normal_sign, account.currency)
                raise errors.InsufficientFunds(account, available)
            account.balance = new_balance
