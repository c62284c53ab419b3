"""Reads outside a transaction until the first write or lock, and every guarantee of a transaction kept after it."""

import secrets

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from app.deferred_transaction import STANDALONE, commit_owed, is_plain_read
from app.extensions import db
from app.members.models import Member
from app.members.pin_hashing import serialize_pin_checks
from app.unit_of_work import callback_unit
from tests.round_trip_helpers import RoundTrips, assert_reads_then_one_transaction, words


def fresh_phone():
    return "+2547" + "".join(secrets.choice("0123456789") for _ in range(8))


@pytest.mark.parametrize("statement", [
    "SELECT members.id FROM members WHERE members.phone = %(phone_1)s",
    "  SELECT count(*) AS count_1 FROM members WHERE members.id IN (%(id_1)s, %(id_2)s)",
    "SELECT coalesce(sum(ledger_postings.amount), %(param_1)s) FROM ledger_postings",
    "SELECT a.id FROM (SELECT members.id AS id FROM members) AS a WHERE EXISTS (SELECT 1 FROM agents)",
])
def test_plain_reads(statement):
    assert is_plain_read(statement)


@pytest.mark.parametrize("statement", [
    "SELECT members.id FROM members WHERE members.id = %(id_1)s FOR UPDATE",
    "SELECT members.id FROM members FOR NO KEY UPDATE OF members",
    "SELECT accounts.id FROM accounts for share",
    "SELECT pg_advisory_xact_lock(hashtext(%(hashtext_1)s::VARCHAR)) AS pg_advisory_xact_lock_1",
    "SELECT pg_advisory_xact_lock(hashtextextended(%(key)s, 13))",
    "SELECT nextval('ledger_entries_id_seq')",
    "SELECT set_config('x', 'y', true)",
    "INSERT INTO members (phone) VALUES (%(phone)s) RETURNING members.id",
    "UPDATE members SET pin_failures=%(pin_failures)s WHERE members.id = %(members_id)s",
    "DELETE FROM outbox WHERE outbox.id = %(id_1)s",
    "WITH moved AS (UPDATE accounts SET balance = 0 RETURNING id) SELECT id FROM moved",
    "SAVEPOINT sa_savepoint_1",
])
def test_statements_that_need_a_transaction(statement):
    assert not is_plain_read(statement)


@pytest.mark.committed
def test_reads_need_no_begin_and_a_write_starts_one_transaction(app):
    trips = RoundTrips(db.engine)
    phone = fresh_phone()
    with trips.recording() as log, callback_unit("test", "deferred", defer_transaction=True) as unit:
        services = unit.services
        assert services.members.by_phone(phone) is None
        services.members.register(phone=phone, name="Deferred Reader", national_id=phone[-8:], locale="en",
                                  pin="2580")
        assert services.members.by_phone(phone) is not None
    assert not unit.failed
    assert words(log)[0] == "SELECT"
    assert_reads_then_one_transaction(log)
    assert db.session.scalar(select(Member.id).where(Member.phone == phone)) is not None


@pytest.mark.committed
def test_a_failure_after_writes_leaves_nothing(app):
    phone = fresh_phone()
    with callback_unit("test", "deferred", defer_transaction=True) as unit:
        unit.services.members.register(phone=phone, name="Rolled Back", national_id=phone[-8:], locale="en",
                                       pin="2580")
        unit.services.session.flush()
        raise RuntimeError("after the write")
    assert unit.failed
    assert db.session.scalar(select(Member.id).where(Member.phone == phone)) is None


@pytest.mark.committed
def test_the_pin_check_lock_is_held_until_the_unit_commits(app):
    key = f"pin:member:{secrets.randbelow(10**9) + 10**9}"
    row_id = int(key.rsplit(":", 1)[1])

    def try_lock():
        with db.engine.connect() as other:
            taken = other.scalar(select(func.pg_try_advisory_xact_lock(func.hashtext(key))))
            other.rollback()
            return taken

    with callback_unit("test", "deferred", defer_transaction=True) as unit:
        session = unit.services.session
        session.scalar(select(Member.id).limit(1))
        dbapi_connection = session.connection().connection.dbapi_connection
        assert dbapi_connection.autocommit  # reading: no transaction yet
        serialize_pin_checks(session, "member", row_id)
        assert not dbapi_connection.autocommit
        assert try_lock() is False  # held by the unit's transaction, not released after its statement
    assert not unit.failed
    assert try_lock() is True
    assert dbapi_connection.autocommit is False  # back in the pool in the engine's ordinary mode


