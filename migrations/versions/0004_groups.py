"""Groups: savings groups, their members, contributions per period, late fines and payouts.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def money_columns():
    return [sa.Column("amount_minor", sa.BigInteger(), nullable=False),
            sa.Column("currency", sa.String(length=3), nullable=False)]


def fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade():
    op.create_table(
        "groups",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("contribution_minor", sa.BigInteger(), nullable=False),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("meeting_day", sa.SmallInteger(), nullable=False),
        sa.Column("fine_minor", sa.BigInteger(), nullable=True),
        sa.Column("payout_order_enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(frequency = 'weekly' AND meeting_day BETWEEN 1 AND 7) OR "
                           "(frequency = 'monthly' AND meeting_day BETWEEN 1 AND 28)",
                           name=op.f("ck_groups_meeting_day")),
        sa.CheckConstraint("frequency IN ('weekly', 'monthly')", name=op.f("ck_groups_frequency")),
        sa.CheckConstraint("contribution_minor > 0", name=op.f("ck_groups_contribution_positive")),
        sa.CheckConstraint("fine_minor IS NULL OR fine_minor > 0", name=op.f("ck_groups_fine_positive")),
        fk("groups", "created_by", "members"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("code", name=op.f("uq_groups_code")),
    )
    op.create_table(
        "group_members",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payout_position", sa.Integer(), nullable=True),
        sa.CheckConstraint("role IN ('chair', 'treasurer', 'secretary', 'member')",
                           name=op.f("ck_group_members_role")),
        sa.CheckConstraint("status IN ('pending', 'active', 'declined', 'left')",
                           name=op.f("ck_group_members_status")),
        fk("group_members", "group_id", "groups"),
        fk("group_members", "member_id", "members"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_members")),
        sa.UniqueConstraint("group_id", "member_id", name="uq_group_members_member"),
    )
    op.create_index(op.f("ix_group_members_group_id"), "group_members", ["group_id"])
    op.create_index(op.f("ix_group_members_member_id"), "group_members", ["member_id"])
    op.create_table(
        "group_contributions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        *money_columns(),
        sa.Column("ledger_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_group_contributions_amount_positive")),
        sa.CheckConstraint("ledger_entry_id IS NOT NULL OR payment_id IS NOT NULL",
                           name=op.f("ck_group_contributions_has_source")),
        fk("group_contributions", "group_id", "groups"),
        fk("group_contributions", "ledger_entry_id", "ledger_entries"),
        fk("group_contributions", "member_id", "members"),
        fk("group_contributions", "payment_id", "payments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_contributions")),
    )
    for column in ("group_id", "ledger_entry_id", "member_id", "payment_id"):
        op.create_index(op.f(f"ix_group_contributions_{column}"), "group_contributions", [column])
    op.create_table(
        "group_fines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        *money_columns(),
        sa.Column("ledger_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_group_fines_amount_positive")),
        fk("group_fines", "group_id", "groups"),
        fk("group_fines", "ledger_entry_id", "ledger_entries"),
        fk("group_fines", "member_id", "members"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_fines")),
        sa.UniqueConstraint("group_id", "member_id", "period", name="uq_group_fines_period"),
    )
    op.create_index(op.f("ix_group_fines_group_id"), "group_fines", ["group_id"])
    op.create_table(
        "group_payouts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        *money_columns(),
        sa.Column("ledger_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_group_payouts_amount_positive")),
        fk("group_payouts", "group_id", "groups"),
        fk("group_payouts", "ledger_entry_id", "ledger_entries"),
        fk("group_payouts", "member_id", "members"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_payouts")),
        sa.UniqueConstraint("group_id", "period", name="uq_group_payouts_period"),
    )
    op.create_index(op.f("ix_group_payouts_group_id"), "group_payouts", ["group_id"])


def downgrade():
    for table in ("group_payouts", "group_fines", "group_contributions", "group_members", "groups"):
        op.drop_table(table)
