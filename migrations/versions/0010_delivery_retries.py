"""Outbox records for after-commit work that failed, so the sweep retries it.

`deferred_jobs` keeps a job whose enqueue failed after its transaction committed
(Redis away); the sweep enqueues it again. `outbound_messages.sending_since` is set
and committed just before a provider is called, so a send whose answer was lost
(a worker killed, a read timeout) is known to have an unknown outcome.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deferred_jobs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("queue", sa.String(length=20), nullable=False),
        sa.Column("func", sa.String(length=200), nullable=False),
        sa.Column("args", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("kwargs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("job_id", sa.String(length=200), nullable=True),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deferred_jobs")),
    )
    op.add_column("outbound_messages", sa.Column("sending_since", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("outbound_messages", "sending_since")
    op.drop_table("deferred_jobs")
