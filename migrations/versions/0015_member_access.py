"""Member access (issue 14): forgotten-PIN requests and blocked accounts.

`pin_reset_requests` holds each member's "I forgot my PIN" from request to outcome
(at most one open per member); `members.blocked_at` is set while staff have blocked
the account.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("members", sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "pin_reset_requests",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=40), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('requested', 'approved', 'completed', 'expired', 'cancelled')",
                           name=op.f("ck_pin_reset_requests_status")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_pin_reset_requests_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pin_reset_requests")),
    )
    op.create_index(op.f("ix_pin_reset_requests_member_id"), "pin_reset_requests", ["member_id"])
    op.create_index("uq_pin_reset_requests_open_member", "pin_reset_requests", ["member_id"], unique=True,
                    postgresql_where=sa.text("status IN ('requested', 'approved')"))


def downgrade():
    op.drop_index("uq_pin_reset_requests_open_member", table_name="pin_reset_requests")
    op.drop_index(op.f("ix_pin_reset_requests_member_id"), table_name="pin_reset_requests")
    op.drop_table("pin_reset_requests")
    op.drop_column("members", "blocked_at")
