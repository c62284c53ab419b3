"""Issue 11 item 9: a hung database or Redis must not hang every request.

The attack: freeze PostgreSQL (or Redis) under a running instance. Before the fix a
USSD hop and /readyz gave no answer in 15 s. Here the real servers are reached
through a TCP proxy that stops forwarding without closing (what a SIGSTOPped server
or a black-holed network looks like), and an app is built on it: a hop answers the
translated "temporarily unavailable" END within 2 s, /readyz answers 503 within 2 s,
and after the thaw the next hop works (the pool threw the broken connection away).
Lock and statement timeouts on a live server answer the same END, and migration
0011 sets both on the database role.
"""

import importlib.util
import os
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, make_url, text

from app import create_app
from app.extensions import db
from menus.engine import UNAVAILABLE
from tests.proxy_helpers import FreezableProxy
from tests.ussd_helpers import UssdPhone

pytestmark = pytest.mark.committed

LIMIT = 2.0
"""Seconds a member may wait for an answer when a dependency hangs."""


def tcp_port(url, default):
    """The local TCP port of a server URL, or None (a Unix socket, another host)."""
    parsed = urllib.parse.urlsplit(url)
    return (parsed.port or default) if parsed.hostname in ("127.0.0.1", "localhost") else None


@pytest.fixture
def proxies(app):
    pg_port = tcp_port(app.config["DATABASE_URL"], 5432)
    redis_port = tcp_port(app.config["REDIS_URL"], 6379)
    if pg_port is None or redis_port is None:
        pytest.skip("needs PostgreSQL and Redis over TCP on 127.0.0.1")
    with FreezableProxy(pg_port) as pg, FreezableProxy(redis_port) as redis:
        yield pg, redis


def app_through(app, pg, redis, **config):
    """An app like the test app whose PostgreSQL and Redis are reached through the proxies."""
    database = make_url(app.config["DATABASE_URL"]).set(port=pg.port).render_as_string(hide_password=False)
    parts = urllib.parse.urlsplit(app.config["REDIS_URL"])
    redis_url = urllib.parse.urlunsplit(parts._replace(netloc=f"127.0.0.1:{redis.port}"))
    return create_app({"TESTING": True, "DATABASE_URL": database, "REDIS_URL": redis_url,
                       "PIN_PEPPER": app.config["PIN_PEPPER"], "HOP_DEADLINE_MS": "1500", **config})


@pytest.fixture
def through(app, proxies):
    pg, redis = proxies
    built = []

    def build(**config):
        built.append(app_through(app, pg, redis, **config))
        return built[-1]

    yield build
    pg.thaw()
    redis.thaw()
    for application in built:
        with application.app_context():
            db.engine.dispose()


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def unavailable(locale="en"):
    return "END " + UNAVAILABLE.render(locale)


def new_phone():
    return "+2547" + str(uuid.uuid4().int)[:8]


def test_frozen_postgres_answers_unavailable_and_recovers(through, proxies):
    pg, _redis = proxies
    client = through().test_client()
    handset = UssdPhone(client, new_phone())
    assert handset.dial().startswith("CON ")  # a pooled connection exists and works
    for value in ("2", "Amina Wanjiru", str(uuid.uuid4().int)[:8], "4821"):  # Kiswahili, name, ID, PIN
        assert handset.send(value).startswith("CON ")

    pg.freeze()
    body, elapsed = timed(lambda: handset.send("4821"))  # the PIN confirmed: the member is written
    body2, elapsed2 = timed(lambda: UssdPhone(client, new_phone()).dial())  # needs a new connection
    ready, ready_elapsed = timed(lambda: client.get("/readyz"))
    pg.thaw()

    assert body == unavailable("sw") and elapsed < LIMIT, (body, elapsed)
    assert body2 == unavailable("en") and elapsed2 < LIMIT + 0.2, (body2, elapsed2)  # libpq's 2 s connect floor
    assert ready.status_code == 503 and ready_elapsed < LIMIT, (ready.json, ready_elapsed)
    assert ready.json["postgres"].startswith("error") and ready.json["redis"] == "ok"
    assert UssdPhone(client, new_phone()).dial().startswith("CON ")
    assert client.get("/readyz").status_code == 200


