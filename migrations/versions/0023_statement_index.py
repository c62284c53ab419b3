"""Statement index (issue 17): `ledger_postings (account_id, entry_id, id)`, built CONCURRENTLY.

A mini-statement is "the last five postings of one account, newest first". With only
`ix_ledger_postings_account_id` PostgreSQL fetches every posting of the account and sorts
them: fine for a member with fifty, not for a clearing or fee account with millions
(hundreds of milliseconds, growing with the table). Reading this index backwards gives
the last five directly, whatever the account's size (bench/statement_scale.py).

On a large table it is built CONCURRENTLY, without blocking the postings the running
release keeps writing. That cannot run inside a transaction, so the migration leaves
Alembic's for it (`autocommit_block`); and it waits for every transaction then open in
the whole database (any schema) to end. A small table (a new deployment, the tests)
gets a plain CREATE INDEX in the migration's transaction instead: instant, and no wait
on the neighbours' transactions. IF NOT EXISTS lets an operator build it by hand ahead
of the deploy (docs/operations.md: expand/contract). A concurrent build that failed
half-way leaves an INVALID index: drop it and run the migration again. The old
single-column index is a prefix of this one; dropping it is a later contract step,
once no running release needs it (docs/operations.md).

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

INDEX = "ix_ledger_postings_account_entry"
COLUMNS = ["account_id", "entry_id", "id"]
SMALL_TABLE = 100_000
"""Postings below which the index is built in the migration's transaction (a second or less)."""


def upgrade():
    small = op.get_bind().execute(sa.text("SELECT count(*) FROM (SELECT 1 FROM ledger_postings LIMIT :n) AS rows"),
                                  {"n": SMALL_TABLE}).scalar() < SMALL_TABLE
    if small:
        op.create_index(INDEX, "ledger_postings", COLUMNS, if_not_exists=True)
        return
    with op.get_context().autocommit_block():
        op.execute("SET statement_timeout = 0")  # the role's request-sized timeouts would cut the build short
        op.execute("SET lock_timeout = 0")
        op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON ledger_postings ({', '.join(COLUMNS)})")
        op.execute("RESET statement_timeout")
        op.execute("RESET lock_timeout")


def downgrade():
    op.drop_index(INDEX, "ledger_postings", if_exists=True)
