"""Agent disputes as a workflow (issue 14): one row per disputed agent transaction, with its SLA.

Transactions members disputed before this migration become open disputes, due
DISPUTE_SLA_HOURS' default (48 h) after they were disputed, so the escalation job
picks up the ones already overdue.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "agent_disputes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=15), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("investigated_by_staff_id", sa.BigInteger(), nullable=True),
        sa.Column("investigated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_staff_id", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_reason", sa.String(length=500), nullable=True),
        sa.Column("reversal_entry_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'investigating', 'upheld', 'rejected')",
                           name=op.f("ck_agent_disputes_state")),
        sa.ForeignKeyConstraint(["transaction_id"], ["agent_transactions.id"],
                                name=op.f("fk_agent_disputes_transaction_id_agent_transactions")),
        sa.ForeignKeyConstraint(["investigated_by_staff_id"], ["staff.id"],
                                name=op.f("fk_agent_disputes_investigated_by_staff_id_staff")),
        sa.ForeignKeyConstraint(["resolved_by_staff_id"], ["staff.id"],
                                name=op.f("fk_agent_disputes_resolved_by_staff_id_staff")),
        sa.ForeignKeyConstraint(["reversal_entry_id"], ["ledger_entries.id"],
                                name=op.f("fk_agent_disputes_reversal_entry_id_ledger_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_disputes")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_agent_disputes_transaction_id")),
    )
    op.create_index(op.f("ix_agent_disputes_state"), "agent_disputes", ["state"])
    op.execute("""
        INSERT INTO agent_disputes (transaction_id, state, opened_at, due_at)
        SELECT id, 'open', disputed_at, disputed_at + interval '48 hours'
        FROM agent_transactions WHERE status = 'disputed' AND disputed_at IS NOT NULL
    """)


def downgrade():
    op.drop_table("agent_disputes")
