"""The ledger service: the only code that writes ledger rows (design: app/ledger/__init__.py).

A post is one statement in the caller's transaction (POST: the database function
`ledger_post`, migration 0022, which locks then writes): it writes all of the entry or,
when refused, nothing, so a refusal leaves the caller's other work intact with no
savepoint; the caller commits once.

Lock order (what keeps opposite movements deadlock-free): account rows are locked
holders first (members' and agents' accounts, whose balances callers check), then
the shared counter-accounts (system, provider clearing, groups, loans), each group
in id order (`lock_order_clause`), then balance shards (`SHARD_LOCK_ORDER`). A caller
that checks balances or limits before posting takes `lock(accounts)` ONCE, with every
holder account the entry will touch, before its checks; `post` then locks the rest in
the same order, so the locks of every transaction are taken in one global order whether
or not it pre-locked.
"""

from collections import defaultdict
from typing import NamedTuple

from sqlalchemy import event, inspect, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.ledger import errors
from app.ledger.models import (
    LedgerAccount,
    LedgerEntry,
    LedgerPosting,
    clearing_kind,
    lock_order_clause,
    normal_sign_of,
    shards_for,
)
from app.money import Money

ACCOUNTS_KNOWN = "pamoja_ledger_accounts"
"""In `Session.info`: the accounts `LedgerService.account` found or made in this transaction, by owner and kind.

A payment's result looks its member's account up to post and again to say the new
balance; the second look is answered from here. Forgotten when the transaction ends
(committed or rolled back: an account made in a rolled-back one no longer exists).
"""

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


