"""KYC tiers (issue 14): the `kyc_changes` history, and every member moved to the new numbering.

Old numbering: 2 = typed an ID at registration (every registration with an ID got it), 1 = none.
New: 0 phone only, 1 ID given (not verified), 2 ID verified by an agent or staff, 3 documents
sighted at a branch. Nobody's ID was ever verified, so a member who typed an ID becomes tier 1
and one without becomes tier 0. Each moved member gets one `kyc_changes` row (source
`migration`, from = the old level): `flask members notify-kyc-change` reads those rows to tell
each member by SMS how to verify at an agent (an SMS is not sent from a migration: it must go
through the outbox and its worker, and be repeatable without doubling).

Downgrade puts the old numbering back (tier 0 -> 1, tiers 1-3 -> 2) and drops the history.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

NEW_TIER = "CASE WHEN kyc_level >= 2 AND coalesce(national_id_lookup, '') <> '' THEN 1 ELSE 0 END"


def upgrade():
    op.create_table(
        "kyc_changes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("from_tier", sa.Integer(), nullable=False),
        sa.Column("to_tier", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("id_type", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_kyc_changes_member_id"), "kyc_changes", ["member_id"], unique=False)
    op.execute(f"""
        INSERT INTO kyc_changes (member_id, from_tier, to_tier, source, actor, reason, created_at)
        SELECT id, kyc_level, {NEW_TIER}, 'migration', 'system:migration-0017',
               'KYC tiers renumbered: an ID typed at registration is not verified', now()
        FROM members WHERE kyc_level <> {NEW_TIER}
    """)
    op.execute(f"UPDATE members SET kyc_level = {NEW_TIER}")


def downgrade():
    op.execute("UPDATE members SET kyc_level = CASE WHEN kyc_level = 0 THEN 1 ELSE 2 END")
    op.drop_index(op.f("ix_kyc_changes_member_id"), table_name="kyc_changes")
    op.drop_table("kyc_changes")
