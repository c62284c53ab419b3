"""Hops per channel per hour in Redis: counted by the engine, read back per hour, failing open."""

from datetime import UTC, datetime, timedelta

from redis import Redis

from app.hop_counters import count_hop, hourly
from tests.ussd_helpers import UssdPhone

NOW = datetime(2026, 5, 1, 10, 30, tzinfo=UTC)


def test_counts_per_hour_and_outcome(redis):
    count_hop(redis, "ussd", "ok", NOW - timedelta(hours=1))
    count_hop(redis, "ussd", "ok", NOW)
    count_hop(redis, "ussd", "unavailable", NOW)
    rows = hourly(redis, "ussd", 3, NOW)
    assert [counts for _hour, counts in rows] == [{}, {"ok": 1}, {"ok": 1, "unavailable": 1}]
    assert rows[-1][0] == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert 0 < redis.ttl("pamoja:hops:ussd:2026-05-01T10") <= 8 * 86400


def test_a_redis_failure_loses_the_count_not_the_hop():
    count_hop(Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.1), "ussd", "ok", NOW)


def test_the_engine_counts_each_hop(client, redis):
    UssdPhone(client).dial()
    counts = hourly(redis, "ussd", 1, datetime.now(UTC))[0][1]
    assert sum(counts.values()) == 1


def test_the_hash_expiry_is_renewed_once_a_minute_per_process(redis, monkeypatch):
    from app import hop_counters

    key = "pamoja:hops:ussd:2026-05-01T10"
    clock = [1000.0]
    monkeypatch.setattr(hop_counters.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(hop_counters, "_expire_due", {})
    sent = []
    for _ in range(3):
        pipe = redis.pipeline(transaction=False)
        hop_counters.queue_hop_count(pipe, "ussd", "ok", NOW)
        sent.append([command[0][0] for command in pipe.command_stack])
        pipe.execute()
    assert sent == [["HINCRBY", "EXPIRE"], ["HINCRBY"], ["HINCRBY"]]
    assert 0 < redis.ttl(key) <= 8 * 86400
    redis.delete(key)  # Redis lost it: the next hop makes it again, without a TTL until the minute is up
    count_hop(redis, "ussd", "ok", NOW)
    assert redis.ttl(key) == -1
    clock[0] += hop_counters.RENEW_EVERY
    count_hop(redis, "ussd", "ok", NOW)
    assert 0 < redis.ttl(key) <= 8 * 86400
