"""Loans: products, loans, their instalments, decisions, repayments and guarantor pledges.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('loan_products',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('min_amount', sa.BigInteger(), nullable=False),
    sa.Column('max_amount', sa.BigInteger(), nullable=False),
    sa.Column('terms', postgresql.ARRAY(sa.Integer()), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('interest_method', sa.String(length=10), nullable=False),
    sa.Column('annual_rate', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('fee_type', sa.String(length=10), nullable=False),
    sa.Column('fee_value', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('fee_timing', sa.String(length=20), nullable=False),
    sa.Column('penalty_type', sa.String(length=10), nullable=False),
    sa.Column('penalty_value', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('savings_multiplier', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('min_membership_days', sa.Integer(), nullable=False),
    sa.Column('guarantor_rule', sa.String(length=12), nullable=False),
    sa.Column('approval', sa.String(length=10), nullable=False),
    sa.Column('auto_approve_max', sa.BigInteger(), nullable=False),
    sa.Column('group_id', sa.BigInteger(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("approval IN ('auto', 'officer', 'group')", name=op.f('ck_loan_products_approval')),
    sa.CheckConstraint("fee_timing IN ('deducted', 'first_instalment')", name=op.f('ck_loan_products_fee_timing')),
    sa.CheckConstraint("fee_type IN ('flat', 'percent')", name=op.f('ck_loan_products_fee_type')),
    sa.CheckConstraint("frequency IN ('weekly', 'monthly')", name=op.f('ck_loan_products_frequency')),
    sa.CheckConstraint("guarantor_rule IN ('none', 'above_limit')", name=op.f('ck_loan_products_guarantor_rule')),
    sa.CheckConstraint("interest_method IN ('flat', 'declining')", name=op.f('ck_loan_products_interest_method')),
    sa.CheckConstraint("penalty_type IN ('flat', 'percent')", name=op.f('ck_loan_products_penalty_type')),
    sa.CheckConstraint('min_amount > 0 AND max_amount >= min_amount', name=op.f('ck_loan_products_amounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_products')),
    sa.UniqueConstraint('code', name=op.f('uq_loan_products_code'))
    )
    op.create_table('loans',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('product_id', sa.BigInteger(), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('instalments', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('interest_method', sa.String(length=10), nullable=False),
    sa.Column('annual_rate', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('fee', sa.BigInteger(), nullable=False),
    sa.Column('fee_timing', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('destination', sa.String(length=12), nullable=False),
    sa.Column('own_limit', sa.BigInteger(), nullable=False),
    sa.Column('disbursement_payment_id', sa.BigInteger(), nullable=True),
    sa.Column('disbursed_on', sa.Date(), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disbursed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('session_ref', sa.String(length=120), nullable=True),
    sa.CheckConstraint("destination IN ('savings', 'mobile_money')", name=op.f('ck_loans_destination')),
    sa.CheckConstraint("state IN ('applied', 'approved', 'declined', 'disbursed', 'closed', 'defaulted')",
        name=op.f('ck_loans_state')),
    sa.CheckConstraint('fee >= 0', name=op.f('ck_loans_fee_not_negative')),
    sa.CheckConstraint('principal > 0', name=op.f('ck_loans_principal_positive')),
    sa.ForeignKeyConstraint(['disbursement_payment_id'], ['payments.id'],
        name=op.f('fk_loans_disbursement_payment_id_payments')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_loans_member_id_members')),
    sa.ForeignKeyConstraint(['product_id'], ['loan_products.id'], name=op.f('fk_loans_product_id_loan_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loans')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_loans_idempotency_key'))
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loans_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_state'), ['state'], unique=False)

    op.create_table('loan_decisions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_loan_decisions_loan_id_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_decisions'))
    )
    with op.batch_alter_table('loan_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_decisions_loan_id'), ['loan_id'], unique=False)

    op.create_table('loan_guarantees',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('guarantor_id', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('pledged', sa.BigInteger(), nullable=False),
    sa.Column('recovered', sa.BigInteger(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('requested', 'pledged', 'declined', 'released', 'recovered', 'cancelled')",
        name=op.f('ck_loan_guarantees_state')),
    sa.ForeignKeyConstraint(['guarantor_id'], ['members.id'], name=op.f('fk_loan_guarantees_guarantor_id_members')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_loan_guarantees_loan_id_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_guarantees')),
    sa.UniqueConstraint('loan_id', 'guarantor_id', name='uq_loan_guarantees_loan_guarantor')
    )
    with op.batch_alter_table('loan_guarantees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_guarantees_guarantor_id'), ['guarantor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loan_guarantees_loan_id'), ['loan_id'], unique=False)

    op.create_table('loan_instalments',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('principal_due', sa.BigInteger(), nullable=False),
    sa.Column('interest_due', sa.BigInteger(), nullable=False),
    sa.Column('fee_due', sa.BigInteger(), nullable=False),
    sa.Column('penalty_due', sa.BigInteger(), nullable=False),
    sa.Column('principal_paid', sa.BigInteger(), nullable=False),
    sa.Column('interest_paid', sa.BigInteger(), nullable=False),
    sa.Column('fee_paid', sa.BigInteger(), nullable=False),
    sa.Column('penalty_paid', sa.BigInteger(), nullable=False),
    sa.Column('paid', sa.Boolean(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('days_overdue', sa.Integer(), nullable=False),
    sa.Column('penalty_on', sa.Date(), nullable=True),
    sa.CheckConstraint('principal_paid <= principal_due AND interest_paid <= interest_due AND '
                       'fee_paid <= fee_due AND penalty_paid <= penalty_due',
        name=op.f('ck_loan_instalments_not_overpaid')),
    sa.CheckConstraint('principal_paid >= 0 AND interest_paid >= 0 AND fee_paid >= 0 AND penalty_paid >= 0',
        name=op.f('ck_loan_instalments_paid_not_negative')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_loan_instalments_loan_id_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_instalments')),
    sa.UniqueConstraint('loan_id', 'number', name='uq_loan_instalments_loan_number')
    )
    with op.batch_alter_table('loan_instalments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_instalments_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_loan_instalments_loan_id'), ['loan_id'], unique=False)

    op.create_table('loan_repayments',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('penalty', sa.BigInteger(), nullable=False),
    sa.Column('fee', sa.BigInteger(), nullable=False),
    sa.Column('interest', sa.BigInteger(), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('excess', sa.BigInteger(), nullable=False),
    sa.Column('payment_id', sa.BigInteger(), nullable=True),
    sa.Column('ledger_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entries.id'],
        name=op.f('fk_loan_repayments_ledger_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_loan_repayments_loan_id_loans')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_loan_repayments_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_repayments')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_loan_repayments_idempotency_key'))
    )
    with op.batch_alter_table('loan_repayments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_repayments_loan_id'), ['loan_id'], unique=False)



def downgrade():
    with op.batch_alter_table('loan_repayments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_repayments_loan_id'))

    op.drop_table('loan_repayments')
    with op.batch_alter_table('loan_instalments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_instalments_loan_id'))
        batch_op.drop_index(batch_op.f('ix_loan_instalments_due_date'))

    op.drop_table('loan_instalments')
    with op.batch_alter_table('loan_guarantees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_guarantees_loan_id'))
        batch_op.drop_index(batch_op.f('ix_loan_guarantees_guarantor_id'))

    op.drop_table('loan_guarantees')
    with op.batch_alter_table('loan_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_decisions_loan_id'))

    op.drop_table('loan_decisions')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loans_state'))
        batch_op.drop_index(batch_op.f('ix_loans_product_id'))
        batch_op.drop_index(batch_op.f('ix_loans_member_id'))

    op.drop_table('loans')
    op.drop_table('loan_products')
