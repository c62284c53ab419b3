"""The ledger service: the only code that writes ledger rows (design: app/ledger/__init__.py).

Posting runs in a savepoint of the caller's transaction, so a refused entry leaves
the caller's other work intact; the caller commits once.

Lock order (what keeps opposite movements deadlock-free): account rows are locked
holders first (members' and agents' accounts, whose balances callers check), then
the shared counter-accounts (system, provider clearing, groups, loans), each group
in id order (`lock_order`). A caller that checks balances or limits before posting
takes `lock(accounts)` ONCE, with every holder account the entry will touch, before
its checks; `post` then locks the rest in the same order, so the locks of every
transaction are taken in one global order whether or not it pre-locked.
"""

from collections import defaultdict
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.ledger import errors
from app.ledger.models import (
    LedgerAccount,
    LedgerEntry,
    LedgerPosting,
    clearing_kind,
    lock_order_clause,
    normal_sign_of,
)
from app.money import Money

RENAMED_KINDS = {"group_contribution": "contribution"}
"""Entry kinds no longer posted -> the kind the same movement is posted as today (agents' cash
contributions were once `group_contribution`). The ledger is append-only: old rows keep their
kind, and every reader of a kind reads it through `current_kind`."""


def current_kind(kind):
    """The kind an entry's movement is posted as today (see RENAMED_KINDS)."""
    return RENAMED_KINDS.get(kind, kind)


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
        return [StatementLine(entry_id, created_at, current_kind(kind), memo,
                              Money(amount * account.normal_sign, account.currency))
                for entry_id, created_at, kind, memo, amount in rows]

    def lock(self, accounts):
        """Lock these accounts (SELECT ... FOR UPDATE) in lock order; return them refreshed, in the order given.

        Call it once per transaction, before checking balances or limits, with every
        member/agent account the coming entry touches (sender AND recipient): locking
        one now and another later is what deadlocks opposite transfers. Shared
        counter-accounts need not be passed; `post` locks them after these.
        """
        ids = {account.id for account in accounts}
        locked = {account.id: account for account in self.session.scalars(
            select(LedgerAccount).where(LedgerAccount.id.in_(ids)).order_by(*lock_order_clause())
            .with_for_update().execution_options(populate_existing=True))}
        return [locked[account.id] for account in accounts]

    def replay(self, idempotency_key, postings, *, kind):
        """The entry already posted under this key for this same movement, or None if the key is new.

        Raises IdempotencyConflict when the key was used for a different movement (another
        kind, accounts or amounts): a reused key must never pass for a success.
        """
        existing = self.entry(idempotency_key)
        if existing is not None:
            self._check_same(existing, postings, kind)
        return existing

    def post(self, idempotency_key, postings, *, kind, memo="", initiated_by, channel, session_ref=None):
        """Post one balanced entry; the same key and movement again returns the first entry, changing nothing.

        `postings` is a list of (LedgerAccount, Money), debit positive. Raises an
        InvalidEntry/NotMoney for a malformed entry, InsufficientFunds when a
        no-overdraft account would go below zero, and IdempotencyConflict when the key
        was already used for a different movement (nothing is written then).
        """
        net = self._validate(postings)
        existing = self.replay(idempotency_key, postings, kind=kind)
        if existing is not None:
            return existing
        with self.session.begin_nested():
            entry_id = self.session.scalar(
                insert(LedgerEntry)
                .values(idempotency_key=idempotency_key, kind=kind, memo=memo[:200], created_at=self.clock.now(),
                        initiated_by=initiated_by, channel=channel, session_ref=session_ref)
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(LedgerEntry.id)
            )
            if entry_id is None:  # a concurrent post of the same key committed first
                return self.replay(idempotency_key, postings, kind=kind)
            self._apply(net)
            self.session.add_all(LedgerPosting(entry_id=entry_id, account_id=account.id, amount=money.minor)
                                 for account, money in postings)
        return self.session.get(LedgerEntry, entry_id)

    @staticmethod
    def _check_same(entry, postings, kind):
        """Refuse a replay whose kind or postings (accounts and amounts) differ from the posted entry."""
        wanted = sorted((account.id, money.minor) for account, money in postings)
        posted = sorted((posting.account_id, posting.amount) for posting in entry.postings)
        if current_kind(entry.kind) != current_kind(kind) or wanted != posted:
            raise errors.IdempotencyConflict(entry)

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
        """Lock the accounts in lock order (those `lock` holds already are kept), refuse an overdraft,
        update the cached balances."""
        locked = self.session.scalars(
            select(LedgerAccount).where(LedgerAccount.id.in_(net)).order_by(*lock_order_clause())
            .with_for_update().execution_options(populate_existing=True)
        ).all()
        for account in locked:
            new_balance = account.balance + net[account.id]
            shrinks = net[account.id] * account.normal_sign < 0
            if shrinks and not account.allow_negative and new_balance * account.normal_sign < 0:
                available = Money(account.balance * account.normal_sign, account.currency)
                raise errors.InsufficientFunds(account, available)
            account.balance = new_balance
