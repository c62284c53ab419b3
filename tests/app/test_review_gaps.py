"""Second review round: history signs, inviting an unregistered number, one dispute SMS, product fees in money,
the language of an agent-registered member."""

from sqlalchemy import select

from app.extensions import db
from app.money import Money
from app.notifications.messages import OutboundMessage
from app.payments.models import Payment
from app.services import build_services
from tests.app.agents.agent_helpers import AGENT_PHONE, AGENT_PIN, kes, new_agent, new_member
from tests.app.payments.test_payment_service import FakeProvider
from tests.member_helpers import make_member
from tests.messaging_helpers import run_jobs
from tests.money_helpers import fund_savings
from tests.sms_helpers import Handset
from tests.ussd_helpers import UssdPhone, register

STRANGER = "+254799000321"
INVITATION_EN = "Amina Wanjiru invites you to Pamoja. Dial *384*1# to save and get paid."


def test_history_signs_money_in_plus_and_money_out_minus(services):
    services.providers.install(FakeProvider())
    amina = make_member(services.session, "+254712000666", "Amina Wanjiru")
    baraka = make_member(services.session, "+254712000777", "Baraka Otieno")
    fund_savings(services, amina, 5_000_00)
    fund_savings(services, baraka, 5_000_00)

    def start(key, direction, purpose, major):
        services.payments.start(key, amina, direction, purpose, Money.from_major(major, "KES"), amina.phone,
                                provider="fake")

    start("h:deposit", "collection", "deposit", 100)
    services.savings.withdraw(amina, Money.from_major(200, "KES"), "h:withdraw", channel="ussd")
    start("h:contribution", "collection", "contribution", 300)
    now = services.clock.now()  # a loan's payout needs a loan to reserve against: the payment row is enough here
    services.session.add(Payment(idempotency_key="h:loan", member_id=amina.id, provider="fake",
                                 direction="disbursement", purpose="loan_disbursement", purpose_ref="1",
                                 amount_minor=400_00, currency="KES", phone=amina.phone, state="succeeded",
                                 created_at=now, updated_at=now))
    start("h:repay", "collection", "loan_repayment", 500)
    services.savings.transfer(amina, baraka.phone, Money.from_major(600, "KES"), "h:out", channel="ussd")
    services.savings.transfer(baraka, amina.phone, Money.from_major(700, "KES"), "h:in", channel="ussd")
    rows = services.savings.history(amina, limit=10)
    assert sorted((row.kind.render("en"), row.amount.major) for row in rows) == sorted([
        ("Deposit", 100), ("Withdrawal", -200), ("Contribution", -300), ("Loan", 400), ("Loan repayment", -500),
        ("Transfer", -610), ("Transfer", 700)])  # what left savings: KES 600 and the KES 10 fee


def invitations_to(session, phone):
    return list(session.scalars(select(OutboundMessage).where(OutboundMessage.recipient == phone,
                                                              OutboundMessage.kind == "invitation")))


def test_member_invites_an_unregistered_number_once_a_day(client, services):
    register(client)
    handset = UssdPhone(client, "+254712345678")
    screens = [handset.dial(), handset.send("4821"), handset.send("3"), handset.send("1")]
    offer = handset.send("0799 000 321")
    screens.append(offer)
    assert "+254799000321 is not registered with Pamoja.\n1. Invite them by SMS\n2. Try another number" in offer
    done = handset.send("1")
    assert done == "END We sent +254799000321 an invitation to join Pamoja."
    [sent] = invitations_to(services.session, STRANGER)
    assert sent.text == INVITATION_EN and not sent.urgent
    again = UssdPhone(client, "+254712345678")
    again.dial()
    for value in ("4821", "3", "1", "0799000321"):
        again.send(value)
    assert again.send("1") == "END You already invited +254799000321 today."
    assert len(invitations_to(services.session, STRANGER)) == 1
    assert all(len(screen) - 4 <= 160 for screen in screens)


def test_invitation_is_in_the_senders_language_and_not_for_bad_or_registered_numbers(services):
    juma = make_member(services.session, "+254712000888", "Juma Hamisi")
    juma.locale = "sw"
    invitations = services.invitations
    assert invitations.invitable(juma, "not a phone") is None
    assert invitations.invitable(juma, juma.phone) is None
    assert invitations.invitable(juma, "0799000321") == STRANGER
    assert invitations.invite(juma, STRANGER) is True
    assert invitations.invite(juma, STRANGER) is False
    [sent] = invitations_to(services.session, STRANGER)
    assert sent.text == "Juma Hamisi anakualika Pamoja. Piga *384*1# kuweka akiba na kupokea malipo."


def test_an_accepted_dispute_sends_the_member_exactly_one_acknowledgement(app, client, session):
    services = build_services(app, db.session)
    agent = new_agent(services, float_minor=1_000_000)
    amina = new_member(services)
    row = services.agents.cash_deposit(agent, amina, kes(500), idempotency_key="gap-dispute")
    session.commit()
    run_jobs(app)
    reply = Handset(app, client, session, phone=amina.phone).send(f"DISPUTE {row.receipt}")
    assert reply == f"Pamoja: we received your dispute of receipt {row.receipt}. We will call you."
    texts = session.scalars(select(OutboundMessage.text).where(OutboundMessage.recipient == amina.phone)).all()
    assert sum("dispute" in text for text in texts) == 1
    assert sum("disputed receipt" in text for text in session.scalars(
        select(OutboundMessage.text).where(OutboundMessage.recipient == agent.phone))) == 1


def test_products_list_prints_money_and_percents(app):
    run = app.test_cli_runner().invoke
    created = run(args=["loans", "products", "create", "--code", "mavuno", "--name", "Mavuno", "--currency", "KES",
                        "--min", "1000", "--max", "50000", "--terms", "3", "--fee-type", "flat", "--fee", "50",
                        "--penalty", "2.5"])
    assert created.exit_code == 0, created.output
    line = next(line for line in run(args=["loans", "products", "list"]).output.splitlines() if "MAVUNO" in line)
    assert "fee KES 50.00 (deducted)" in line and "penalty 2.5%" in line and "5000" not in line


def test_agent_asks_the_new_members_language(app, client, session):
    services = build_services(app, db.session)
    agent_row = new_agent(services)
    agent_row.locale = "sw"
    session.commit()
    agent = UssdPhone(client, AGENT_PHONE, service_code="*384*2#")
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
