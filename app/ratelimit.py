"""Fixed-window rate limits in Redis: a few counters, one round trip, failing open.

A `Limit` is "N per S seconds", written `N/S` in configuration (`30/60`). A request
asks `RateLimiter.exceeded(count=..., peek=...)` once: one pipeline holds INCR +
EXPIRE for each counter the request adds to and a GET for each it only looks at
(the failed checks of its source address, looked at when its own check passed).
Each counter's key names its window (`now // S`), so INCR and EXPIRE need no
transaction: whatever the interleaving, the key dies after its window.

A Redis failure must never block a hop: the request is allowed and the failure
counted (`pamoja_errors_total{channel="ratelimit"}`). No Flask here, so the
console's sign-in can count failed sign-ins per source address the same way.
"""

import time
from typing import NamedTuple

from redis.exceptions import RedisError

from app.keys import rate_limit_key
from app.observability import ERRORS


class Limit(NamedTuple):
    """At most `count` in a window of `seconds`."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text):
        """`"30/60"` -> Limit(30, 60); a typo raises ValueError (configuration is read at start-up)."""
        count, slash, seconds = str(text).strip().partition("/")
        if not slash:
            raise ValueError(f"a rate limit is written count/seconds, not {text!r}")
        limit = cls(int(count), int(seconds))
        if limit.count < 1 or limit.seconds < 1:
            raise ValueError(f"a rate limit needs a count and a window of at least 1, not {text!r}")
        return limit


class Counter(NamedTuple):
    """What is counted (`scope`: `phone:ussd`, `source`), for whom (`subject`), against which limit."""

    scope: str
    subject: str
    limit: Limit


class RateLimiter:
    def __init__(self, redis, *, clock=time.time):
        self.redis = redis
        self.clock = clock

    def key(self, counter, now):
        return rate_limit_key(counter.scope, counter.subject, int(now // counter.limit.seconds))

    def exceeded(self, count=(), peek=()):
        """Add one to each of `count`, look at each of `peek`; return the first counter over its limit, or None.

        A counted counter is over when this request takes it past its limit; a peeked
        one when it has already reached its limit (so after N failed checks in a window,
        a right guess is not answered either). None also when Redis fails (fail open).
        """
        return self.exceeded_along(count, peek)[0]

    def exceeded_along(self, count=(), peek=(), along=None):
        """`exceeded`, in one round trip with the commands `along(pipe)` queues after the counters'.

        Returns (the counter over its limit or None, the results of `along`'s commands, or
        the RedisError that lost them: the caller decides what a lost read means to it).
        """
        now = self.clock()
        pipe = self.redis.pipeline(transaction=False)
        for counter in count:
            key = self.key(counter, now)
            pipe.incr(key)
            pipe.expire(key, counter.limit.seconds)
        for counter in peek:
            pipe.get(self.key(counter, now))
        ours = 2 * len(count) + len(peek)
        if along is not None:
            along(pipe)
        try:
            results = pipe.execute()
        except RedisError as error:
            ERRORS.labels("ratelimit", "redis").inc()
            return None, error
        return self._over(count, peek, results[:ours]), results[ours:]

    @staticmethod
    def _over(count, peek, results):
        for counter, value in zip(count, results[0:2 * len(count):2], strict=True):
            if int(value) > counter.limit.count:
                return counter
        for counter, value in zip(peek, results[2 * len(count):], strict=True):
            if value is not None and int(value) >= counter.limit.count:
                return counter
        return None
