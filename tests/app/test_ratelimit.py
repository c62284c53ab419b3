"""app/ratelimit.py against the real Redis: fixed windows, one round trip, failing open."""

import pytest
from redis import Redis

from app.observability import ERRORS
from app.ratelimit import Counter, Limit, RateLimiter

THREE_A_MINUTE = Limit(3, 60)


class Clock:
    def __init__(self, now=6_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.mark.parametrize(("text", "expected"), [("30/60", Limit(30, 60)), (" 5/1 ", Limit(5, 1))])
def test_a_limit_is_written_count_slash_seconds(text, expected):
    assert Limit.parse(text) == expected


@pytest.mark.parametrize("text", ["30", "30/", "/60", "0/60", "30/0", "thirty/60", "-1/60"])
def test_a_typo_in_a_limit_fails_loudly(text):
    with pytest.raises(ValueError):
        Limit.parse(text)


def test_the_request_past_the_limit_is_refused_until_the_window_ends(redis):
    clock = Clock()
    limiter = RateLimiter(redis, clock=clock)
    phone = Counter("phone:ussd", "+254712345678", THREE_A_MINUTE)
    assert [limiter.exceeded(count=[phone]) for _ in range(4)] == [None, None, None, phone]
    assert 0 < redis.ttl(limiter.key(phone, clock.now)) <= 60  # every counter dies with its window
    clock.now += 60
    assert limiter.exceeded(count=[phone]) is None


def test_counters_are_per_scope_and_subject(redis):
    limiter = RateLimiter(redis, clock=Clock())
    for _ in range(3):
        limiter.exceeded(count=[Counter("phone:ussd", "+254700000001", THREE_A_MINUTE)])
    assert limiter.exceeded(count=[Counter("phone:sms", "+254700000001", THREE_A_MINUTE)]) is None
    assert limiter.exceeded(count=[Counter("phone:ussd", "+254700000002", THREE_A_MINUTE)]) is None


def test_a_peeked_counter_refuses_once_it_has_reached_its_limit_and_is_not_counted(redis):
    limiter = RateLimiter(redis, clock=Clock())
    source = Counter("source", "198.51.100.1", THREE_A_MINUTE)
    for _ in range(2):
        limiter.exceeded(count=[source])
    assert limiter.exceeded(peek=[source]) is None
    assert limiter.exceeded(peek=[source]) is None  # looking does not count
    limiter.exceeded(count=[source])
    assert limiter.exceeded(peek=[source]) == source


def test_count_and_peek_go_in_one_round_trip(redis, monkeypatch):
    limiter = RateLimiter(redis, clock=Clock())
    executed = []
    original = type(redis.pipeline()).execute

    def execute(pipe, *args, **kwargs):
        executed.append(len(pipe.command_stack))
        return original(pipe, *args, **kwargs)

    monkeypatch.setattr(type(redis.pipeline()), "execute", execute)
    limiter.exceeded(count=[Counter("phone:ussd", "+254700000001", THREE_A_MINUTE)],
                     peek=[Counter("source", "198.51.100.1", THREE_A_MINUTE)])
    assert executed == [3]  # INCR + EXPIRE + GET


def test_a_redis_failure_lets_the_request_through_and_is_counted():
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    before = ERRORS.labels("ratelimit", "redis")._value.get()
    assert RateLimiter(down).exceeded(count=[Counter("phone:ussd", "+254700000001", Limit(1, 60))]) is None
    assert ERRORS.labels("ratelimit", "redis")._value.get() == before + 1
