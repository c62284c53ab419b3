"""A scratch schema with an app of its own, for tests that run migrations up and down."""

from contextlib import contextmanager

from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db


@contextmanager
def scratch_app(app, schema, **config):
    """Yield an app (over `app`'s database and Redis, plus `config`) on a fresh, unmigrated `schema`;
    its connections are closed and the schema dropped after."""
    base = app.config["DATABASE_URL"].split("?options=")[0].split("&options=")[0]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in base else "?"
    scratch = create_app({"DATABASE_URL": f"{base}{separator}options=-csearch_path%3D{schema}",
                          "REDIS_URL": app.config["REDIS_URL"], **config})
    try:
        yield scratch
    finally:
        with scratch.app_context():
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
