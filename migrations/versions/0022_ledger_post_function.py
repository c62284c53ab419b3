"""A ledger post in one call planned once per connection; the balanced-entry check reads accounts by key.

Revision ID: 0022
Revises: 0021

Measured (issue 17, bench/ledger_posts.py and a perf profile of the backend): a post
cost the database about 1 ms of CPU, a third of it planning. Its two statements
(the lock, then the entry, postings and balances in one data-modifying CTE) were
prepared by psycopg but re-planned on every execution: PostgreSQL's plan cache keeps
a custom plan while the generic one is estimated dearer, and a generic plan estimates
`unnest()` of an array parameter at 10 rows where a post has 2-4, so it never won.

`ledger_post(...)` runs the same two statements in PL/pgSQL, which caches their plans
for the connection's life, with `plan_cache_mode = force_generic_plan` for the call
only (the generic plan is the custom one's shape: index lookups by account id). One
round trip instead of two. Each statement of a VOLATILE function takes a new snapshot
under READ COMMITTED, so the entry statement still reads the balances as they are once
the locks are held, as when the lock was a statement of its own (see LedgerService.post
for why the lock cannot be a CTE of the entry statement).

`ledger_check_entry()` (the deferred balanced-entry trigger of 0002) counted currencies
through a join that the planner, on a table never analysed (autovacuum off, a new
schema, or many dead row versions), ran as a hash join over a scan of every account:
three scans of ledger_accounts per post at COMMIT. It now reads each posting's account
by its primary key, whatever the statistics say. Same checks, same messages.

Expand-only: the previous release does not call `ledger_post` and keeps working.
"""
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

CHECK_ENTRY = """
CREATE OR REPLACE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    checked_id bigint;
    total numeric;
    postings integer;
    currencies integer;
BEGIN
    IF TG_TABLE_NAME = 'ledger_entries' THEN
        checked_id := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        checked_id := OLD.entry_id;
    ELSE
        checked_id := NEW.entry_id;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ledger_entries WHERE id = checked_id) THEN
        RETURN NULL;
    END IF;
    -- Each posting's account by its primary key: no plan here may scan ledger_accounts.
    SELECT COALESCE(SUM(p.amount), 0), COUNT(*),
           COUNT(DISTINCT (SELECT a.currency FROM ledger_accounts a WHERE a.id = p.account_id))
      INTO total, postings, currencies
      FROM ledger_postings p
     WHERE p.entry_id = checked_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger entry % does not balance (sum %)', checked_id, total USING ERRCODE = '23514';
    END IF;
    IF postings < 2 THEN
        RAISE EXCEPTION 'ledger entry % has % posting(s)', checked_id, postings USING ERRCODE = '23514';
    END IF;
    IF currencies > 1 THEN
        RAISE EXCEPTION 'ledger entry % mixes currencies', checked_id USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;
"""

CHECK_ENTRY_0002 = """
CREATE OR REPLACE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    checked_id bigint;
    total numeric;
    postings integer;
    currencies integer;
BEGIN
    IF TG_TABLE_NAME = 'ledger_entries' THEN
        checked_id := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        checked_id := OLD.entry_id;
    ELSE
        checked_id := NEW.entry_id;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ledger_entries WHERE id = checked_id) THEN
        RETURN NULL;
    END IF;
    SELECT COALESCE(SUM(p.amount), 0), COUNT(*), COUNT(DISTINCT a.currency)
      INTO total, postings, currencies
      FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
     WHERE p.entry_id = checked_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger entry % does not balance (sum %)', checked_id, total USING ERRCODE = '23514';
    END IF;
    IF postings < 2 THEN
        RAISE EXCEPTION 'ledger entry % has % posting(s)', checked_id, postings USING ERRCODE = '23514';
    END IF;
    IF currencies > 1 THEN
        RAISE EXCEPTION 'ledger entry % mixes currencies', checked_id USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;
"""

