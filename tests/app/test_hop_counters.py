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
