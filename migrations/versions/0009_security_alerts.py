"""Security alerts raised by the velocity rules (rule, subject, evidence), and what they watch.

- `security_alerts`: one row per rule, subject and window (unique), status `open`
  until the back office's compliance queue works it (app/alerts).
- `members.pin_changed_at` / `members.phone_changed_at`: when the PIN was last
  changed or reset, and the phone number last changed (money out soon after is a rule).
- A BRIN index on `ledger_entries.created_at`, so the periodic scan reads the last
  minutes of the ledger without a sequential scan, at almost no cost per posting.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "security_alerts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("window_key", sa.String(length=80), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_security_alerts_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_alerts")),
        sa.UniqueConstraint("rule", "subject_type", "subject_id", "window_key", name="uq_security_alerts_rule"),
    )
    op.create_index(op.f("ix_security_alerts_status"), "security_alerts", ["status"])
    op.add_column("members", sa.Column("pin_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("members", sa.Column("phone_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_ledger_entries_created_at", "ledger_entries", ["created_at"], postgresql_using="brin")


def downgrade():
    op.drop_index("ix_ledger_entries_created_at", table_name="ledger_entries")
    op.drop_column("members", "phone_changed_at")
    op.drop_column("members", "pin_changed_at")
    op.drop_index(op.f("ix_security_alerts_status"), table_name="security_alerts")
    op.drop_table("security_alerts")
