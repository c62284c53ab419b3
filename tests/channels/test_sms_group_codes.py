"""SMS JOIN and CONTRIBUTE with keypad-friendly group codes (issue 16): six digits for new groups,
and a group made with a letter code answers to the letters or to the digits a keypad gives for them."""

import pytest
from sqlalchemy import select, update

from app.groups.models import Group
from app.notifications.models import Notification
from app.payments.models import Payment
from tests.sms_helpers import Handset, register

pytestmark = pytest.mark.usefixtures("providers")


@pytest.fixture
def chebet(app, client, session, services):
    register(services, phone="+254711000003", name="Chebet Kiprop", locale="sw")
    return Handset(app, client, session, "+254711000003")


def test_join_by_sms_with_a_digit_code_tells_the_chair(session, group, amina, chebet):
    assert group.code.isdigit()
    assert chebet.send(f"JIUNGE {group.code}").startswith("Umeomba kujiunga na Umoja Women.")
    request = session.scalar(select(Notification).where(Notification.kind == "group_join_request"))
    assert request.member_id == amina.id and "Chebet Kiprop asks to join Umoja Women" in request.text


def test_contribute_by_sms_with_a_digit_code(app, client, session, group, amina):
    phone = Handset(app, client, session, amina.phone)
    assert phone.send(f"CONTRIBUTE {group.code} 500").startswith("Approve the payment of KES 500")
    assert session.scalar(select(Payment).where(Payment.purpose == "contribution")).purpose_ref == str(group.id)


@pytest.mark.parametrize("typed", ["AB3XYZ", "ab3xyz", "223999"])
def test_an_old_letter_code_answers_to_its_letters_and_its_keypad_digits(app, client, session, group, amina,
                                                                        chebet, typed):
    session.execute(update(Group).where(Group.id == group.id).values(code="AB3XYZ"))
    session.commit()
    assert chebet.send(f"JIUNGE {typed}").startswith("Umeomba kujiunga na Umoja Women.")
    phone = Handset(app, client, session, amina.phone)
    assert phone.send(f"CONTRIBUTE {typed} 500").startswith("Approve the payment of KES 500")
