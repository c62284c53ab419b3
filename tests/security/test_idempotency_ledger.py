"""A reused idempotency key never passes for a money movement (issue 11, item 2, the ledger side).

The attack: WhatsApp gave every transfer of one chat the same key, so the second
"Sent KES 200" found the first entry under that key and answered success while
moving nothing. Whatever the channel does with keys, the ledger and the services on
it now tell a replay (same key, same movement: the first entry, nothing moved twice)
from a collision (same key, another amount, recipient or kind: refused, nothing
moved, the member told so). Against the real database, through the services.
"""

import pytest

from app.ledger.errors import IdempotencyConflict
from app.money import Money
from app.savings import errors
from tests.member_helpers import make_member
from tests.money_helpers import fund_savings

KEY = "whatsapp:+254712000555:transfer"  # what the chat gave every transfer before the fix


def kes(major):
    return Money.from_major(major, "KES")


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
