"""Messaging: every outbound SMS / WhatsApp message, and each provider report about them (kept once).

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=20), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("content_sid", sa.String(length=64), nullable=True),
        sa.Column("content_variables", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("sms_text", sa.Text(), nullable=True),
        sa.Column("segments", sa.Integer(), nullable=True),
        sa.Column("encoding", sa.String(length=8), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("cost_amount", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("provider_id", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_reason", sa.String(length=200), nullable=True),
        sa.Column("status_history", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("fallback_of_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["fallback_of_id"], ["outbound_messages.id"],
                                name=op.f("fk_outbound_messages_fallback_of_id_outbound_messages")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_outbound_messages_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_messages")),
    )
    op.create_index(op.f("ix_outbound_messages_member_id"), "outbound_messages", ["member_id"])
    op.create_index(op.f("ix_outbound_messages_provider_id"), "outbound_messages", ["provider_id"])
    op.create_index(op.f("ix_outbound_messages_recipient"), "outbound_messages", ["recipient"])
    op.create_index(op.f("ix_outbound_messages_status"), "outbound_messages", ["status"])
    op.create_table(
        "message_reports",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("raw", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_reports")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_message_reports_dedupe_key")),
    )
    op.create_index(op.f("ix_message_reports_provider_id"), "message_reports", ["provider_id"])


def downgrade():
    op.drop_index(op.f("ix_message_reports_provider_id"), table_name="message_reports")
    op.drop_table("message_reports")
    op.drop_index(op.f("ix_outbound_messages_status"), table_name="outbound_messages")
    op.drop_index(op.f("ix_outbound_messages_recipient"), table_name="outbound_messages")
    op.drop_index(op.f("ix_outbound_messages_provider_id"), table_name="outbound_messages")
    op.drop_index(op.f("ix_outbound_messages_member_id"), table_name="outbound_messages")
    op.drop_table("outbound_messages")
