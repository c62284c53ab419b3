"""Issue 11 item 4: PIN lockout guessed in parallel.

The attack: many sessions (USSD, SMS, WhatsApp, any web process) send PINs for one
member at the same instant. Each runs on its own real database connection and
commits, as a hop does. At most PIN_MAX_ATTEMPTS guesses may ever be evaluated per
lock window, the right PIN must be refused once the lock is set, and the member
gets exactly one "locked" alert per lock.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

import app.agents.roster as agent_services
import app.members.services as member_services
from app.agents.models import Agent
from app.clock import FixedClock
from app.extensions import db
from app.members.models import Member
from app.members.pin_hashing import hash_pin
from app.notifications.models import Notification
from app.services import build_services
from tests.concurrency_helpers import run_in_threads
from tests.member_helpers import make_member, unique_phone

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RIGHT = "4821"
BURST = 20


@pytest.fixture
def make_session(app):
    return sessionmaker(bind=db.engine)


@pytest.fixture
def evaluated(monkeypatch):
    """Counts PIN hash evaluations (the real check runs; this only counts calls)."""
    calls = []

    def counting(real):
        def wrapper(pin, stored, pepper):
            calls.append(pin)
            return real(pin, stored, pepper)
        return wrapper

    monkeypatch.setattr(member_services, "pin_matches", counting(member_services.pin_matches))
    monkeypatch.setattr(agent_services, "pin_matches", counting(agent_services.pin_matches))
    return calls


def new_member(app, make_session):
    with make_session() as session:
        member = make_member(session, unique_phone(), "Amina Wanjiru",
                             pin_hash=hash_pin(RIGHT, app.config["PIN_PEPPER"]))
        session.commit()
        return member.id


def guess(app, make_session, member_id, pin):
    """One hop: check a PIN on its own connection and commit, as the engine does."""
    with make_session() as session:
        services = build_services(app, session, clock=FixedClock(NOW))
        member = services.members.get(member_id)
        error = services.members.check_pin(member, pin)
        session.commit()
        return "ok" if error is None else type(error).__name__


def alerts(make_session, member_id):
    with make_session() as session:
        return session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.member_id == member_id, Notification.kind == "pin_locked"))


@pytest.mark.committed
def test_parallel_wrong_pins_evaluate_at_most_three_and_alert_once(app, make_session, evaluated):
    member_id = new_member(app, make_session)
    wrong = [f"{1000 + i:04d}" for i in range(BURST)]
    results = run_in_threads(lambda i: guess(app, make_session, member_id, wrong[i]), BURST, timeout=None)
    assert len(evaluated) == int(app.config["PIN_MAX_ATTEMPTS"]) == 3, evaluated
    assert "ok" not in results
    assert alerts(make_session, member_id) == 1
    with make_session() as session:
        assert session.get(Member, member_id).pin_locked_until is not None


@pytest.mark.committed
def test_right_pin_in_a_burst_after_the_lock_is_refused(app, make_session, evaluated):
    member_id = new_member(app, make_session)
    pins = [f"{1000 + i:04d}" for i in range(BURST)]
    pins[BURST // 2] = RIGHT  # the attacker's list reaches the right PIN mid-burst
    results = run_in_threads(lambda i: guess(app, make_session, member_id, pins[i]), BURST, timeout=None)
    if RIGHT in evaluated[:3]:  # reached among the first three guesses: it opens, and resets the count
        assert results.count("ok") == 1 and len(evaluated) <= 6
    else:  # reached after three wrong ones: never evaluated, refused like every other guess
        assert "ok" not in results and len(evaluated) == 3
        assert guess(app, make_session, member_id, RIGHT) == "PinLocked"


@pytest.mark.committed
def test_right_pin_after_a_parallel_lock_is_refused(app, make_session, evaluated):
    member_id = new_member(app, make_session)
    run_in_threads(lambda i: guess(app, make_session, member_id, f"{1000 + i:04d}"), BURST, timeout=None)
    results = run_in_threads(lambda i: guess(app, make_session, member_id, RIGHT), 5, timeout=None)
    assert set(results) == {"PinLocked"}
    assert len(evaluated) == 3
    assert alerts(make_session, member_id) == 1


def new_agent(app, make_session):
    with make_session() as session:
        phone = unique_phone()
        agent = Agent(code=phone[-8:], phone=phone, name="Juma Otieno", locale="en", currency="KES",
                      pin_hash=hash_pin(RIGHT, app.config["PIN_PEPPER"]), pin_failures=0, status="active",
                      per_transaction_limit_minor=100000, daily_limit_minor=1000000)
        session.add(agent)
        session.commit()
        return agent.id


def agent_guess(app, make_session, agent_id, pin):
    with make_session() as session:
        services = build_services(app, session, clock=FixedClock(NOW))
        error = services.agents.check_pin(services.agents.get(agent_id), pin)
        session.commit()
        return "ok" if error is None else type(error).__name__


@pytest.mark.committed
def test_agent_parallel_wrong_pins_evaluate_at_most_three(app, make_session, evaluated):
    agent_id = new_agent(app, make_session)
    run_in_threads(lambda i: agent_guess(app, make_session, agent_id, f"{1000 + i:04d}"), BURST, timeout=None)
    assert len(evaluated) == 3
    assert agent_guess(app, make_session, agent_id, RIGHT) != "ok"


@pytest.mark.committed
def test_a_right_pin_keeps_the_login_hop_read_only(app, make_session):
    """The guard writes nothing: no transaction id, so no WAL flush at commit on every login."""
    member_id = new_member(app, make_session)
    with make_session() as session:
        services = build_services(app, session, clock=FixedClock(NOW))
        assert services.members.check_pin(services.members.get(member_id), RIGHT) is None
        assert session.scalar(select(func.pg_current_xact_id_if_assigned())) is None
        session.commit()
