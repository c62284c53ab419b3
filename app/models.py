"""Every domain's models, imported in one place for metadata and Alembic."""

from app.members.models import Member  # noqa: F401
