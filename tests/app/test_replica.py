"""DATABASE_REPLICA_URL: statements, exports and PAR read on the replica; unset, everything stays on the primary.

The replica here is the test database itself under another `application_name`, so the test
can tell which connection a read used (a real streaming replica is docs/scaling.md's).
"""

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import event, text

from app import create_app
from app.extensions import db
from app.replica import REPLICA_BIND
from app.services import build_services
from app.settings import DEFAULT_PREPARE_THRESHOLD, Settings

REPLICA_NAME = "pamoja_replica_test"


def test_without_a_replica_every_read_uses_the_primary_session(app, services, session):
    assert REPLICA_BIND not in db.engines
    assert services.read_session is session
    assert services.ledger_reads.session is session
    assert services.savings.statements.session is session


@pytest.fixture
def replica_app(app):
    url = app.config["DATABASE_URL"]
    separator = "&" if "?" in url else "?"
    config = {name: app.config[name] for name in ("DATABASE_URL", "REDIS_URL", "PIN_PEPPER", "TEST_SCHEMA")}
    return create_app({**config, "APP_ENV": "test", "TESTING": True,
                       "DATABASE_REPLICA_URL": f"{url}{separator}application_name={REPLICA_NAME}"})


def statements_on(engine):
    """The SQL the engine runs from now on (a list that grows)."""
    seen = []
    event.listen(engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, *_args: seen.append(statement))
    return seen


def test_with_a_replica_statements_and_par_read_there(replica_app):
    with replica_app.app_context():
        replica = db.engines[REPLICA_BIND]
        on_replica, on_primary = statements_on(replica), statements_on(db.engine)
        services = build_services(replica_app, db.session)
        assert services.read_session is not services.session
        assert services.read_session.scalar(text("SELECT current_setting('application_name')")) == REPLICA_NAME
        account = SimpleNamespace(id=1, normal_sign=1, currency="KES")
        services.savings.statements.statement(account, 5)  # committed data only (other tests' committed rows)
        assert any("ledger_postings" in sql for sql in on_replica)
        result = replica_app.test_cli_runner().invoke(args=["loans", "par", "--json"])
        assert result.exit_code == 0, result.output
        assert "lines" in json.loads(result.output)
        assert any("loan_instalments" in sql for sql in on_replica)
        assert not any("ledger_postings" in sql or "loan_instalments" in sql for sql in on_primary)
    replica.dispose()


def test_prepared_statements_can_be_switched_off_for_pgbouncer():
    from app.config import DEFAULTS

    assert Settings.parse({**DEFAULTS, "DB_PREPARE_THRESHOLD": ""}).DB_PREPARE_THRESHOLD is DEFAULT_PREPARE_THRESHOLD
    assert Settings.parse({**DEFAULTS, "DB_PREPARE_THRESHOLD": "none"}).DB_PREPARE_THRESHOLD is None
    assert Settings.parse({**DEFAULTS, "DB_PREPARE_THRESHOLD": "3"}).DB_PREPARE_THRESHOLD == 3


def test_the_engine_never_prepares_when_told(app):
    configured = create_app({name: app.config[name] for name in ("DATABASE_URL", "REDIS_URL", "PIN_PEPPER")}
                            | {"APP_ENV": "test", "DB_PREPARE_THRESHOLD": "none"})
    with configured.app_context():
        with db.engine.connect() as conn:
            assert conn.connection.dbapi_connection.prepare_threshold is None
        db.engine.dispose()
