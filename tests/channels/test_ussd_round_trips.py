"""Round trips to PostgreSQL per USSD hop: a reading hop pays one per read, a writing hop one transaction.

Counted as psycopg sends them (tests/round_trip_helpers.py), against real commits (no
rollback wrapper), so the figures are the ones a deployed hop pays. Before reads ran
outside a transaction (app/deferred_transaction.py) the dial cost 4, the PIN 5 and the
profile 3; a regression shows here as a BEGIN/COMMIT pair around reads again. The dial's
member and open PIN reset were two statements until they were read in one (2 -> 1); the
PIN hop read the member before the check's lock and again after it (5 -> 4).
"""

import secrets

import pytest

from app.extensions import db
from app.money import Money
from app.services import build_services
from tests.money_helpers import fund_savings
from tests.round_trip_helpers import RoundTrips, assert_reads_then_one_transaction, words
from tests.ussd_helpers import UssdPhone

pytestmark = pytest.mark.committed
PIN = "2580"


def fresh_phone():
    return "+2547" + "".join(secrets.choice("0123456789") for _ in range(8))


class Registered:
    """A member's phone and id, kept as plain values: the hops must start on a session with nothing open."""

    def __init__(self, member):
        self.phone, self.id = member.phone, member.id


def member(app, name="Round Trip"):
    services = build_services(app, db.session)
    phone = fresh_phone()
    registered = Registered(services.members.register(phone=phone, name=name, national_id=phone[-8:],
                                                      locale="en", pin=PIN))
    db.session.commit()
    return services, registered


def settled(services):
    """Leave the test's session with no transaction open (the app's requests share it here, not in production)."""
    services.session.commit()
    services.session.expire_all()


def test_reading_hops_pay_one_round_trip_per_read(app, client):
    _services, amina = member(app)
    handset = UssdPhone(client, amina.phone)
    trips = RoundTrips(db.engine)
    with trips.recording() as dial:
        assert "Enter your PIN" in handset.dial()
    with trips.recording() as pin:
        assert "1. Savings" in handset.send(PIN)
    with trips.recording() as static:
        assert "My profile" in handset.send("5")
    with trips.recording() as profile:
        assert "Name: Round Trip" in handset.send("1")
    assert words(dial) == ["SELECT"]  # the member with any open PIN reset, one statement: no BEGIN, no COMMIT
    assert words(static) == []
    assert words(profile) == ["SELECT"]
    # A right PIN: the check's advisory lock opens the transaction and holds it to COMMIT; the member is read
    # once, after it (reading it before the lock as well cost one more SELECT)
    assert words(pin) == ["BEGIN", "SELECT", "SELECT", "COMMIT"]
    assert "pg_advisory_xact_lock" in pin[1]
    assert_reads_then_one_transaction(pin)


def test_a_wrong_pin_is_counted_in_the_transaction_its_lock_opened(app, client):
    services, amina = member(app)
    handset = UssdPhone(client, amina.phone)
    handset.dial()
    with RoundTrips(db.engine).recording() as wrong:
        assert "Wrong PIN" in handset.send("1111")
    assert_reads_then_one_transaction(wrong)
    assert "pg_advisory_xact_lock" in wrong[wrong.index("BEGIN") + 1]
    assert "UPDATE" in words(wrong)
    settled(services)
    assert services.members.get(amina.id).pin_failures == 1


def test_a_money_hop_is_one_transaction(app, client):
    services, amina = member(app, "Amina Sender")
    _services, baraka = member(app, "Baraka Receiver")
    fund_savings(services, services.members.get(amina.id), 200_000)
    settled(services)
    handset = UssdPhone(client, amina.phone)
    handset.dial()
    handset.send(PIN)
    handset.send("3")
    handset.send("1")
    assert "Recipient" in handset.send("500")
    confirm = handset.send("0" + baraka.phone[4:])
    assert "Baraka" in confirm and "Fee:" in confirm
    handset.send("1")
    with RoundTrips(db.engine).recording() as transfer:
        assert handset.send(PIN).startswith("END ")
    assert_reads_then_one_transaction(transfer)
    assert "INSERT" in words(transfer)
    settled(services)
    assert services.savings.balance(services.members.get(baraka.id)) == Money(50_000, "KES")
