"""Member security: PIN pepper id, national ID encrypted at rest with a keyed lookup hash.

National IDs are encrypted here, in the migration, with the keys the application is
configured with (ID_ENCRYPTION_KEYS / ID_LOOKUP_KEY, or the published development
keys under APP_ENV development/test), and the plaintext column is dropped in the same
transaction: no deploy ever runs with plaintext IDs left at rest, and no code has to
read two forms. Without keys outside development the migration refuses (naming the
setting) and PostgreSQL rolls it back whole. Key rotation afterwards is
`flask members reencrypt`.

PIN hashes of the pre-id form `pbkdf2_sha256$<iterations>$<salt>$<hash>` (members
and agents) get the pepper id of today's pepper (PIN_PEPPER_ID, default "1"), so a
later pepper rotation still verifies them through PIN_OLD_PEPPERS.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 1000
PIN_TABLES = ("members", "agents")


def _config():
    from flask import current_app

    return current_app.config


def _identity_keys():
    from app.members.identity import IdentityKeys

    return IdentityKeys.from_config(_config())


def _pepper_id():
    from app.members.pin_hashing import DEFAULT_PEPPER_ID

    return (_config().get("PIN_PEPPER_ID") or DEFAULT_PEPPER_ID).strip()


def _batches(bind, query):
    """Rows of `query` (ordered by id, with :after) in batches, keyset-paginated."""
    after = 0
    while True:
        rows = bind.execute(sa.text(query), {"after": after, "limit": BATCH}).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def upgrade():
    bind = op.get_bind()
    op.add_column("members", sa.Column("national_id_encrypted", sa.String(length=100), nullable=True))
    op.add_column("members", sa.Column("national_id_lookup", sa.String(length=64), nullable=True))
    keys = None
    for rows in _batches(bind, "SELECT id, national_id FROM members WHERE id > :after ORDER BY id LIMIT :limit"):
        keys = keys or _identity_keys()  # only a table with rows needs keys
        bind.execute(sa.text("UPDATE members SET national_id_encrypted = :encrypted, national_id_lookup = :lookup "
                             "WHERE id = :id"),
                     [{"id": row.id, "encrypted": keys.encrypt(row.national_id),
                       "lookup": keys.lookup_hash(row.national_id)} for row in rows])
    op.alter_column("members", "national_id_encrypted", nullable=False)
    op.alter_column("members", "national_id_lookup", nullable=False)
    op.drop_column("members", "national_id")
    op.create_index(op.f("ix_members_national_id_lookup"), "members", ["national_id_lookup"], unique=False)
    for table in PIN_TABLES:
        bind.execute(sa.text(f"UPDATE {table} SET pin_hash = 'pbkdf2_sha256$' || :pepper_id || '$' "
                             "|| substr(pin_hash, 15) WHERE pin_hash LIKE 'pbkdf2\\_sha256$%' "
                             "AND cardinality(string_to_array(pin_hash, '$')) = 4"),
                     {"pepper_id": _pepper_id()})


def downgrade():
    bind = op.get_bind()
    for table in PIN_TABLES:  # hashes of today's pepper go back to the pre-id form; others need a PIN reset
        bind.execute(sa.text(f"UPDATE {table} SET pin_hash = 'pbkdf2_sha256$' || substr(pin_hash, 16 + length(:pid)) "
                             "WHERE left(pin_hash, 15 + length(:pid)) = 'pbkdf2_sha256$' || :pid || '$'")
                     .bindparams(sa.bindparam("pid", type_=sa.Text)),
                     {"pid": _pepper_id()})
    op.drop_index(op.f("ix_members_national_id_lookup"), table_name="members")
    op.add_column("members", sa.Column("national_id", sa.String(length=20), nullable=True))
    keys = None
    for rows in _batches(bind, "SELECT id, national_id_encrypted FROM members WHERE id > :after "
                               "ORDER BY id LIMIT :limit"):
        keys = keys or _identity_keys()
        bind.execute(sa.text("UPDATE members SET national_id = :national_id WHERE id = :id"),
                     [{"id": row.id, "national_id": keys.decrypt(row.national_id_encrypted)} for row in rows])
    op.alter_column("members", "national_id", nullable=False)
    op.drop_column("members", "national_id_lookup")
    op.drop_column("members", "national_id_encrypted")
