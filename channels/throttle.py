"""Rate limits at the channels' door, over app/ratelimit.py (Redis counters, one round trip, fail open).

- Per phone: every hop of a phone on USSD, SMS or WhatsApp counts against
  RATE_LIMIT_PER_PHONE on that channel, only once the request passed its token or
  signature check (forged requests must not use up a member's allowance).
- Per source address: each failed token/signature check counts against
  RATE_LIMIT_PER_SOURCE; once a source reaches it, nothing from that address is
  answered until the window ends, a right token included, so guessing is throttled.
  Sources in CALLBACK_ALLOWED_IPS are the operators' own gateways: never counted.
Never used on /payments/*: a 429 to an operator can lose a payment result.
"""

from flask import current_app, request

from app.observability import RATE_LIMITED
from app.ratelimit import Counter, RateLimiter
from channels.callback_auth import allowed_sources

SOURCE_SCOPE = "source"


def limiter():
    return RateLimiter(current_app.extensions["redis"])


def limits():
    """The limits parsed once by create_app: {"phone": Limit, "source": Limit}."""
    return current_app.extensions["rate_limits"]


def source_counter():
    """The failed checks of this request's source, or None for an operator's listed gateway."""
    source = request.remote_addr or "unknown"
    if source in allowed_sources():
        return None
    return Counter(SOURCE_SCOPE, source, limits()["source"])


def failed_check(channel):
    """Count this request's failed token/signature check; True when its source is now over its limit."""
    counter = source_counter()
    if counter is None or limiter().exceeded(count=[counter]) is None:
        return False
    RATE_LIMITED.labels(channel, SOURCE_SCOPE).inc()
    return True


def over_limit(channel, phone=None):
    """After a passed check: True when `phone` is over its limit on `channel`, or the source is blocked."""
    return over_limit_along(channel, phone)[0]


def over_limit_along(channel, phone=None, along=None):
    """`over_limit`, in one round trip with the commands `along(pipe)` queues (a hop's first reads).

    Returns (over_limit's answer, the results of `along`'s commands or the RedisError that
    lost them; the limit itself fails open either way).
    """
    count = [Counter(f"phone:{channel}", phone, limits()["phone"])] if phone else []
    source = source_counter()
    over, along_results = limiter().exceeded_along(count=count, peek=[source] if source else [], along=along)
    if over is None:
        return False, along_results
    RATE_LIMITED.labels(channel, over.scope.partition(":")[0]).inc()
    return True, along_results
