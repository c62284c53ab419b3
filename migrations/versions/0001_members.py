"""Members: phone (E.164), name, national id, locale, PIN hash and lockout.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 16:46:53.847911

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('members',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('national_id', sa.String(length=20), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('pin_hash', sa.String(length=128), nullable=True),
    sa.Column('pin_failures', sa.Integer(), nullable=False),
    sa.Column('pin_locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('kyc_level', sa.Integer(), nullable=False),
    sa.Column('preferred_channel', sa.String(length=10), nullable=False),
    sa.Column('sms_opted_out', sa.Boolean(), nullable=False),
    sa.Column('last_whatsapp_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registered_by_agent_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('phone', name=op.f('uq_members_phone'))
    )


def downgrade():
    op.drop_table('members')
