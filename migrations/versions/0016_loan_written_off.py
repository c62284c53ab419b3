"""Loans: the `written_off` state (issue 14: a defaulted loan written off by staff).

The loans' state CHECK is rebuilt from app/loans/states.py's list plus the new state;
downgrading refuses while a loan is written off (the old CHECK could not hold it).

Revision ID: 0016
Revises: 0015
"""
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OLD = ("applied", "approved", "declined", "disbursed", "closed", "defaulted")
NEW = (*OLD, "written_off")


def _check(states):
    return f"state IN ({', '.join(repr(state) for state in states)})"


def upgrade():
    op.drop_constraint(op.f("ck_loans_state"), "loans", type_="check")
    op.create_check_constraint(op.f("ck_loans_state"), "loans", _check(NEW))


def downgrade():
    op.drop_constraint(op.f("ck_loans_state"), "loans", type_="check")
    op.create_check_constraint(op.f("ck_loans_state"), "loans", _check(OLD))
