"""Hot shared ledger accounts keep their balance in shards.

Revision ID: 0014
Revises: 0013

Every M-Pesa deposit debits one provider clearing account, every fee credits one
fee_income account, every contribution credits its group's pool: with the balance on
one row, each of those entries waits for the row lock of the one before it, held
through its COMMIT. An account with `shards` > 0 (shared counter-accounts: owners
"system", "provider", "group"; see app/ledger/models.py SHARDED_OWNERS) keeps the part
of its balance that postings GROW in `ledger_account_shards` rows, one per
(account, shard); a transaction adds to shard `txid % shards`, so concurrent posters
lock different rows. Its balance is `ledger_accounts.balance` (the base) plus the sum of
its shards. A posting that shrinks a no-overdraft sharded account goes to the base
under the account's row lock, after folding the shards into it when the base alone is
short (app/ledger/services.py).

The database still enforces the no-overdraft rule: the base keeps its CHECK and each
shard gets the same CHECK (shards only ever grow a no-overdraft account, so each is
>= 0 and the total, base + shards, is too). Existing accounts of those owners are
designated here; their balance stays in the base.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SHARDS = 16
SHARDED_OWNERS = ("system", "provider", "group")


def upgrade():
    op.add_column("ledger_accounts", sa.Column("shards", sa.SmallInteger(), nullable=False, server_default="0"))
    op.create_check_constraint(op.f("ck_ledger_accounts_shards_range"), "ledger_accounts",
                               "shards >= 0 AND shards <= 64")
    op.create_table(
        "ledger_account_shards",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("normal_sign", sa.SmallInteger(), nullable=False),
        sa.Column("allow_negative", sa.Boolean(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("allow_negative OR balance * normal_sign >= 0",
                           name=op.f("ck_ledger_account_shards_no_overdraft")),
        sa.ForeignKeyConstraint(["account_id"], ["ledger_accounts.id"],
                                name=op.f("fk_ledger_account_shards_account_id_ledger_accounts")),
        sa.PrimaryKeyConstraint("account_id", "shard", name=op.f("pk_ledger_account_shards")),
    )
    owners = ", ".join(f"'{owner}'" for owner in SHARDED_OWNERS)
    op.execute(f"UPDATE ledger_accounts SET shards = {SHARDS} WHERE owner_type IN ({owners})")


def downgrade():
    op.execute("""
        UPDATE ledger_accounts a SET balance = a.balance + s.total
        FROM (SELECT account_id, SUM(balance) AS total FROM ledger_account_shards GROUP BY account_id) s
        WHERE a.id = s.account_id""")
    op.drop_table("ledger_account_shards")
    op.drop_constraint(op.f("ck_ledger_accounts_shards_range"), "ledger_accounts", type_="check")
    op.drop_column("ledger_accounts", "shards")
