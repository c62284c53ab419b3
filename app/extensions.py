"""Extensions, created unbound and bound to an app in `create_app`.

The Redis client and the RQ queues are per-app objects kept in
`app.extensions["redis"]` and `app.extensions["queues"]`; `redis_client()` reads
the client from the current app so nothing holds a global one.
"""

from flask import current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from redis import Redis
from rq import Queue
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, make_transient_to_detached

QUEUE_NAMES = ("high", "default", "low")
"""RQ queues, most urgent first: money and OTPs, messages, reports."""

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    @classmethod
    def just_inserted(cls, session, **columns):
        """The row this transaction just inserted (a Core INSERT ... RETURNING, a SQL function), as a persistent
        instance in `session` without a SELECT back; a column not given loads on first use."""
        instance = cls(**columns)
        make_transient_to_detached(instance)
        session.add(instance)
        return instance


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


def init_redis(app):
    """Bind a Redis client and the RQ queues to the app."""
    timeout = app.extensions["settings"].REDIS_TIMEOUT_MS / 1000  # a frozen Redis costs a request this, per call
    client = Redis.from_url(app.config["REDIS_URL"], socket_timeout=timeout, socket_connect_timeout=timeout,
                            health_check_interval=30)
    app.extensions["redis"] = client
    app.extensions["queues"] = {name: Queue(name, connection=client) for name in QUEUE_NAMES}


def redis_client():
    """The current app's Redis client."""
    return current_app.extensions["redis"]
