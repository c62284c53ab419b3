"""Daily PAR snapshots for the console's dashboard (issue 15): one row per day and currency.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "par_snapshots",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("loans", sa.Integer(), nullable=False),
        sa.Column("outstanding_minor", sa.BigInteger(), nullable=False),
        sa.Column("par1_minor", sa.BigInteger(), nullable=False),
        sa.Column("par30_minor", sa.BigInteger(), nullable=False),
        sa.Column("par60_minor", sa.BigInteger(), nullable=False),
        sa.Column("par90_minor", sa.BigInteger(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "currency", name="uq_par_snapshots_day_currency"),
    )
    op.create_index("ix_par_snapshots_day", "par_snapshots", ["day"])


def downgrade():
    op.drop_index("ix_par_snapshots_day", table_name="par_snapshots")
    op.drop_table("par_snapshots")
