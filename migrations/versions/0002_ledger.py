"""Ledger: accounts, entries, postings; the balance rule enforced by the database too.

Besides the tables: a deferred constraint trigger that rejects at commit an entry whose
postings do not sum to zero, number fewer than two or mix currencies; a trigger that
makes entries and postings append-only; CHECKs on zero postings and on the cached
balance of no-overdraft accounts (in the account's natural sign). Functions are created
unqualified so they land in the schema on the search_path (tests use one per run).

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CHECK_ENTRY = """
CREATE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
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

APPEND_ONLY = """
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: correct a mistake with a new entry', TG_TABLE_NAME
        USING ERRCODE = '42501';
END $$;
"""


def upgrade():
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("owner_type", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("normal_sign", sa.SmallInteger(), nullable=False),
        sa.Column("allow_negative", sa.Boolean(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("normal_sign IN (1, -1)", name=op.f("ck_ledger_accounts_normal_sign")),
        sa.CheckConstraint("allow_negative OR balance * normal_sign >= 0",
                           name=op.f("ck_ledger_accounts_no_overdraft")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("owner_type", "owner_id", "kind", "currency", name="uq_ledger_accounts_owner",
                            postgresql_nulls_not_distinct=True),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("initiated_by", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("session_ref", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ledger_entries_idempotency_key")),
    )
    op.create_table(
        "ledger_postings",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_postings_amount_not_zero")),
        sa.ForeignKeyConstraint(["account_id"], ["ledger_accounts.id"],
                                name=op.f("fk_ledger_postings_account_id_ledger_accounts")),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entries.id"],
                                name=op.f("fk_ledger_postings_entry_id_ledger_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
    )
    op.create_index(op.f("ix_ledger_postings_account_id"), "ledger_postings", ["account_id"])
    op.create_index(op.f("ix_ledger_postings_entry_id"), "ledger_postings", ["entry_id"])
    op.execute(CHECK_ENTRY)
    op.execute(APPEND_ONLY)
    op.execute("""
        CREATE CONSTRAINT TRIGGER ledger_postings_balanced
        AFTER INSERT OR UPDATE OR DELETE ON ledger_postings
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry()""")
    op.execute("""
        CREATE CONSTRAINT TRIGGER ledger_entries_have_postings
        AFTER INSERT ON ledger_entries
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry()""")
    for table in ("ledger_postings", "ledger_entries"):
        op.execute(f"""
            CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""")


def downgrade():
    op.drop_table("ledger_postings")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_accounts")
    op.execute("DROP FUNCTION ledger_append_only()")
    op.execute("DROP FUNCTION ledger_check_entry()")
