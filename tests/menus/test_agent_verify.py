"""The agent's "Verify a member" on USSD: phone, ID type, number, confirm, agent PIN -> tier 2."""

from app.extensions import db
from app.services import build_services
from tests.app.agents.agent_helpers import AGENT_PHONE, AGENT_PIN, new_agent
from tests.ussd_helpers import UssdPhone, register

AGENT_CODE = "*384*2#"


def open_verify(client):
    agent = UssdPhone(client, AGENT_PHONE, service_code=AGENT_CODE)
    agent.dial()
    main = agent.send(AGENT_PIN)
    more = next(line.split(".")[0] for line in main.splitlines() if line.endswith("More"))
    menu = agent.send(more)
    assert "Verify a member" in menu
    number = next(line.split(".")[0] for line in menu.splitlines() if "Verify a member" in line)
    assert "Member's phone number" in agent.send(number)
    return agent


def test_an_agent_verifies_a_member_with_the_card_in_hand(app, client, session):
    register(client, phone="+254712345678")
    services = build_services(app, db.session)
    new_agent(services)
    member = services.members.by_phone("+254712345678")
    assert member.kyc_level == 1
    agent = open_verify(client)
    assert "1. National ID" in agent.send("0712345678")
    assert "ID number on the card" in agent.send("1")
    registered_id = services.members.national_id(member)
    body = agent.send(registered_id)
    assert "Verify Amina Wanjiru" in body and registered_id not in body and len(body) - 4 <= 160
    assert "agent PIN" in agent.send("1")
    assert "Wrong agent PIN" in agent.send("0000")
    body = agent.send(AGENT_PIN)
    assert body.startswith("END Verified.")
    db.session.expire_all()
    assert services.members.by_phone("+254712345678").kyc_level == 2


def test_a_different_id_number_is_refused_and_nothing_changes(app, client, session):
    register(client, phone="+254712345678")
    services = build_services(app, db.session)
    new_agent(services)
    agent = open_verify(client)
    agent.send("0712345678")
    agent.send("1")
    agent.send("99887766")
    agent.send("1")
    body = agent.send(AGENT_PIN)
    assert body.startswith("END ") and "does not match" in body
    db.session.expire_all()
    assert services.members.by_phone("+254712345678").kyc_level == 1
