"""Read-only paths on a read replica: DATABASE_REPLICA_URL, or the primary when it is unset.

Statements, exports and reports (PAR) only read, and they are what the primary can
shed first as members grow. With DATABASE_REPLICA_URL set (a streaming replica, or a
PgBouncer in front of several), `configure` adds a second engine, a Flask-SQLAlchemy
bind named "replica", and `read_session(primary)` answers one session on it per app
context (closed with the context); unset, it answers `primary` itself, so a
one-database deployment and the tests change nothing. A replica lags the primary by
its replay delay (usually well under a second): read there only what may be that old
(a statement just after a deposit may miss it), never a balance that money is checked
against; those reads stay in the unit of work's own session on the primary.
"""

from flask import g

from app.embedded import sqlalchemy_url
from app.extensions import db

REPLICA_BIND = "replica"
"""The Flask-SQLAlchemy bind key of the replica's engine."""


def configure(app, engine_options):
    """Add the replica's engine (same pool and connect options as the primary's) when the setting is given."""
    url = str(app.config.get("DATABASE_REPLICA_URL") or "").strip()
    if not url:
        return
    app.config.setdefault("SQLALCHEMY_BINDS", {})[REPLICA_BIND] = {"url": sqlalchemy_url(url), **engine_options}
    app.extensions[REPLICA_BIND] = True
    app.teardown_appcontext(close_read_session)


def read_session(primary, config):
    """The session read-only paths use: one on the replica, or `primary` when there is none.

    Without a replica nothing here needs an app context (services built in a bare thread work).
    """
    if not str(config.get("DATABASE_REPLICA_URL") or "").strip():
        return primary
    if "pamoja_read_session" not in g:
        from sqlalchemy.orm import Session

        g.pamoja_read_session = Session(bind=db.engines[REPLICA_BIND])
    return g.pamoja_read_session


def close_read_session(_error=None):
    session = g.pop("pamoja_read_session", None)
    if session is not None:
        session.close()