@pytest.fixture
def commits():
    """How many times any session committed during the test."""
    counted = []

    def count(_session):
        counted.append(1)

    event.listen(Session, "after_commit", count)
    yield counted
    event.remove(Session, "after_commit", count)


@pytest.mark.committed
def test_a_unit_that_only_read_is_not_committed(app, commits):
    """Nothing PostgreSQL saw began: SQLAlchemy's commit bookkeeping is skipped, the session just closes."""
    with callback_unit("test", "deferred", defer_transaction=True) as unit:
        unit.services.session.scalar(select(Member.id).limit(1))
        assert unit.services.session().in_transaction() and not commit_owed(unit.services.session)
    assert not unit.failed
    assert commits == []


@pytest.mark.committed
def test_a_change_not_yet_flushed_is_committed(app, commits):
    """A loaded object changed after a read owes its flush and commit, though no statement wrote yet."""
    phone = fresh_phone()
    with callback_unit("test", "deferred", defer_transaction=True) as unit:
        unit.services.members.register(phone=phone, name="Not Yet Flushed", national_id=phone[-8:], locale="en",
                                       pin="2580")
    db.session.remove()
    with callback_unit("test", "deferred", defer_transaction=True) as unit:
        member = unit.services.members.by_phone(phone)
        member.name = "Changed Unflushed"
        assert commit_owed(unit.services.session)
    assert not unit.failed
    db.session.remove()
    assert db.session.scalar(select(Member.name).where(Member.phone == phone)) == "Changed Unflushed"


@pytest.mark.committed
def test_after_a_lock_the_unit_is_committed(app, commits):
    with callback_unit("test", "deferred", defer_transaction=True) as unit:
        session = unit.services.session
        session.scalar(select(Member.id).limit(1))
        serialize_pin_checks(session, "member", secrets.randbelow(10**9) + 10**9)
        assert commit_owed(session)
    assert not unit.failed
    assert commits == [1]


@pytest.mark.committed
def test_without_deferring_a_read_is_in_a_transaction(app):
    trips = RoundTrips(db.engine)
    with trips.recording() as log, callback_unit("test", "ordinary") as unit:
        unit.services.session.scalar(select(Member.id).limit(1))
    assert words(log) == ["BEGIN", "SELECT", "COMMIT"]


def test_inside_the_tests_rollback_wrapper_nothing_changes(services):
    """A connection already in a transaction (here the test's own) is not switched to autocommit."""
    with callback_unit("test", "deferred", defer_transaction=True) as unit:
        unit.services.session.scalar(select(Member.id).limit(1))
        assert not unit.services.session.connection().connection.dbapi_connection.autocommit


@pytest.mark.committed
def test_a_standalone_statement_commits_on_its_own_while_the_unit_only_read(app):
    """STANDALONE: one statement that is a whole unit runs in autocommit: no BEGIN, no COMMIT."""
    marker = f"standalone-{secrets.token_hex(6)}"
    statement = text("INSERT INTO payment_events (provider, source, raw, outcome, received_at) "
                     "VALUES ('test', 'test', '{}', :marker, now())")
    trips = RoundTrips(db.engine)
    with trips.recording() as log, callback_unit("test", "deferred", defer_transaction=True) as unit:
        unit.services.session.execute(statement, {"marker": marker}, execution_options={STANDALONE: True})
    assert not unit.failed
    assert words(log) == ["INSERT"]
    assert db.session.scalar(text("SELECT count(*) FROM payment_events WHERE outcome = :marker"),
                             {"marker": marker}) == 1


@pytest.mark.committed
def test_after_a_write_a_standalone_statement_is_part_of_the_transaction(app):
    phone = fresh_phone()
    trips = RoundTrips(db.engine)
    with trips.recording() as log, callback_unit("test", "deferred", defer_transaction=True) as unit:
        unit.services.members.register(phone=phone, name="In The Unit", national_id=phone[-8:], locale="en",
                                       pin="2580")
        unit.services.session.flush()
        unit.services.session.execute(text("UPDATE members SET name = 'Still In The Unit' WHERE phone = :phone"),
                                      {"phone": phone}, execution_options={STANDALONE: True})
        raise RuntimeError("after both writes")
    assert unit.failed
    assert words(log)[-1] == "ROLLBACK"
    assert db.session.scalar(select(Member.id).where(Member.phone == phone)) is None
