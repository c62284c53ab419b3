"""Loan rounding unit (issue 13): `in_multiples_of_minor` on loan products and loans.

A product's schedules, fees and penalties round to multiples of this many minor units
(Fineract's "installment amount in multiples of"), so a KES loan asks for and pays out
whole shillings, all M-Pesa can carry. A loan copies its product's unit when it is
applied for, like its other terms. Existing KES products get 100 (whole shillings, the
built-in OPERATOR_MINOR_UNITS); every other product and every existing loan keeps 1, so
nothing already quoted or scheduled changes.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

WHOLE_UNIT_CURRENCIES = {"KES": 100, "TZS": 100}


def upgrade():
    for table in ("loan_products", "loans"):
        op.add_column(table, sa.Column("in_multiples_of_minor", sa.BigInteger(), nullable=False,
                                       server_default="1"))
        op.create_check_constraint(op.f(f"ck_{table}_in_multiples_of_positive"), table, "in_multiples_of_minor >= 1")
    for currency, unit in WHOLE_UNIT_CURRENCIES.items():
        op.execute(sa.text("UPDATE loan_products SET in_multiples_of_minor = :unit WHERE currency = :currency")
                   .bindparams(unit=unit, currency=currency))


def downgrade():
    for table in ("loans", "loan_products"):
        op.drop_constraint(op.f(f"ck_{table}_in_multiples_of_positive"), table, type_="check")
        op.drop_column(table, "in_multiples_of_minor")
