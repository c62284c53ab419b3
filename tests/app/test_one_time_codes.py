"""The one-time code service: a key per purpose, expiry, attempts, one use, atomic under concurrency."""

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from app.keys import one_time_code_key
from app.one_time_codes import CodeExpired, CodePolicy, NothingPending, OneTimeCodes, WrongCode
from tests.clock_helpers import fixed_clock

PHONE = "+254711000001"
CONFIRM = CodePolicy("sms-confirm", ttl_seconds=300, max_attempts=3)
RESET = CodePolicy("pin-reset", ttl_seconds=600, max_attempts=5, digits=6)

clock = fixed_clock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


@pytest.fixture
def codes(redis, clock):
    return OneTimeCodes(redis, clock=clock, master="master-secret")


def wrong(code):
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def test_a_code_has_the_policy_digits_and_returns_its_payload_and_ref(codes):
    code = codes.issue(RESET, PHONE, "reset")
    assert re.fullmatch(r"\d{6}", code)
    redeemed = codes.redeem(RESET, PHONE, code)
    assert redeemed.payload == "reset" and re.fullmatch(r"[0-9a-f]{16}", redeemed.ref)


def test_used_once(codes):
    code = codes.issue(CONFIRM, PHONE, "withdraw 100")
    codes.redeem(CONFIRM, PHONE, code)
    with pytest.raises(NothingPending):
        codes.redeem(CONFIRM, PHONE, code)


def test_each_code_has_its_own_ref(codes):
    refs = {codes.redeem(CONFIRM, PHONE, codes.issue(CONFIRM, PHONE, "withdraw 100")).ref for _ in range(20)}
    assert len(refs) == 20


def test_expires_by_the_clock(codes, clock):
    code = codes.issue(CONFIRM, PHONE, "withdraw 100")
    clock.advance(seconds=299)
    assert codes.pending(CONFIRM, PHONE) == "withdraw 100"
    clock.advance(seconds=1)
    with pytest.raises(CodeExpired):
        codes.redeem(CONFIRM, PHONE, code)
    with pytest.raises(NothingPending):
        codes.redeem(CONFIRM, PHONE, code)


def test_attempts_then_dropped(codes):
    code = codes.issue(CONFIRM, PHONE, "withdraw 100")
    lefts = []
    for _ in range(3):
        with pytest.raises(WrongCode) as refused:
            codes.redeem(CONFIRM, PHONE, wrong(code))
        lefts.append(refused.value.left)
    assert lefts == [2, 1, 0]
    with pytest.raises(NothingPending):
        codes.redeem(CONFIRM, PHONE, code)


def test_a_wrong_attempt_keeps_the_expiry(codes, redis):
    code = codes.issue(CONFIRM, PHONE, "withdraw 100")
    with pytest.raises(WrongCode):
        codes.redeem(CONFIRM, PHONE, wrong(code))
    assert 0 < redis.ttl(one_time_code_key(CONFIRM.purpose, PHONE)) <= 360
    assert codes.redeem(CONFIRM, PHONE, code).payload == "withdraw 100"


def test_purposes_are_separate(codes, redis):
    confirm = codes.issue(CONFIRM, PHONE, "withdraw 100")
    reset = codes.issue(RESET, PHONE, "reset")
    assert codes.redeem(RESET, PHONE, reset).payload == "reset"  # the other purpose's code is untouched
    assert codes.redeem(CONFIRM, PHONE, confirm).payload == "withdraw 100"


def test_the_digest_is_keyed_per_purpose_and_the_code_is_not_stored(codes, redis):
    code = codes.issue(CONFIRM, PHONE, "x")
    record = json.loads(redis.get(one_time_code_key(CONFIRM.purpose, PHONE)))
    assert set(record) == {"digest", "payload", "attempts", "ref", "expires"}
    assert code not in (record["payload"], record["ref"], str(record["expires"]))
    digest = record["digest"]
    assert digest == codes._digest(CONFIRM, PHONE, code) != codes._digest(RESET._replace(digits=4), PHONE, code)


def test_bound_to_the_subject(codes):
    code = codes.issue(CONFIRM, PHONE, "withdraw 100")
    with pytest.raises(NothingPending):
        codes.redeem(CONFIRM, "+254711000002", code)
    assert codes.redeem(CONFIRM, PHONE, code).payload == "withdraw 100"


def test_two_parallel_redemptions_cannot_both_succeed(codes):
    code = codes.issue(CONFIRM, PHONE, "withdraw 100")

    def redeem(_):
        try:
            return codes.redeem(CONFIRM, PHONE, code).payload
        except NothingPending:
            return "none"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(redeem, range(32)))
    assert outcomes.count("withdraw 100") == 1 and outcomes.count("none") == 31


def test_parallel_wrong_guesses_get_no_more_than_the_attempts(codes):
    code = codes.issue(CONFIRM, PHONE, "withdraw 100")

    def guess(_):
        try:
            codes.redeem(CONFIRM, PHONE, wrong(code))
        except WrongCode:
            return "wrong"
        except NothingPending:
            return "none"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(guess, range(32)))
    assert outcomes.count("wrong") == 3 and outcomes.count("none") == 29
    with pytest.raises(NothingPending):
        codes.redeem(CONFIRM, PHONE, code)