def test_frozen_redis_answers_unavailable_and_recovers(through, proxies):
    _pg, redis = proxies
    client = through().test_client()
    handset = UssdPhone(client, new_phone())
    assert handset.dial().startswith("CON ")

    redis.freeze()
    body, elapsed = timed(lambda: handset.send("1"))
    ready, ready_elapsed = timed(lambda: client.get("/readyz"))
    redis.thaw()

    assert body == unavailable() and elapsed < LIMIT, (body, elapsed)
    assert ready.status_code == 503 and ready_elapsed < LIMIT, (ready.json, ready_elapsed)
    assert ready.json["redis"].startswith("error") and ready.json["postgres"] == "ok"
    assert UssdPhone(client, new_phone()).dial().startswith("CON ")


def test_readyz_answers_in_time_with_both_frozen(through, proxies):
    client = through().test_client()
    assert client.get("/readyz").status_code == 200
    for proxy in proxies:
        proxy.freeze()
    ready, elapsed = timed(lambda: client.get("/readyz"))
    assert ready.status_code == 503 and elapsed < LIMIT, (ready.json, elapsed)
    assert ready.json["postgres"].startswith("error") and ready.json["redis"].startswith("error")


def test_a_hop_that_gives_up_on_the_pool_answers_unavailable(through, proxies):
    pg, _redis = proxies
    application = through(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.3})
    client = application.test_client()
    assert UssdPhone(client, new_phone()).dial().startswith("CON ")
    with application.app_context():
        held = db.engine.connect()  # the only pooled connection is busy elsewhere
        try:
            body, elapsed = timed(lambda: UssdPhone(client, new_phone()).dial())
        finally:
            held.close()
    assert body == unavailable() and elapsed < LIMIT, (body, elapsed)
    assert UssdPhone(client, new_phone()).dial().startswith("CON ")


@pytest.mark.parametrize("option", ["lock_timeout", "statement_timeout"])
def test_a_lock_or_statement_timeout_answers_unavailable(app, through, option):
    """LockNotAvailable and QueryCanceled (what the role's timeouts raise) are the same END, never a 500."""
    schema = app.config["TEST_SCHEMA"]
    database = make_url(app.config["DATABASE_URL"]).update_query_dict(
        {"options": f"-csearch_path={schema} -c{option}=200"}).render_as_string(hide_password=False)
    client = through(DATABASE_URL=database, HOP_DEADLINE_MS="5000").test_client()
    locker = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with locker.begin() as connection:
            connection.execute(text("LOCK TABLE members IN ACCESS EXCLUSIVE MODE"))
            body, elapsed = timed(lambda: UssdPhone(client, new_phone()).dial())
    finally:
        locker.dispose()
    assert body == unavailable() and elapsed < 1.0, (body, elapsed)


def load_migration():
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0011_role_timeouts.py"
    spec = importlib.util.spec_from_file_location("role_timeouts", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_sets_the_timeouts_on_the_role_and_downgrade_resets_them(app):
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    base = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(query={})
    role = f"pamoja_timeouts_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    as_role = create_engine(base.set(username=role))
    settings = Flask(__name__)
    settings.config.update(DB_STATEMENT_TIMEOUT_MS="5000", DB_LOCK_TIMEOUT_MS="2000")
    migration = load_migration()

    def run(step):
        with settings.app_context(), as_role.begin() as connection:
            with Operations.context(MigrationContext.configure(connection)):
                step()

    def shown():
        as_role.dispose()  # the settings apply to sessions opened after the change
        with as_role.connect() as connection:
            return tuple(connection.execute(text(f"SHOW {name}")).scalar()
                         for name in ("statement_timeout", "lock_timeout"))

    with admin.connect() as connection:
        connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        assert shown() == ("0", "0")
        run(migration.upgrade)
        assert shown() == ("5s", "2s")
        run(migration.downgrade)
        assert shown() == ("0", "0")
    finally:
        as_role.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_migration_leaves_the_role_alone_when_unset(app):
    settings = Flask(__name__)
    settings.config.update(DB_STATEMENT_TIMEOUT_MS="", DB_LOCK_TIMEOUT_MS=" ")
    with settings.app_context():
        assert load_migration().configured() == {}
    settings.config.update(DB_STATEMENT_TIMEOUT_MS="5s")
    with settings.app_context(), pytest.raises(ValueError, match="DB_STATEMENT_TIMEOUT_MS"):
        load_migration().configured()
