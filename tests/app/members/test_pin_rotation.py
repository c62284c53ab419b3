"""Rotating the PIN pepper: old hashes still open, and the next right PIN re-hashes with the current pepper."""

from app.members.pin_hashing import Peppers, check_pin, hash_pin
from app.services import build_services
from tests.app.agents.agent_helpers import AGENT_PIN, new_agent
from tests.member_helpers import make_member

OLD = "old-pepper-secret"
NEW = "new-pepper-secret"


def rotated(app, session):
    """Services configured as after a rotation: current pepper 2, pepper 1 kept for old hashes."""
    services = build_services(app, session)
    services.config = {**app.config, "PIN_PEPPER": NEW, "PIN_PEPPER_ID": "2", "PIN_OLD_PEPPERS": f"1={OLD}"}
    return services


def test_a_member_on_the_old_pepper_logs_in_and_is_rehashed(app, session):
    member = make_member(session, "+254700111222", "Amina Wanjiru",
                         pin_hash=hash_pin("4821", Peppers.parse(OLD, "1"), iterations=1000))
    services = rotated(app, session)
    assert services.members.check_pin(member, "4821") is None
    assert member.pin_hash.startswith("pbkdf2_sha256$2$5000$")
    assert check_pin("4821", member.pin_hash, Peppers.parse(NEW, "2"))


def test_a_wrong_pin_does_not_rehash(app, session):
    stored = hash_pin("4821", Peppers.parse(OLD, "1"))
    member = make_member(session, "+254700111223", "Amina Wanjiru", pin_hash=stored)
    services = rotated(app, session)
    assert services.members.check_pin(member, "4822") is not None
    assert member.pin_hash == stored


def test_an_agent_on_the_old_pepper_is_rehashed_at_the_next_right_pin(app, session):
    before = build_services(app, session)
    before.config = {**app.config, "PIN_PEPPER": OLD, "PIN_PEPPER_ID": "1"}
    agent = new_agent(before)
    assert agent.pin_hash.startswith("pbkdf2_sha256$1$")
    services = rotated(app, session)
    assert services.agents.check_pin(agent, AGENT_PIN) is None
    assert agent.pin_hash.startswith("pbkdf2_sha256$2$")
