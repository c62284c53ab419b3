"""Migrations match the models, and can be undone to an empty database."""

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import db

SCHEMA = f"t_migrations_{os.getpid()}"


def test_upgrade_matches_models_and_downgrade_empties(app):
    base = app.config["DATABASE_URL"].split("?options=")[0].split("&options=")[0]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    separator = "&" if "?" in base else "?"
    scratch = create_app({"DATABASE_URL": f"{base}{separator}options=-csearch_path%3D{SCHEMA}",
                          "REDIS_URL": app.config["REDIS_URL"]})
    try:
        with scratch.app_context():
            engine = db.engines[None] if hasattr(db, "engines") else db.engine
            upgrade()
            with engine.connect() as conn:
                diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diffs == [], diffs
            downgrade(revision="base")
            with engine.connect() as conn:
                assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
            engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()
