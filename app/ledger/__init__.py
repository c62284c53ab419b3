"""The ledger: every movement of money is one balanced, idempotent, double-entry entry.

Tables
    ledger_accounts   one row per (owner_type, owner_id, kind, currency); owner_id is NULL
                      for system-wide accounts (the unique constraint treats NULLs as equal).
                      Mobile-money clearing has one account per provider, named by a kind
                      suffix: ``mobile_money_clearing:<provider>`` (owner_type "provider").
    ledger_entries    one row per movement: unique ``idempotency_key``, kind, memo, created_at,
                      initiated_by ("member:12", "agent:3", "system", "operator:ann"), channel
                      (ussd, sms, whatsapp, system, cli, callback) and session_ref: the audit trail.
    ledger_postings   (entry_id, account_id, amount): signed minor units, never zero.
    ledger_account_shards  (account_id, shard, balance): part of a hot shared account's
                      balance (see "Hot shared accounts").

Sign convention (one for every account)
    A posting's amount is DEBIT POSITIVE, CREDIT NEGATIVE, and each entry's postings sum
    to zero. An account's balance (its row's ``balance``, plus its shards if it has any)
    is exactly the sum of its postings. Each kind has a ``normal_sign``: +1 for
    debit-normal accounts (what Pamoja holds or is owed: receivables, mobile-money
    clearing) and -1 for credit-normal ones (what Pamoja owes or earned: member savings,
    pledged savings, group pool and shares, agent float, payouts in flight, income). The
    balance a person sees is ``balance * normal_sign``; a deposit of 100 debits clearing
    +100 and credits member_savings -100, and the member sees 100.

No overdraft
    An account with ``allow_negative`` false may never have ``balance * normal_sign < 0``.
    The service checks it under row locks; the database checks it again with
    ``CHECK (allow_negative OR balance * normal_sign >= 0)`` on the cached balance and on
    each balance shard.

Pledged savings
    A guarantee moves money from ``member_savings`` to the member's ``guarantee_pledged``
    account (one entry), so the no-overdraft rule on member_savings is what stops a member
    spending pledged money. Available balance = member_savings; total savings =
    member_savings + guarantee_pledged; i.e. available = total savings - pledged.

Posting (LedgerService.post): one statement in the caller's transaction, no savepoint
    1. validate in Python: Money only (no floats, no bare ints), no zero, one currency,
       sum zero, at least two postings; accounts are read by their identity, never reloaded;
    2. one call of the database function ``ledger_post`` (migration 0022), which runs two
       statements, each planned once per connection:
       a. ``SELECT ... FOR NO KEY UPDATE`` (the lock an UPDATE takes) of the rows the entry
          checks or updates, in the one lock order (no deadlocks): holders (member and agent
          accounts) first, then shared counter-accounts, each by id;
       b. in a new snapshot with those locks held, one statement that writes all or nothing:
          it refuses an overdraft or an account of another currency (nothing written: the
          caller's transaction stays usable without a savepoint); inserts the entry with ``ON
          CONFLICT (idempotency_key) DO NOTHING``, then (only if inserted) its postings, the row
          balances and the shard balances.
       When nothing was inserted the key exists: a second post of the same key (or
       a concurrent one, which waits for the first to commit) with the same kind and postings
       gets the first entry back and changes nothing; the same key with another kind,
       accounts or amounts raises IdempotencyConflict (never a silent success). The comparison
       reads the first entry only then: no extra round trip on a new key. The entry returned
       is built from what was inserted (no SELECT back); its postings load on first use.
    The function's SQL lives in its migration: a change to how a post writes is a new
    migration that replaces the function (CREATE OR REPLACE), never an edit of 0022.

Hot shared accounts (balance shards, migration 0014)
    Accounts of the shared owners (system, provider, group: clearing, fee and interest
    income, payouts in flight, group pools) have ``shards`` > 0. A posting that grows such an
    account, or any posting to one that may go negative (provider clearing), is added to
    shard ``txid % shards`` in ``ledger_account_shards`` without locking the account row, so
    concurrent posters sharing it do not queue on one row; its balance is the row's
    ``balance`` (the base) plus its shards (LedgerService.balance, verify). A posting that
    shrinks a no-overdraft sharded account is checked on the base under the row lock, as an
    unsharded account's; when the base alone is short, the shards are folded into it first
    (each shard locked, by account then shard, after every row: SHARD_LOCK_ORDER).
    Holders are never sharded: their balances are checked by callers under their row lock.
    The database checks every shard as it checks the row: a no-overdraft account's shards
    only grow, so base >= 0 and each shard >= 0 make the total >= 0.

Checking before posting (LedgerService.lock)
    A service that checks a balance or a limit before posting (a transfer, a withdrawal)
    first locks, ONCE, every member/agent account the entry will touch, in the same lock
    order; `post` then only adds the shared accounts. Locking the sender for the checks and
    the recipient later is what deadlocked opposite transfers (A->B while B->A).

Database enforcement (migration 0002)
    CHECK amount <> 0; the balance CHECK above; a DEFERRABLE INITIALLY DEFERRED constraint
    trigger on ledger_postings and ledger_entries that rejects at commit an entry whose
    postings do not sum to zero, number fewer than two or mix currencies (reading each
    posting's account by key since 0022, whatever the table's statistics); and a trigger
    that makes postings and entries append-only (a mistake is corrected by a new entry).

Verification
    ``verify_ledger(session)`` (and ``flask ledger verify``) rechecks every invariant over the
    whole database, including cached balance == sum of postings.
"""
