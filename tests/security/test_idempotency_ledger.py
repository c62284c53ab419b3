"""A reused idempotency key never passes for a money movement (issue 11, item 2, the ledger side).

The attack: WhatsApp gave every transfer of one chat the same key, so the second
"Sent KES 200" found the first entry under that key and answered success while
moving nothing. Whatever the channel does with keys, the ledger and the services on
it now tell a replay (same key, same movement: the first entry, nothing moved twice)
from a collision (same key, another amount, recipient or kind: refused, nothing
moved, the member told so). Against the real database, through the services.
"""

import pytest

from app.keys import inbound_message_key
from app.ledger.errors import IdempotencyConflict
from app.payments.models import Payment
from app.savings import errors
from tests.member_helpers import make_member
from tests.money_helpers import fund_savings, kes
from tests.sms_helpers import Handset, register

KEY = "whatsapp:+254712000555:transfer"  # what the chat gave every transfer before the fix


def test_second_third_and_tenth_transfer_under_one_key_are_refused_never_silently_skipped(services):
    amina = make_member(services.session, "+254712000555", "Amina Wanjiru")
    baraka = make_member(services.session, "+254712000666", "Baraka Otieno")
    fund_savings(services, amina, 5_000_00)
    first = services.savings.transfer(amina, baraka.phone, kes(200), KEY, channel="whatsapp")
    for n in range(2, 11):  # before the fix each returned `first` and said "Sent"
        with pytest.raises(errors.ConflictingRequest) as refused:
            services.savings.transfer(amina, baraka.phone, kes(200 + n), KEY, channel="whatsapp")
        assert isinstance(refused.value.__cause__, IdempotencyConflict)
        assert "Nothing was moved" in refused.value.message.render("en")
        assert "Hakuna pesa iliyohamishwa" in refused.value.message.render("sw")
    assert services.savings.transfer(amina, baraka.phone, kes(200), KEY, channel="whatsapp").id == first.id
    assert services.savings.balance(amina) == kes(4_800)
    assert services.savings.balance(baraka) == kes(200)
    assert [row.amount for row in services.savings.statement(amina)][:2] == [kes(-200), kes(5_000)]


def test_a_redelivered_sms_id_with_another_amount_is_refused_never_answered_as_started(app, client, session,
                                                                                       services, providers):
    """The payments side: an SMS id keys the mobile-money request it starts (CHANGA <group> <amount>).

    Africa's Talking redelivering that id after our dedupe window, with another amount
    (or a forged one), found the first payment under the key and answered "approve KES
    500 on your phone" for a KES 900 nobody asked the operator for. Now the same id and
    text is a replay (the first payment), another amount is refused in the member's
    language, and one payment exists.
    """
    amina = register(services, phone="+254712000777", name="Amina Wanjiru", locale="sw")
    group = services.group_memberships.create_group(amina, name="Umoja Women", contribution=kes(500),
                                                    frequency="monthly", meeting_day=5)
    services.session.commit()
    phone = Handset(app, client, session, amina.phone)
    first = phone.send(f"CHANGA {group.code} 500", message_id="ATXid_redelivered")

    def redelivered(text):
        app.extensions["redis"].delete(inbound_message_key("sms", "ATXid_redelivered"))  # the window has passed
        return phone.send(text, message_id="ATXid_redelivered")

    assert redelivered(f"CHANGA {group.code} 500") == first  # a real replay: the same payment
    refusal = redelivered(f"CHANGA {group.code} 900")
    assert refusal == IdempotencyConflict.message.render("sw") and "Hakuna pesa iliyohamishwa" in refusal
    payments = session.query(Payment).filter_by(member_id=amina.id, purpose="contribution").all()
    assert [payment.amount for payment in payments] == [kes(500)]
