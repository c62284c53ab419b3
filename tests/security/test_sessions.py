"""A USSD session belongs to one phone and one path (issue 11, item 3).

Attacks replayed against /ussd: another phone driving a logged-in member's session
by its sessionId, a text that is not the session's path, and a replayed hop.
"""

from app.keys import menu_session_key
from app.ledger.models import LedgerEntry
from app.money import Money
from tests.money_helpers import fund_savings
from tests.ussd_helpers import UssdPhone, register

AMINA, BARAKA, MALLORY = "+254712345678", "+254722000111", "+254733999888"
ENDED = "END This session has ended. Please dial again."


def signed_in(client, phone=AMINA):
    handset = UssdPhone(client, phone)
    handset.dial()
    assert handset.send("4821").startswith("CON Pamoja\n1. Savings")
    return handset


def stored(redis, handset):
    return redis.get(menu_session_key("ussd", handset.session_id))


def hijacker(client, victim, phone=MALLORY):
    """A second phone that knows (or guessed) the victim's sessionId."""
    attacker = UssdPhone(client, phone)
    attacker.session_id = victim.session_id
    return attacker


def test_another_phone_cannot_drive_a_logged_in_session(client, services, redis):
    register(client, phone=AMINA)
    amina = signed_in(client)
    before = stored(redis, amina)
    attacker = hijacker(client, amina)
    for text in (amina.text + "*1", amina.text + "*1*1*4821", amina.text, "", "1*1"):
        assert attacker.post(text) == ENDED, text
        assert stored(redis, amina) == before  # no state change, no save
    # The member's own next hop still works, from where she was.
    assert amina.send("1").startswith("CON Savings")


def test_a_hijacker_does_not_get_the_replayed_reply(client, services, redis):
    register(client, phone=AMINA)
    fund_savings(services, services.members.by_phone(AMINA), 150_000)
    amina = signed_in(client)
    amina.send("1")
    balance = amina.send("1")
    assert "KES 1,500" in balance
    attacker = hijacker(client, amina)
    assert attacker.post(amina.text) == ENDED  # the same text is a replay for Amina, not for another phone


def test_another_phone_cannot_take_over_an_ended_session(client, services, redis):
    register(client, phone=AMINA)
    amina = signed_in(client)
    assert amina.send("1").startswith("CON ")
    amina.send("0")
    amina.send("6")  # Exit
    before = stored(redis, amina)
    assert hijacker(client, amina).post("") == ENDED
    assert stored(redis, amina) == before


def test_a_text_that_does_not_extend_the_path_is_not_this_session(client, services, redis):
    register(client, phone=AMINA)
    amina = signed_in(client)
    amina.send("1")  # Savings
    before = stored(redis, amina)
    for text in ("9*9*9", "4821*3", "4822*1*2", amina.text[:-1], "x" + amina.text + "*2"):
        assert amina.post(text) == ENDED, text
        assert stored(redis, amina) == before
    assert amina.send("2").startswith("CON Last movements")  # the real path goes on


def test_a_replayed_confirmation_moves_money_once(client, services, session):
    register(client, phone=AMINA)
    register(client, phone=BARAKA, name="Baraka Otieno", national_id="22334455")
    fund_savings(services, services.members.by_phone(AMINA), 200_000)
    amina = signed_in(client)
    for value in ("3", "1", "500", "0722000111", "1"):
        amina.send(value)
    done = amina.send("4821")
    assert done.startswith("END Sent KES 500")
    for _ in range(3):
        assert amina.post(amina.text) == done
    baraka = services.members.by_phone(BARAKA)
    assert services.savings.balance(baraka) == Money(50_000, "KES")
    sender = f"member:{services.members.by_phone(AMINA).id}"  # only hers: committed tests leave transfers too
    assert session.query(LedgerEntry).filter_by(kind="transfer", initiated_by=sender).count() == 1