# No colons and no percent signs below: the text goes through SQLAlchemy's text() and the driver.
LEDGER_POST = """
CREATE FUNCTION ledger_post(
    p_key text, p_kind text, p_memo text, p_created_at timestamptz, p_initiated_by text, p_channel text,
    p_session_ref text, p_currency text, p_posting_accounts bigint[], p_posting_amounts bigint[],
    p_net_accounts bigint[], p_net_amounts bigint[])
RETURNS TABLE (entry_id bigint, id bigint, currency text, normal_sign smallint, shards smallint,
               on_row boolean, overdraws boolean, balance bigint, updated boolean)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
    -- 1. Lock the rows the entry checks or updates, in the one lock order: holders (members,
    --    agents) first, then shared counter-accounts, each by id. A sharded account that the
    --    entry grows, or that may go negative, is not locked: its posting goes to a shard.
    PERFORM a.id
       FROM ledger_accounts a
       JOIN unnest(p_net_accounts, p_net_amounts) AS net(account_id, delta) ON net.account_id = a.id
      WHERE a.shards = 0 OR (net.delta * a.normal_sign < 0 AND NOT a.allow_negative)
      ORDER BY a.owner_type NOT IN ('member', 'agent'), a.id
        FOR NO KEY UPDATE OF a;
    -- 2. A new snapshot, the locks held: insert the entry only if no account would overdraw and
    --    every account holds the entry's currency (ON CONFLICT DO NOTHING on its key), then its
    --    postings, the row balances and the shard balances, all only if the entry was inserted.
    RETURN QUERY
    WITH checked AS (
        SELECT a.id, a.currency, a.normal_sign, a.allow_negative, a.shards, a.balance, net.delta,
               (a.shards = 0 OR (net.delta * a.normal_sign < 0 AND NOT a.allow_negative)) AS on_row,
               ((a.shards = 0 OR (net.delta * a.normal_sign < 0 AND NOT a.allow_negative))
                AND NOT a.allow_negative AND net.delta * a.normal_sign < 0
                AND (a.balance + net.delta) * a.normal_sign < 0) AS overdraws
        FROM unnest(p_net_accounts, p_net_amounts) AS net(account_id, delta)
        JOIN ledger_accounts a ON a.id = net.account_id),
    entry AS (
        INSERT INTO ledger_entries (idempotency_key, kind, memo, created_at, initiated_by, channel, session_ref)
        SELECT p_key, p_kind, p_memo, p_created_at, p_initiated_by, p_channel, p_session_ref
        WHERE (SELECT bool_and(NOT c.overdraws AND c.currency = p_currency)
                      AND count(*) = cardinality(p_net_accounts) FROM checked c)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING ledger_entries.id),
    postings AS (
        INSERT INTO ledger_postings (entry_id, account_id, amount)
        SELECT entry.id, p.account_id, p.amount
        FROM entry, unnest(p_posting_accounts, p_posting_amounts) WITH ORDINALITY AS p(account_id, amount, n)
        ORDER BY p.n),
    row_balances AS (
        UPDATE ledger_accounts a SET balance = a.balance + checked.delta FROM checked
        WHERE a.id = checked.id AND checked.on_row AND EXISTS (SELECT 1 FROM entry)
        RETURNING a.id, a.balance),
    in_shards AS (
        -- After every row lock; one shard per account per transaction (txid), by account id.
        INSERT INTO ledger_account_shards AS s (account_id, shard, normal_sign, allow_negative, balance)
        SELECT checked.id, CAST(mod(txid_current(), checked.shards) AS smallint), checked.normal_sign,
               checked.allow_negative, checked.delta
        FROM checked WHERE NOT checked.on_row AND checked.delta <> 0 AND EXISTS (SELECT 1 FROM entry)
        ORDER BY checked.id
        ON CONFLICT (account_id, shard) DO UPDATE SET balance = s.balance + EXCLUDED.balance)
    SELECT (SELECT entry.id FROM entry), checked.id, CAST(checked.currency AS text), checked.normal_sign,
           checked.shards, checked.on_row, checked.overdraws, COALESCE(row_balances.balance, checked.balance),
           (NOT checked.on_row OR row_balances.id IS NOT NULL)
    FROM checked LEFT JOIN row_balances ON row_balances.id = checked.id;
END $$;
"""


def upgrade():
    op.execute(CHECK_ENTRY)
    op.execute(LEDGER_POST)


def downgrade():
    op.execute("DROP FUNCTION ledger_post(text, text, text, timestamptz, text, text, text, text, bigint[], bigint[], "
               "bigint[], bigint[])")
    op.execute(CHECK_ENTRY_0002)
