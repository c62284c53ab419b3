"""Statement index (issue 17): `ledger_postings (account_id, entry_id, id)`, built CONCURRENTLY.

A mini-statement is "the last five postings of one account, newest first". With only
`ix_ledger_postings_account_id` PostgreSQL fetches every posting of the account and sorts
them: fine for a member with fifty, not for a clearing or fee account with millions
(hundreds of milliseconds, growing with the table). Reading this index backwards gives
the last five directly, whatever the account's size (bench/statement_scale.py).

CREATE INDEX CONCURRENTLY cannot run inside a transaction, so this migration leaves
Alembic's transaction for it (`autocommit_block`) and builds without blocking the
postings the running release keeps writing. IF NOT EXISTS lets an operator build it by
hand ahead of the deploy on a large table (docs/operations.md: expand/contract). A
build that failed half-way leaves an INVALID index: drop it and run the migration again.
The old single-column index is a prefix of this one; dropping it is a later contract
step, once no running release needs it (docs/operations.md).

Revision ID: 0023
Revises: 0020
"""
from alembic import op

revision = "0023"
down_revision = "0020"
branch_labels = None
depends_on = None

INDEX = "ix_ledger_postings_account_entry"


def upgrade():
    with op.get_context().autocommit_block():
        op.execute("SET statement_timeout = 0")  # the role's request-sized timeout would cut the build short
        op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON ledger_postings (account_id, entry_id, id)")
        op.execute("RESET statement_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
