"""A per-provider circuit breaker in Redis, and the guarded HTTP call both clients use.

When an operator is down, every USSD session that tries to pay would otherwise wait
for a timeout and every job would pile more load on it. After THRESHOLD consecutive
transient failures (network, timeout, 5xx) the circuit opens: calls fail at once with
`CircuitOpen` for COOLDOWN seconds. Then one trial call is let through (half-open):
its success closes the circuit, its failure opens it for another cool-down. The
state is shared through Redis so every web process and worker sees the same circuit;
the transitions run as Lua scripts so two processes cannot both take the trial.

Only transient failures count. A definite rejection (a 4xx, a business refusal)
proves the operator is up, so it closes the circuit like a success.

`ProviderHttp` is the one place that sends HTTP to an operator: connect/read
timeouts, network errors turned into `TransientProviderError`, the breaker around
each call, and the "access token refused -> refresh once -> retry once" dance.
Each client supplies a `handle(response)` that classifies the operator's answer,
reading it with `json_object` and raising for HTTP errors with `raise_for_http_error`.
"""

import requests

from app.clock import SystemClock
from app.keys import circuit_key
from app.payments.providers.base import (
    NotSent,
    ProviderError,
    ProviderRejected,
    TokenRejected,
    TransientProviderError,
    UnreadableCallback,
)
from app.payments.providers.inbound import read_json

THRESHOLD = 5
"""Consecutive transient failures that open the circuit."""

COOLDOWN = 60
"""Seconds an open circuit refuses calls before letting one trial through."""

STATE_TTL = 86400
"""Seconds the breaker's Redis hash lives without any update, so stale state cannot linger."""

TIMEOUTS = (3, 10)
"""requests timeouts: (connect, read) seconds."""

CLOSED, TRIAL, OPEN = 1, 2, 0

_ACQUIRE = """
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
if failures < tonumber(ARGV[2]) then return 1 end
local now = tonumber(ARGV[1])
local opened = tonumber(redis.call('HGET', KEYS[1], 'opened_at') or '0')
if now < opened + tonumber(ARGV[3]) then return 0 end
local trial = tonumber(redis.call('HGET', KEYS[1], 'trial_at') or '0')
if trial > 0 and now < trial + tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'trial_at', ARGV[1])
return 2
"""
"""Closed -> 1; open, or half-open with a trial in flight -> 0; half-open, trial taken -> 2.
A trial whose process died is given up after one cool-down."""

_FAIL = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'opened_at', ARGV[1])
  redis.call('HDEL', KEYS[1], 'trial_at')
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return failures
"""


class CircuitOpen(NotSent):
    """The operator failed repeatedly; calls are refused until the cool-down ends.

    A TransientProviderError, so jobs retry it later; USSD shows "not responding". A NotSent:
    the refused call never left, so its payment is not in doubt.
    """

    reason = "unavailable"


class CircuitBreaker:
    """The shared circuit of one provider (`mpesa`, `momo`)."""

    def __init__(self, redis, provider, *, threshold=THRESHOLD, cooldown=COOLDOWN, clock=None):
        self.redis = redis
        self.provider = provider
        self.key = circuit_key(provider)
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock or SystemClock()
        self._acquire = redis.register_script(_ACQUIRE)
        self._fail = redis.register_script(_FAIL)

    def _now(self):
        return f"{self.clock.now().timestamp():.3f}"

    def before_call(self):
        """Raise CircuitOpen unless the circuit is closed or this call is the half-open trial."""
        if self._acquire(keys=[self.key], args=[self._now(), self.threshold, self.cooldown]) == OPEN:
            raise CircuitOpen(f"{self.provider} circuit open")

    def record_success(self):
        self.redis.delete(self.key)

    def record_failure(self):
        self._fail(keys=[self.key], args=[self._now(), self.threshold, STATE_TTL])

    def is_open(self):
        """True while calls would be refused (for health pages and menus)."""
        failures = self.redis.hget(self.key, "failures")
        return failures is not None and int(failures) >= self.threshold

    def call(self, attempt):
        """Run `attempt()` under the breaker: transient errors count, anything else closes."""
        self.before_call()
        try:
            result = attempt()
        except TransientProviderError:
            self.record_failure()
            raise
        except ProviderError:
            self.record_success()
            raise
        self.record_success()
        return result


class ProviderHttp:
    """Guarded HTTP to one operator: timeouts, error classification, breaker, token retry."""

    def __init__(self, breaker, *, session=None):
        self.breaker = breaker
        self._session = session

    @property
    def session(self):
        """The given session (tests), else one made on first use.

        A provider object lives for one web request or job, and most never call out (a
        callback is parsed and applied): building a requests.Session with it cost more CPU
        than parsing the callback. Not kept across requests: a kept-alive socket the
        operator closed meanwhile would fail a payout already sent, leaving it in doubt.
        """
        if self._session is None:
            self._session = requests.Session()
        return self._session

    def send(self, method, url, handle, **kwargs):
        """Send once under the breaker and return `handle(response)`.

        Network errors and timeouts raise TransientProviderError; `handle` raises
        TransientProviderError, ProviderRejected or TokenRejected for the operator's errors.
        """

        def attempt():
            try:
                response = self.session.request(method, url, timeout=TIMEOUTS, **kwargs)
            except requests.RequestException as exc:
                raise TransientProviderError(f"{method} {url}: {exc.__class__.__name__}") from exc
            return handle(response)

        return self.breaker.call(attempt)

    def send_authorized(self, method, url, handle, *, tokens, headers=None, **kwargs):
        """Send with `Authorization: Bearer <token>`; on TokenRejected refresh once and retry once.

        A second refusal with a fresh token is a configuration problem, not a stale token:
        it raises ProviderRejected("unauthorized").
        """
        for attempt in range(2):
            token = tokens.get()
            try:
                return self.send(method, url, handle, headers={**(headers or {}), "Authorization": f"Bearer {token}"},
                                 **kwargs)
            except TokenRejected as exc:
                tokens.invalidate(token)
                if attempt:
                    raise ProviderRejected("unauthorized", "access token refused twice", raw=exc.raw) from exc
        raise AssertionError("unreachable")  # pragma: no cover


def json_object(response):
    """The answer's JSON object; {} when the body is empty, not strict JSON (`inbound.read_json`) or not an object.

    Read as strictly as a callback: an answer nested 10,000 deep must not escape as a RecursionError.
    """
    try:
        body = read_json(response.content)
    except UnreadableCallback:
        body = None
    return body if isinstance(body, dict) else {}


def raise_for_http_error(response, body, *, code, message, reason="rejected", token_refused=False,
                         token_message="unauthorized"):
    """Raise for an operator's HTTP error; return for anything below 400 (and not `token_refused`).

    401 (or `token_refused`) -> TokenRejected, 429 and 5xx -> TransientProviderError, other
    4xx -> ProviderRejected(`reason`). `message` is the operator's own words, None when absent.
    """
    status = response.status_code
    if status == 401 or token_refused:
        raise TokenRejected(token_message if message is None else message, code=code, raw=body)
    if status == 429 or status >= 500:
        raise TransientProviderError(f"HTTP {status} {code}", code=code, raw=body)
    if status >= 400:
        raise ProviderRejected(reason, message or "", code=code, raw=body)
