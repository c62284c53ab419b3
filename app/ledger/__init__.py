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

Sign convention (one for every account)
    A posting's amount is DEBIT POSITIVE, CREDIT NEGATIVE, and each entry's postings sum
    to zero. An account's stored ``balance`` is exactly the sum of its postings. Each kind
    has a ``normal_sign``: +1 for debit-normal accounts (what Pamoja holds or is owed:
    receivables, mobile-money clearing) and -1 for credit-normal ones (what Pamoja owes or
    earned: member savings, pledged savings, group pool and shares, agent float, payouts in
    flight, income). The balance a person sees is ``balance * normal_sign``; a deposit of
    100 debits clearing +100 and credits member_savings -100, and the member sees 100.

No overdraft
    An account with ``allow_negative`` false may never have ``balance * normal_sign < 0``.
    The service checks it under row locks; the database checks it again with
    ``CHECK (allow_negative OR balance * normal_sign >= 0)`` on the cached balance.

Pledged savings
    A guarantee moves money from ``member_savings`` to the member's ``guarantee_pledged``
    account (one entry), so the no-overdraft rule on member_savings is what stops a member
    spending pledged money. Available balance = member_savings; total savings =
    member_savings + guarantee_pledged; i.e. available = total savings - pledged.

Posting (LedgerService.post), in one savepoint of the caller's transaction
    1. validate: Money only (no floats, no bare ints), no zero, one currency matching every
       account, sum zero, at least two postings;
    2. insert the entry with ``ON CONFLICT (idempotency_key) DO NOTHING``: a second post of
       the same key (or a concurrent one, which waits for the first to commit) with the same
       kind and postings gets the first entry back and changes nothing; the same key with
       another kind, accounts or amounts raises IdempotencyConflict (never a silent success).
       The comparison runs only when the key exists: no extra round trip on a new key;
    3. lock the accounts ``SELECT ... FOR UPDATE`` in the one lock order (no deadlocks):
       holders (member and agent accounts) first, then shared counter-accounts, each by id;
       refuse an overdraft (InsufficientFunds), insert the postings, update the balances.

Checking before posting (LedgerService.lock)
    A service that checks a balance or a limit before posting (a transfer, a withdrawal)
    first locks, ONCE, every member/agent account the entry will touch, in the same lock
    order; `post` then only adds the shared accounts. Locking the sender for the checks and
    the recipient later is what deadlocked opposite transfers (A->B while B->A).

Database enforcement (migration 0002)
    CHECK amount <> 0; the balance CHECK above; a DEFERRABLE INITIALLY DEFERRED constraint
    trigger on ledger_postings and ledger_entries that rejects at commit an entry whose
    postings do not sum to zero, number fewer than two or mix currencies; and a trigger
    that makes postings and entries append-only (a mistake is corrected by a new entry).

Verification
    ``verify_ledger(session)`` (and ``flask ledger verify``) rechecks every invariant over the
    whole database, including cached balance == sum of postings.
"""
