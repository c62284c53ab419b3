"""app/deadline.py: the watchdog breaks the socket of a hop that overran, and nothing else."""

import os
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app.deadline import WATCHDOG, hop_deadline


@pytest.fixture
def engine(app):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0, pool_timeout=5)
    yield engine
    engine.dispose()


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def test_a_hop_that_overruns_fails_at_its_deadline_and_the_pool_recovers(engine):
    started = time.monotonic()
    with pytest.raises(OperationalError) as raised, hop_deadline(300), engine.connect() as connection:
        connection.execute(text("SELECT pg_sleep(5)"))
    assert 0.25 < time.monotonic() - started < 1.0
    assert raised.value.connection_invalidated
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_a_hop_in_time_is_untouched_and_leaves_no_descriptor(engine):
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    before = open_fds()
    for _ in range(20):
        with hop_deadline(200), engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    assert open_fds() == before
    time.sleep(0.3)  # every deadline has passed: none of them may break the pooled connection
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_a_connection_taken_outside_the_hop_is_never_broken(engine):
    with engine.connect() as connection:
        with hop_deadline(100):
            time.sleep(0.3)
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_a_connection_is_refused_once_the_deadline_has_passed(engine):
    with pytest.raises(OperationalError, match="deadline passed"), hop_deadline(100):
        time.sleep(0.3)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_giving_up_on_the_pool_is_an_operational_error(app):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        with engine.connect():
            with pytest.raises(OperationalError, match="pooled database connection"), hop_deadline(1000):
                engine.connect()
    finally:
        engine.dispose()


def test_only_the_overrunning_thread_is_broken(app):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=2, max_overflow=0)
    outcomes = {}

    def slow():
        try:
            with hop_deadline(200), engine.connect() as connection:
                connection.execute(text("SELECT pg_sleep(2)"))
            outcomes["slow"] = "finished"
        except OperationalError:
            outcomes["slow"] = "broken"

    def patient():
        with hop_deadline(3000), engine.connect() as connection:
            connection.execute(text("SELECT pg_sleep(0.5)"))
            outcomes["patient"] = "finished"

    threads = [threading.Thread(target=slow), threading.Thread(target=patient)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
    finally:
        engine.dispose()
    assert outcomes == {"slow": "broken", "patient": "finished"}


def test_one_watchdog_thread_serves_every_hop(engine):
    with hop_deadline(50):
        pass
    threads = threading.active_count()
    for _ in range(50):
        with hop_deadline(50):
            pass
    assert threading.active_count() == threads
    assert [t.name for t in threading.enumerate()].count("hop-deadline") == 1


def test_the_watchdog_wakes_once_for_many_deadlines_passing_together(engine):
    with hop_deadline(50):
        pass
    time.sleep(0.2)  # the watchdog is idle: every earlier deadline is settled
    before = WATCHDOG.wakeups
    for _ in range(100):  # a hop every 2 ms for 0.2 s or more: a busy server
        with hop_deadline(20):
            time.sleep(0.002)
    time.sleep(0.3)
    assert WATCHDOG.wakeups - before <= 15  # about one per RESOLUTION (50 ms), not one per hop (100)


def test_no_deadline_is_no_watchdog(engine):
    with hop_deadline(0), engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    with hop_deadline(None):
        pass


def test_a_connection_broken_at_the_deadline_but_idle_is_replaced_not_reused(app):
    """A read-only hop keeps its autocommit connection past its last read (nothing to commit): when the deadline
    passes during the hop's last Redis save, the watchdog shuts the idle socket down and nothing notices; the
    next request to take that connection must get a fresh one, not an OperationalError."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0, pool_timeout=5,
                           isolation_level="AUTOCOMMIT")
    try:
        with hop_deadline(100):
            connection = engine.connect()
            connection.execute(text("SELECT 1"))
            time.sleep(0.3)  # the deadline passes while nothing waits on the database
        connection.close()  # given back after the hop, in autocommit and idle: the pool could not tell
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
