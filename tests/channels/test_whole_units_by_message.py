"""SMS and WhatsApp read amounts with the USSD screens' parser: KES cents are refused before anything moves."""

import pytest

from app.money import Money
from app.payments.models import Payment
from tests.money_helpers import fund_savings
from tests.sms_helpers import Handset, register
from tests.whatsapp_helpers import Chat

PHONE = "+254711000001"
WHOLE = "Mobile money takes whole amounts only. Enter the amount without cents, like 1500."
WHOLE_SW = "Pesa ya simu hupokea kiasi kamili tu. Weka kiasi bila senti, kama 1500."
pytestmark = pytest.mark.usefixtures("providers")


@pytest.fixture
def phone(app, client, session):
    return Handset(app, client, session, PHONE)


@pytest.mark.parametrize("text", ["SAVE 1500.50", "WITHDRAW 1500.50", "SEND 0711000002 300.25", "REPAY 500.50",
                                  "LOAN 5000.50"])
def test_cents_are_refused_before_a_code_or_a_prompt(phone, services, session, amina, text):
    register(services, phone="+254711000002", name="Baraka Otieno")
    fund_savings(services, amina, 500000)
    services.session.commit()
    assert phone.send(text) == WHOLE
    assert session.query(Payment).filter_by(member_id=amina.id).count() == 0


def test_the_refusal_is_translated(phone, services, session):
    member = register(services, locale="sw")
    assert phone.send("WEKA 1500.50") == WHOLE_SW
    assert session.query(Payment).filter_by(member_id=member.id).count() == 0


def test_a_group_contribution_with_cents_is_refused(phone, services, session, amina):
    group = services.group_memberships.create_group(amina, name="Umoja Women", contribution=Money(50000, "KES"),
                                                    frequency="monthly", meeting_day=5)
    services.session.commit()
    assert phone.send(f"CONTRIBUTE {group.code} 500.50") == WHOLE
    assert session.query(Payment).filter_by(purpose="contribution").count() == 0
    assert phone.send(f"CONTRIBUTE {group.code} 500").startswith("Approve the payment of KES 500")


@pytest.mark.usefixtures("twilio_token")
def test_whatsapp_refuses_cents_on_the_deposit_screen(client, session, amina):
    chat = Chat(client, PHONE)
    chat.send("hi")
    chat.send("4821")
    chat.send("1")  # Savings
    chat.send("3")  # Deposit
    assert chat.send("1500.50").startswith(WHOLE)
    assert session.query(Payment).filter_by(member_id=amina.id).count() == 0
    assert chat.send("1500").startswith(f"Deposit from mobile money {PHONE}\nTo: My savings\nAmount: KES 1,500")
