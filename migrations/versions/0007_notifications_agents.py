"""Notifications (made once per kind and key) and field agents with their cash transactions.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("dedupe_key", sa.String(length=160), nullable=True),
        sa.Column("member_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("template_variables", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_notifications_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("kind", "dedupe_key", name="uq_notifications_kind_dedupe_key"),
    )
    op.create_index(op.f("ix_notifications_member_id"), "notifications", ["member_id"])
    op.create_index(op.f("ix_notifications_agent_id"), "notifications", ["agent_id"])
    op.create_index(op.f("ix_notifications_status"), "notifications", ["status"])

    op.create_table(
        "agents",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("pin_hash", sa.String(length=128), nullable=False),
        sa.Column("pin_failures", sa.Integer(), nullable=False),
        sa.Column("pin_locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("per_transaction_limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("daily_limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('active', 'suspended')", name=op.f("ck_agents_status")),
        sa.CheckConstraint("per_transaction_limit_minor > 0 AND daily_limit_minor > 0",
                           name=op.f("ck_agents_limits_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("code", name=op.f("uq_agents_code")),
        sa.UniqueConstraint("phone", name=op.f("uq_agents_phone")),
    )
    op.create_table(
        "agent_transactions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("purpose_ref", sa.String(length=60), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("receipt", sa.String(length=12), nullable=False),
        sa.Column("idempotency_key", sa.String(length=160), nullable=False),
        sa.Column("ledger_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_agent_transactions_amount_positive")),
        sa.CheckConstraint("status IN ('completed', 'disputed')", name=op.f("ck_agent_transactions_status")),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_agent_transactions_agent_id_agents")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_agent_transactions_member_id_members")),
        sa.ForeignKeyConstraint(["ledger_entry_id"], ["ledger_entries.id"],
                                name=op.f("fk_agent_transactions_ledger_entry_id_ledger_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_transactions")),
        sa.UniqueConstraint("receipt", name=op.f("uq_agent_transactions_receipt")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_agent_transactions_idempotency_key")),
    )
    op.create_index(op.f("ix_agent_transactions_agent_id"), "agent_transactions", ["agent_id"])
    op.create_index(op.f("ix_agent_transactions_member_id"), "agent_transactions", ["member_id"])
    op.create_index(op.f("ix_agent_transactions_status"), "agent_transactions", ["status"])
    op.create_index(op.f("ix_agent_transactions_created_at"), "agent_transactions", ["created_at"])


def downgrade():
    op.drop_table("agent_transactions")
    op.drop_table("agents")
    op.drop_table("notifications")