def statement_query(account_id, limit):
    """The account's last `limit` postings with their entries, newest first.

    The postings are picked first, alone (`ix_ledger_postings_account_entry` read backwards:
    `limit` index entries, whatever the account's size), then joined to their entries by
    primary key. Joined first, PostgreSQL may merge-join both tables backwards from the
    newest entry, walking every newer entry of every other account to reach a busy
    account's old movements (bench/statement_scale.py).
    """
    last = (select(LedgerPosting.entry_id, LedgerPosting.id, LedgerPosting.amount)
            .where(LedgerPosting.account_id == account_id)
            .order_by(LedgerPosting.entry_id.desc(), LedgerPosting.id.desc()).limit(limit).subquery("last"))
    return (select(LedgerEntry.id, LedgerEntry.created_at, LedgerEntry.kind, LedgerEntry.memo, last.c.amount)
            .join(last, last.c.entry_id == LedgerEntry.id).order_by(last.c.entry_id.desc(), last.c.id.desc()))


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
        known = self.session.info.setdefault(ACCOUNTS_KNOWN, {})
        key = (owner_type, owner_id, kind, currency)
        if key not in known:
            known[key] = self._find_or_create(owner_type, owner_id, kind, currency, sign, allow_negative)
        return known[key]

    def _find_or_create(self, owner_type, owner_id, kind, currency, sign, allow_negative):
        existing = select(LedgerAccount).where(
            LedgerAccount.owner_type == owner_type, LedgerAccount.owner_id.is_not_distinct_from(owner_id),
            LedgerAccount.kind == kind, LedgerAccount.currency == currency)
        account = self.session.scalars(existing).one_or_none()
        if account is not None:  # the usual case: one round trip, no INSERT that conflicts
            return account
        self.session.execute(
            insert(LedgerAccount)
            .values(owner_type=owner_type, owner_id=owner_id, kind=kind, currency=currency, normal_sign=sign,
                    allow_negative=allow_negative, balance=0, shards=shards_for(owner_type))
            .on_conflict_do_nothing()
        )
        return self.session.scalars(existing).one()

    def system_account(self, kind, currency):
        """A Pamoja-wide account (owner "system", no id); may go negative only if it is debit-normal suspense."""
        return self.account("system", None, kind, currency, allow_negative=kind == "suspense")

    def clearing_account(self, provider, currency):
        """The mobile-money clearing account of a provider; may go negative (the operator holds the truth)."""
        return self.account("provider", None, clearing_kind(provider), currency, allow_negative=True)

    def balance(self, account):
        """The account's balance as its owner sees it (natural sign): its row, plus its shards if it has any."""
        base, total, sign, currency = self.session.execute(BALANCE, {"id": _account_id(account)}).one()
        set_committed_value(account, "balance", base)
        return Money(total * sign, currency)

    def entry(self, idempotency_key):
        """The entry posted under this key, or None."""
        return self.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == idempotency_key))

    def statement(self, account, limit=5):
        """The last `limit` movements of the account, newest first, as StatementLines."""
        rows = self.session.execute(statement_query(account.id, limit))
        return [StatementLine(entry_id, created_at, current_kind(kind), memo,
                              Money(amount * account.normal_sign, account.currency))
                for entry_id, created_at, kind, memo, amount in rows]

    def lock(self, accounts):
        """Lock these accounts (SELECT ... FOR NO KEY UPDATE) in lock order; return them refreshed, in the order given.

        Call it once per transaction, before checking balances or limits, with every
        member/agent account the coming entry touches (sender AND recipient): locking
        one now and another later is what deadlocks opposite transfers. Shared
        counter-accounts need not be passed; `post` locks them after these. A sharded
        account's `balance` attribute is only its base: read it with `balance()`.
        """
        ids = {account.id for account in accounts}
        locked = {account.id: account for account in self.session.scalars(
            select(LedgerAccount).where(LedgerAccount.id.in_(ids)).order_by(*lock_order_clause())
            .with_for_update(key_share=True).execution_options(populate_existing=True))}
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

        One statement (POST): `ledger_post` locks, then checks, inserts and updates; a refusal
        writes nothing, so no savepoint is needed to leave the caller's transaction usable.
        """
        ids, currency, net = self._validate(postings)
        created_at = self.clock.now()
        params = {"key": idempotency_key, "kind": kind, "memo": memo[:200], "created_at": created_at,
                  "initiated_by": initiated_by, "channel": channel, "session_ref": session_ref,
                  "currency": currency, "posting_accounts": ids, "posting_amounts": [m.minor for _a, m in postings],
                  "net_accounts": list(net), "net_amounts": list(net.values())}
        rows = self.session.execute(POST, params).all()
        entry_id = rows[0].entry_id if rows else None
        if entry_id is None:
            rows = self._refused(idempotency_key, postings, kind, rows, params)
            if not isinstance(rows, list):
                return rows  # the entry already posted under this key
            entry_id = rows[0].entry_id
        if not all(row.updated for row in rows):  # never expected: every locked row is updated under its lock
            raise RuntimeError(f"entry {idempotency_key!r}: an account balance was not updated; roll back")
        self._keep_balances(postings, rows)
        # persistent without a SELECT back; postings load on first use
        return LedgerEntry.just_inserted(self.session, id=entry_id, idempotency_key=idempotency_key, kind=kind,
                                         memo=memo[:200], created_at=created_at, initiated_by=initiated_by,
                                         channel=channel, session_ref=session_ref)

    def _refused(self, idempotency_key, postings, kind, rows, params):
        """Why POST wrote nothing: a replay (the first entry), a shard fold then a retry (its rows),
        or an error raised (another currency, not enough money, a reused key)."""
        by_account = {_account_id(account): account for account, _money in postings}
        if len(rows) != len(by_account):
            raise errors.InvalidEntry(f"unknown account among {sorted(by_account)}")
        for row in rows:
            if row.currency != params["currency"]:
                raise errors.MixedCurrencies(f"{params['currency']} posting to {row.currency} account {row.id}")
        overdrawn = [row for row in rows if row.overdraws]
        if not overdrawn:  # the key exists (or a concurrent post of it committed first)
            existing = self.replay(idempotency_key, postings, kind=kind)
            if existing is None:
                raise RuntimeError(f"entry {idempotency_key!r} neither posted nor found")
            return existing
        existing = self.replay(idempotency_key, postings, kind=kind)
        if existing is not None:
            return existing
        to_fold = sorted(row.id for row in overdrawn if row.shards)
        if to_fold:  # the base alone is short: fold the shards in, under their locks, and try again
            self._fold(to_fold)
            retried = self.session.execute(POST, params).all()  # its locks are held: taking them again is a no-op
            if retried and retried[0].entry_id is not None:
                return retried
            overdrawn = [row for row in retried if row.overdraws] or overdrawn
        row = overdrawn[0]
        account = by_account[row.id]
        raise errors.InsufficientFunds(account, Money(row.balance * row.normal_sign, row.currency))

    def _fold(self, account_ids):
        """Move the shards of these accounts (their rows locked by this transaction) into their base."""
        shards = self.session.execute(LOCK_SHARDS, {"accounts": account_ids}).all()
        totals = defaultdict(int)
        for account_id, _shard, balance in shards:
            totals[account_id] += balance
        self.session.execute(FOLD_SHARDS, {
            "shard_accounts": [account_id for account_id, _shard, _balance in shards],
            "shards": [shard for _account_id, shard, _balance in shards],
            "accounts": list(totals), "totals": list(totals.values())})

    def _keep_balances(self, postings, rows):
        """Give the caller's loaded account objects their new row balance, as the ORM would after a flush."""
        balances = {row.id: row.balance for row in rows if row.on_row}
        for account, _money in postings:
            state = inspect(account)
            if "balance" in state.dict and state.identity and state.identity[0] in balances:
                set_committed_value(account, "balance", balances[state.identity[0]])

    @staticmethod
    def _check_same(entry, postings, kind):
        """Refuse a replay whose kind or postings (accounts and amounts) differ from the posted entry."""
        wanted = sorted((_account_id(account), money.minor) for account, money in postings)
        posted = sorted((posting.account_id, posting.amount) for posting in entry.postings)
        if current_kind(entry.kind) != current_kind(kind) or wanted != posted:
            raise errors.IdempotencyConflict(entry)

    def _validate(self, postings):
        """Check the entry's shape; return the posting account ids, the currency and the net per account id.

        That each account holds the entry's currency is checked by POST (no account load here).
        """
        if len(postings) < 2:
            raise errors.TooFewPostings(f"{len(postings)} posting(s)")
        currencies = set()
        ids = []
        net = defaultdict(int)
        for account, money in postings:
            account_id = _account_id(account)
            if not isinstance(money, Money):
                raise errors.NotMoney(f"posting amount must be Money, got {type(money).__name__}")
            if money.minor == 0:
                raise errors.ZeroAmount(f"zero posting to account {account_id}")
            currencies.add(money.currency)
            ids.append(account_id)
            net[account_id] += money.minor
        if len(currencies) != 1:
            raise errors.MixedCurrencies(", ".join(sorted(currencies)))
        if sum(net.values()) != 0:
            raise errors.UnbalancedEntry(f"postings sum to {sum(net.values())}")
        return ids, currencies.pop(), net


