"""One-time confirmation codes for SMS money commands: expiry, single use, wrong codes, bound to phone + command."""

import re
from datetime import UTC, datetime

import pytest

from app.keys import one_time_code_key
from app.members.confirmations import PURPOSE, CodeExpired, NothingPending, SmsConfirmations, WrongCode
from app.one_time_codes import OneTimeCodes
from app.payments.models import Payment
from tests.clock_helpers import fixed_clock
from tests.money_helpers import fund_savings
from tests.sms_helpers import Handset, register

PHONE = "+254711000001"
OTHER = "+254711000002"


clock = fixed_clock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


@pytest.fixture
def codes(redis, clock):
    return SmsConfirmations(OneTimeCodes(redis, clock=clock, master="secret"), ttl_seconds=300, max_attempts=3)


def test_a_code_is_four_digits_and_redeems_its_command(codes):
    code = codes.issue(PHONE, "withdraw 1500")
    assert re.fullmatch(r"\d{4}", code)
    assert codes.redeem(PHONE, code).payload == "withdraw 1500"


def test_single_use(codes):
    code = codes.issue(PHONE, "withdraw 1500")
    codes.redeem(PHONE, code)
    with pytest.raises(NothingPending):
        codes.redeem(PHONE, code)


def test_expires_by_the_clock(codes, clock):
    code = codes.issue(PHONE, "withdraw 1500")
    clock.advance(seconds=299)
    assert codes.pending(PHONE) == "withdraw 1500"
    clock.advance(seconds=1)
    with pytest.raises(CodeExpired):
        codes.redeem(PHONE, code)
    with pytest.raises(NothingPending):  # and it is gone
        codes.redeem(PHONE, code)


def test_wrong_codes_count_down_then_drop_the_request(codes):
    code = codes.issue(PHONE, "withdraw 1500")
    wrong = f"{(int(code) + 1) % 10_000:04d}"
    with pytest.raises(WrongCode) as first:
        codes.redeem(PHONE, wrong)
    assert first.value.left == 2
    with pytest.raises(WrongCode):
        codes.redeem(PHONE, wrong)
    with pytest.raises(WrongCode) as last:
        codes.redeem(PHONE, wrong)
    assert last.value.left == 0
    with pytest.raises(NothingPending):
        codes.redeem(PHONE, code)  # even the right code no longer works


def test_bound_to_the_phone(codes):
    code = codes.issue(PHONE, "withdraw 1500")
    with pytest.raises(NothingPending):
        codes.redeem(OTHER, code)
    assert codes.redeem(PHONE, code).payload == "withdraw 1500"


def test_a_new_command_replaces_the_pending_one(codes):
    first = codes.issue(PHONE, "withdraw 1500")
    second = codes.issue(PHONE, "loan 5000")
    if first != second:
        with pytest.raises(WrongCode):
            codes.redeem(PHONE, first)
    assert codes.redeem(PHONE, second).payload == "loan 5000"


def test_only_a_digest_of_the_code_is_stored(codes, redis):
    code = codes.issue(PHONE, "withdraw 1500")
    assert code.encode() not in redis.get(one_time_code_key(PURPOSE, PHONE))


# -- through the SMS channel -------------------------------------------------------------------


@pytest.fixture
def phone(app, client, session, providers):
    return Handset(app, client, session, PHONE)


@pytest.fixture
def funded(services):
    member = register(services)
    fund_savings(services, member, 500000)
    services.session.commit()
    return member


def code_in(reply):
    return re.search(r"\b(\d{4})\b", reply).group(1)


def withdrawals(session):
    return session.query(Payment).filter_by(purpose="withdrawal").count()


def test_yes_twice_pays_once(phone, session, funded):
    code = code_in(phone.send("WITHDRAW 1500"))
    assert phone.send(f"YES {code}").endswith("is on its way to your mobile money.")
    assert phone.send(f"YES {code}") == "No request is waiting for a code. Send your request again."
    assert withdrawals(session) == 1


def test_the_code_runs_the_command_it_was_issued_for(phone, session, services, funded):
    from tests.app.loans.loan_helpers import product

    product(services)  # a loan the member may ask for: LOAN checks everything before its code
    services.session.commit()
    withdraw_code = code_in(phone.send("WITHDRAW 1500"))
    loan_code = re.search(r"YES (\d{4})", phone.send("LOAN 1000")).group(1)
    if withdraw_code != loan_code:
        assert phone.send(f"YES {withdraw_code}").startswith("Wrong code.")
    assert withdrawals(session) == 0  # the withdrawal was replaced by the loan request


def test_wrong_code_over_sms(phone, session, funded):
    code = code_in(phone.send("WITHDRAW 1500"))
    wrong = f"{(int(code) + 1) % 10_000:04d}"
    assert phone.send(f"YES {wrong}") == "Wrong code. 2 tries left."
    assert phone.send(f"NDIO {code}").endswith("is on its way to your mobile money.")


def test_expired_code_over_sms(app, phone, session, funded, clock, monkeypatch):
    monkeypatch.setitem(app.extensions, "clock", clock)
    code = code_in(phone.send("WITHDRAW 1500"))
    clock.advance(minutes=6)
    assert phone.send(f"YES {code}") == "That code has expired. Send your request again."
    assert withdrawals(session) == 0


def test_another_phone_cannot_use_the_code(app, client, session, services, phone, funded):
    code = code_in(phone.send("WITHDRAW 1500"))
    register(services, phone=OTHER, name="Baraka Otieno")
    other = Handset(app, client, session, OTHER)
    assert other.send(f"YES {code}") == "No request is waiting for a code. Send your request again."
    assert withdrawals(session) == 0


def test_the_confirmation_reply_is_one_segment(phone, funded):
    phone.send("WITHDRAW 1500")
    assert (phone.last_reply().segments, phone.last_reply().encoding) == (1, "GSM-7")
