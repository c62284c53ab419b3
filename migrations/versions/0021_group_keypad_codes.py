"""Groups that run themselves (issue 16): keypad look-up of old join codes, contributions given back.

- `ix_groups_keypad_code`: an index on the digits a phone keypad gives for a group's code
  (`translate(code, 'ABC...', '222...')`), so a group made with a letter code (`AB3XYZ`)
  is found by `223999` typed on a phone with no letters mode. New groups get digit codes;
  no existing code is changed, so every code already shared keeps working.
- `group_contributions.refunded_entry_id`: the ledger entry that gave a contribution back
  to a member who left the group (app/groups/leaving.py); such a row pays no period and
  no payout counts it. `shared_out_entry_id`: the share-out that gave it back
  (app/groups/share_out.py); the period stays paid, no payout counts it. Existing rows:
  NULL (nothing was ever refunded or shared out).

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

COLUMNS = ("refunded_entry_id", "shared_out_entry_id")


def upgrade():
    op.execute("CREATE INDEX ix_groups_keypad_code ON groups "
               "(translate(code, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '22233344455566677778889999'))")
    for column in COLUMNS:
        op.add_column("group_contributions", sa.Column(column, sa.BigInteger(), nullable=True))
        op.create_foreign_key(op.f(f"fk_group_contributions_{column}_ledger_entries"), "group_contributions",
                              "ledger_entries", [column], ["id"])


def downgrade():
    for column in COLUMNS:
        op.drop_constraint(op.f(f"fk_group_contributions_{column}_ledger_entries"), "group_contributions",
                           type_="foreignkey")
        op.drop_column("group_contributions", column)
    op.drop_index("ix_groups_keypad_code", table_name="groups")