def _account_id(account):
    """The account's id without loading it: callers' accounts are often expired by their last commit."""
    identity = inspect(account).identity
    return identity[0] if identity else account.id


POST = text("""
SELECT * FROM ledger_post(:key, :kind, :memo, :created_at, :initiated_by, :channel, :session_ref, :currency,
                          CAST(:posting_accounts AS bigint[]), CAST(:posting_amounts AS bigint[]),
                          CAST(:net_accounts AS bigint[]), CAST(:net_amounts AS bigint[]))
""")
"""A post in one call (migration 0022 holds its SQL): lock the rows the entry checks or updates in
lock_order_clause's order (`FOR NO KEY UPDATE`, the lock an UPDATE takes: other posters' foreign-key
checks stay free); then, in a new snapshot with the locks held, insert the entry (ON CONFLICT DO NOTHING
on its key) only if no account would overdraw and every account holds the entry's currency, then its
postings, the row balances and the shard balances, all only if the entry was inserted. Returns one row
per account: the entry id (NULL when nothing was written), its balance after (before, if refused).

The lock is a statement of its own inside the function, not a CTE of the writing one: locking in a CTE
was tried, and a row changed since that statement's snapshot is updated from its older version, and a
waiter queued on the row deadlocks with the update. In PL/pgSQL the two statements are planned once per
connection (generic plans, `plan_cache_mode` set for the call only): as two prepared statements from
here, PostgreSQL re-planned both on every post (a third of the database's CPU per post, issue 17)."""

LOCK_SHARDS = text("""
SELECT account_id, shard, balance FROM ledger_account_shards WHERE account_id = ANY(CAST(:accounts AS bigint[]))
ORDER BY account_id, shard FOR NO KEY UPDATE
""")
"""Lock every shard of these accounts in SHARD_LOCK_ORDER (after their rows, which the caller holds)."""

FOLD_SHARDS = text("""
WITH locked(account_id, shard) AS (
    SELECT * FROM unnest(CAST(:shard_accounts AS bigint[]), CAST(:shards AS smallint[]))),
cleared AS (
    UPDATE ledger_account_shards s SET balance = 0 FROM locked
    WHERE s.account_id = locked.account_id AND s.shard = locked.shard)
UPDATE ledger_accounts a SET balance = a.balance + totals.total
FROM unnest(CAST(:accounts AS bigint[]), CAST(:totals AS bigint[])) AS totals(account_id, total)
WHERE a.id = totals.account_id
""")
"""Move the shards LOCK_SHARDS locked (and summed) into their account's base: the base is then the whole
balance, which a shrinking posting checks; the shards stay locked, at zero, until commit."""

BALANCE = text("""
SELECT a.balance, a.balance + CAST(COALESCE((SELECT SUM(s.balance) FROM ledger_account_shards s
                                             WHERE s.account_id = a.id), 0) AS bigint) AS total,
       a.normal_sign, a.currency
FROM ledger_accounts a WHERE a.id = :id
""")
"""An account's stored balance (the base) and its whole balance (base + shards)."""


@event.listens_for(Session, "after_transaction_end")
def _forget_known_accounts(session, _transaction):
    session.info.pop(ACCOUNTS_KNOWN, None)
