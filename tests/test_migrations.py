"""Migrations match the models, and can be undone to an empty database."""

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.extensions import db
from tests.migration_helpers import scratch_app

SCHEMA = f"t_migrations_{os.getpid()}"


def test_upgrade_matches_models_and_downgrade_empties(app):
    with scratch_app(app, SCHEMA) as scratch, scratch.app_context():
        engine = db.engine
        upgrade()
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diffs == [], diffs
        downgrade(revision="base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
