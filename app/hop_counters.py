"""Hops per channel per hour in Redis, for the console's service-health chart.

Prometheus keeps per-process counters a scraper sums; the console has no Prometheus
to ask, so the engine also adds one to a Redis hash per (channel, UTC hour), keyed
by outcome (`ok`, `unavailable`, `foreign`, ...): one pipelined HINCRBY per hop, never
a database write. The hash's EXPIRE goes with it at most once a minute per process
(RENEW_EVERY): the hour's hash keeps its TTL from its first hop, and one Redis lost and
refilled within the hour has the TTL back within a minute. Counting fails open: a Redis error loses one count,
never the hop (and after a Redis failure the hop is not counted at all, so an
outage does not add a second timeout to every answer).
"""

import time
from datetime import UTC, datetime, timedelta

from redis.exceptions import RedisError

from app.keys import hop_counter_key

KEEP = timedelta(days=8)
"""Each hour's counts live this long: the dashboard shows the last week at most."""
UNHEALTHY = frozenset({"unavailable"})
"""Outcomes the health chart counts as errors."""
RENEW_EVERY = 60.0
"""Seconds between two EXPIREs of the same hour's hash from one process."""

_expire_due = {}
"""hash key -> when (time.monotonic) this process next sends its EXPIRE. Threads may race to send it
twice: harmless. Only the last few keys are kept."""


def hour_of(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def count_hop(redis, channel, outcome, now=None):
    """Add one hop with `outcome` to this hour's counts of `channel`; silent on a Redis error."""
    try:
        pipe = redis.pipeline(transaction=False)
        queue_hop_count(pipe, channel, outcome, now)
        pipe.execute()
    except RedisError:
        pass


def queue_hop_count(pipe, channel, outcome, now=None):
    """Queue `count_hop`'s HINCRBY (and, once a minute, EXPIRE) on `pipe` (sent with the hop's last writes);
    the caller ignores their results, so a failed count still never fails the hop."""
    key = hop_counter_key(channel, hour_of(now or datetime.now(UTC)))
    pipe.hincrby(key, outcome, 1)
    moment = time.monotonic()
    if _expire_due.get(key, 0.0) <= moment:
        if len(_expire_due) > 32:
            _expire_due.clear()
        _expire_due[key] = moment + RENEW_EVERY
        pipe.expire(key, int(KEEP.total_seconds()))


def hourly(redis, channel, hours, now):
    """[(hour start, {outcome: count})] for the last `hours` hours of `channel`, oldest first."""
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    moments = [start + timedelta(hours=offset) for offset in range(hours)]
    pipe = redis.pipeline(transaction=False)
    for moment in moments:
        pipe.hgetall(hop_counter_key(channel, hour_of(moment)))
    counts = pipe.execute()
    return [(moment, {_text(name): int(value) for name, value in found.items()})
            for moment, found in zip(moments, counts, strict=True)]


def _text(value):
    return value.decode() if isinstance(value, bytes) else value
