"""Statement and lock timeouts set on the application's database role.

Revision ID: 0011
Revises: 0010

A query that waits forever on a lock or runs away holds a pooled connection and a
request with it. The timeouts are session defaults of the role the app logs in as,
in the app's own database (`ALTER ROLE ... IN DATABASE ... SET`): every new session
starts with them, so they need no `SET` round trip per connection and they hold
through a transaction-pooling PgBouncer (which would drop a per-session `SET`).
Values come from DB_STATEMENT_TIMEOUT_MS and DB_LOCK_TIMEOUT_MS (0 = no limit; empty =
leave the role as it is, for a role shared with others, as the tests' local server);
running the migration again (downgrade, upgrade) applies new values to sessions
opened after it. They bound a live server only: a frozen one is the hop deadline's
(app/deadline.py). A later migration that needs longer (a big index build) says
`SET LOCAL statement_timeout = 0` in its own transaction.
"""

from alembic import op
from flask import current_app

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SETTINGS = {"statement_timeout": "DB_STATEMENT_TIMEOUT_MS", "lock_timeout": "DB_LOCK_TIMEOUT_MS"}


def _alter_role(clause):
    """ALTER ROLE <current user> IN DATABASE <current database> <clause> (names quoted by the server)."""
    op.execute("DO $$ BEGIN EXECUTE format('ALTER ROLE %I IN DATABASE %I " + clause + "', "
               "current_user, current_database()); END $$")


def configured():
    """{parameter: milliseconds} for each setting that is not empty."""
    values = {}
    for parameter, setting in SETTINGS.items():
        value = str(current_app.config.get(setting, "")).strip()
        if not value:
            continue
        if not value.isdigit():
            raise ValueError(f"{setting} must be empty, 0 (no limit) or a number of milliseconds, not {value!r}")
        values[parameter] = int(value)
    return values


def upgrade():
    for parameter, milliseconds in configured().items():
        _alter_role(f"SET {parameter} = {milliseconds}")


def downgrade():
    for parameter in configured():
        _alter_role(f"RESET {parameter}")
