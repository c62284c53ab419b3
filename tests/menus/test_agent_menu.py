"""The agent's market day on USSD: PIN login, cash deposit with the member's name shown, float, collections."""

from app.extensions import db
from app.money import Money
from app.services import build_services
from tests.app.agents.agent_helpers import AGENT_PHONE, AGENT_PIN, new_agent
from tests.ussd_helpers import UssdPhone, register

AGENT_CODE = "*384*2#"


def test_agent_deposits_cash_for_a_member(app, client, session):
    register(client, phone="+254712345678")
    services = build_services(app, db.session)
    new_agent(services, float_minor=1000000)
    agent = UssdPhone(client, AGENT_PHONE, service_code=AGENT_CODE)
    assert "agent PIN" in agent.dial()
    assert "1. Register member" in agent.send(AGENT_PIN)
    assert "Member's phone number" in agent.send("2")
    body = agent.send("0712345678")
    assert "Amina Wanjiru" in body and "Amount in cash" in body
    body = agent.send("1500")
    assert body.startswith("CON Cash deposit\nTo: Amina Wanjiru (+2547****5678)\nAmount: KES 1,500\n")
    assert "1. Yes" in body
    assert agent.send("1").startswith("CON Enter your agent PIN to confirm:")
    assert "Wrong agent PIN" in agent.send("0000")  # nothing moved on a wrong PIN
    assert services.agent_float.balance(services.agents.by_phone(AGENT_PHONE)).minor == 1000000
    body = agent.send(AGENT_PIN)
    assert body.startswith("END Done. Receipt ")
    assert len(body) <= 164
    agent.dial()
    agent.send(AGENT_PIN)
    assert "Your float: KES 8,500" in agent.send("5")


def test_agent_refusals_are_explained(app, client, session):
    services = build_services(app, db.session)
    new_agent(services, float_minor=100000)
    register(client, phone="+254712345678")
    stranger = UssdPhone(client, "+254799999999", service_code=AGENT_CODE)
    assert "not registered as a Pamoja agent" in stranger.dial()
    agent = UssdPhone(client, AGENT_PHONE, service_code=AGENT_CODE)
    agent.dial()
    assert "Wrong agent PIN" in agent.send("0000")
    agent.send(AGENT_PIN)
    agent.send("2")
    assert "own account" in agent.send("0722000001")
    agent.send("0712345678")
    assert "Not enough float" in agent.send("2000")  # at the amount screen, before "Yes"


def test_agent_registers_a_member_in_kiswahili_within_160_characters(app, client, session):
    services = build_services(app, db.session)
    agent_row = new_agent(services)
    agent_row.locale = "sw"
    session.commit()
    agent = UssdPhone(client, AGENT_PHONE, service_code=AGENT_CODE)
    screens = [agent.dial(), agent.send(AGENT_PIN), agent.send("1"), agent.send("0733000123"),
               agent.send("Juma Hamisi"), agent.send("55667788"), agent.send("2")]
    assert "Sajili Juma Hamisi" in screens[-1]
    screens.append(agent.send("1"))
    assert screens[-1].startswith("END Amesajiliwa")
    assert all(len(screen) - 4 <= 160 for screen in screens), screens
    member = services.members.by_phone("+254733000123")
    assert member.needs_pin and member.registered_by_agent_id == agent_row.id
    today = agent.dial(), agent.send(AGENT_PIN), agent.send("6")
    assert "Bado hakuna makusanyo leo" in today[-1]


def test_agent_asks_the_new_members_language(app, client, session):
    services = build_services(app, db.session)
    agent_row = new_agent(services)
    agent_row.locale = "sw"
    session.commit()
    agent = UssdPhone(client, AGENT_PHONE, service_code=AGENT_CODE)
    agent.dial()
    for value in (AGENT_PIN, "1", "0733000456", "Wanjiku Kamau"):
        agent.send(value)
    assert "Lugha ya mwanachama:\n1. English\n2. Kiswahili" in agent.send("55667788")
    assert "Jibu 1 kwa English au 2 kwa Kiswahili." in agent.send("3")
    confirm = agent.send("1")
    assert "Sajili Wanjiku Kamau" in confirm and "English?" in confirm and len(confirm) - 4 <= 160
    assert agent.send("1").startswith("END Amesajiliwa")
    member = services.members.by_phone("+254733000456")
    assert member.locale == "en" and member.registered_by_agent_id == agent_row.id


def signed_in_agent(client):
    agent = UssdPhone(client, AGENT_PHONE, service_code=AGENT_CODE)
    agent.dial()
    agent.send(AGENT_PIN)
    return agent


def test_over_limit_cash_in_is_refused_at_the_amount_screen_and_corrected(app, client, session):
    """Issue 16 #10: the per-transaction limit is checked before "Yes", and the agent types another amount."""
    register(client, phone="+254712345678")
    services = build_services(app, db.session)
    new_agent(services, float_minor=2000000)
    session.commit()
    agent = signed_in_agent(client)
    agent.send("2")
    agent.send("0712345678")
    body = agent.send("6000")
    assert body.startswith("CON Above your limit of KES 5,000 per transaction.\nAmina Wanjiru")
    assert "Amount in cash" in body and len(body) <= 164
    body = agent.send("4000")
    assert "Cash deposit\nTo: Amina Wanjiru" in body and "Amount: KES 4,000" in body and "1. Yes" in body
    agent.send("1")
    assert agent.send(AGENT_PIN).startswith("END Done. Receipt ")


def test_member_kyc_limit_is_checked_at_the_amount_screen(app, client, session):
    register(client, phone="+254712345678")
    services = build_services(app, db.session)
    new_agent(services, limit="50000", float_minor=2000000)
    services.members.by_phone("+254712345678").kyc_level = 0  # phone only: KES 5,000 at most in savings
    session.commit()
    agent = signed_in_agent(client)
    agent.send("2")
    agent.send("0712345678")
    body = agent.send("6000")
    assert "account cannot take KES 6,000 now" in body and "Amount in cash" in body and len(body) <= 164
    assert "Amount: KES 5,000" in agent.send("5000")


def test_daily_limit_is_checked_at_the_amount_screen_for_a_repayment(app, client, session):
    register(client, phone="+254712345678")
    services = build_services(app, db.session)
    new_agent(services, limit="50000", daily_limit="3000", float_minor=2000000)
    session.commit()
    agent = signed_in_agent(client)
    agent.send("3")  # cash loan repayment
    agent.send("0712345678")
    body = agent.send("4000")
    assert "daily limit" in body and "Amount in cash" in body and len(body) <= 164


def test_my_float_returns_to_the_menu(app, client, session):
    """Issue 16 (agents): "My float" used to end the session; it is a look, so it goes back to the menu."""
    services = build_services(app, db.session)
    new_agent(services, float_minor=1000000)
    session.commit()
    agent = signed_in_agent(client)
    body = agent.send("5")
    assert body.startswith("CON My float\nYour float: KES 10,000") and "0 Back 00 Menu" in body
    assert "1. Register member" in agent.send("0")
    assert "2. Cash deposit" in agent.send("00")


def test_an_invalid_option_on_the_agent_menu_says_so(app, client, session):
    """The full agent main menu had no room for the error line and was shown again without a word."""
    services = build_services(app, db.session)
    for locale, said in (("en", "Choose a number from the list."), ("sw", "Chagua nambari kutoka kwenye orodha.")):
        agent_row = new_agent(services, phone=AGENT_PHONE) if locale == "en" else services.agents.by_phone(AGENT_PHONE)
        agent_row.locale = locale
        session.commit()
        agent = signed_in_agent(client)
        body = agent.send("9")
        assert body.startswith(f"CON {said}\n"), body
        assert len(body) - 4 <= 160
        rest = agent.send("98") if "98" in body else body
        assert "8." in body + rest  # every option still reachable
        agent.dial()


def test_a_cash_contribution_names_the_group_and_asks_the_agent_pin(app, client, session):
    register(client, phone="+254712345678")
    services = build_services(app, db.session)
    new_agent(services, float_minor=1000000)
    amina = services.members.by_phone("+254712345678")
    group = services.group_memberships.create_group(amina, name="Umoja Women", contribution=Money(50000, "KES"),
                                                    frequency="weekly", meeting_day=3)
    session.commit()
    agent = signed_in_agent(client)
    agent.send("4")
    assert "1. Umoja Women" in agent.send("0712345678")
    agent.send("1")
    confirm = agent.send("500")
    assert confirm.startswith("CON Cash contribution for Amina Wanjiru (+2547****5678)\nTo: Umoja Women\n"
                              "Amount: KES 500\n"), confirm
    assert len(confirm) - 4 <= 160
    assert agent.send("1").startswith("CON Enter your agent PIN to confirm:")
    assert agent.send(AGENT_PIN).startswith("END Done. Receipt ")
    assert services.group_contributions.my_share(group, amina) == Money(50000, "KES")


def test_a_float_top_up_asks_the_agent_pin_after_one_confirmation(app, client, session):
    services = build_services(app, db.session)
    new_agent(services, float_minor=0)
    session.commit()
    agent = signed_in_agent(client)
    agent.send("7")
    confirm = agent.send("2000")
    assert confirm.startswith("CON Top up float from your mobile money\nTo: My float\nAmount: KES 2,000\n"), confirm
    assert agent.send("1").startswith("CON Enter your agent PIN to confirm:")


def test_a_cash_contribution_confirmation_in_kiswahili_keeps_its_navigation(app, client, session):
    register(client, phone="+254712345678")
    services = build_services(app, db.session)
    new_agent(services, float_minor=1000000).locale = "sw"
    amina = services.members.by_phone("+254712345678")
    services.group_memberships.create_group(amina, name="Umoja Women Savings", contribution=Money(50000, "KES"),
                                            frequency="weekly", meeting_day=3)
    session.commit()
    agent = signed_in_agent(client)
    for value in ("4", "0712345678", "1"):
        agent.send(value)
    pages = [agent.send("500")]
    while "98" in pages[-1]:
        pages.append(agent.send("98"))
    shown = "\n".join(pages)
    assert "Mchango kwa pesa taslimu wa Amina Wanjiru" in shown and "Kwa: Umoja Women Savings" in shown
    assert "Kiasi: KES 500" in shown and "1. Ndiyo" in shown
    assert all(len(page) - 4 <= 160 and "0 Rudi 00 Menyu" in page for page in pages), pages
