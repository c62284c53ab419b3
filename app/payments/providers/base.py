"""The contract every mobile-money provider client meets, and the token cache they share.

The payments service speaks only these types: it sends a `PaymentRequest`, gets an
`Ack` (the operator accepted the request, nothing is paid yet) and later a
`ProviderResult` from a callback or a status query. Errors say whether a retry can
help: `TransientProviderError` (network, timeout, 5xx, busy gateway: retry with
backoff) or `ProviderRejected` (a definite no: never retry). Each carries a stable
`reason` code that `reasons.reason_message` turns into words for the member.

`TokenCache` lives here because both operators hand out OAuth-style tokens that
must be shared by every process: one process refreshes under a Redis lock while
the others wait and re-read, so a burst of jobs costs one token call, not fifty.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from redis.exceptions import RedisError

from app.keys import provider_token_key, provider_token_lock_key
from app.money import Money

COLLECTION = "collection"
DISBURSEMENT = "disbursement"

TOKEN_EXPIRY_MARGIN = 60
"""Seconds before the operator's expiry at which a cached token is dropped (at most 10% of its life)."""

TOKEN_LOCK_TTL = 15
"""Seconds a refresher may hold the lock; longer than one token call with its timeouts."""

TOKEN_WAIT = 5.0
"""Seconds a process waits for another one's refresh before giving up (transiently)."""

TOKEN_POLL = 0.05
"""Seconds between re-reads of the cache while another process refreshes."""


@dataclass(frozen=True)
class PaymentRequest:
    """What a provider needs to know about one payment."""

    reference: str
    direction: str
    amount: Money
    phone: str
    description: str
    provider_ref: str | None = None
    original_receipt: str | None = None
    """For a refund or recovery: the operator's receipt of the payment it reverses."""
    original_direction: str | None = None
    """For a refund or recovery: the direction of the payment it reverses."""


@dataclass(frozen=True)
class Ack:
    """The operator accepted the request; the outcome comes later."""

    provider_ref: str
    status: str = "pending"
    raw: dict | None = None


@dataclass(frozen=True)
class ProviderResult:
    """An outcome as the operator reports it (callback or status query).

    `status` is "succeeded", "failed" or "pending"; `provider_ref` finds our payment;
    `amount` and `phone` are what the operator says, to be checked against the record;
    None when the operator did not say (a callback's success without an amount is a
    mismatch, never a match: see PaymentService.apply_result).
    `completed_at` (aware datetime) is the operator's completion time when it gives one.
    `reference` is our own reference when the operator echoes it (MoMo's `externalId`), so a
    callback finds its payment even before the acknowledgement with the operator's id was stored.
    """

    status: str
    provider_ref: str | None
    reason: str | None
    receipt: str | None
    amount: Money | None
    phone: str | None
    raw: dict
    completed_at: datetime | None = None
    reference: str | None = None


class ProviderError(Exception):
    """Base of every provider failure; `reason` is a stable code for the member message."""

    reason = "internal_error"

    def __init__(self, message="", *, reason=None, code=None, raw=None):
        super().__init__(message or reason or self.reason)
        if reason is not None:
            self.reason = reason
        self.code = code
        self.raw = raw


class TransientProviderError(ProviderError):
    """Network error, timeout, 5xx, gateway busy: the same call may succeed later."""

    reason = "unavailable"


class NotSent(TransientProviderError):
    """A transient failure before the payment request left us (token fetch or token lock, an open
    circuit): the operator never heard of it, so sending it again cannot pay twice."""


class TokenUnavailable(NotSent):
    """No access token could be had (the token call failed, or another process's refresh did not
    finish, or Redis did not answer): nothing was sent with it."""

    reason = "unavailable"


class ProviderRejected(ProviderError):
    """A definite refusal (4xx, business rule): retrying the same call cannot help."""

    reason = "rejected"

    def __init__(self, reason="rejected", message="", *, code=None, raw=None):
        super().__init__(message, reason=reason, code=code, raw=raw)


class MalformedCallback(ProviderError, ValueError):
    """A callback body that is not the operator's shape; answer 200, log it, post nothing."""

    reason = "malformed"


class UnreadableCallback(MalformedCallback):
    """A body with a value that cannot be read (an amount that is not a plain decimal, an id that
    is a list, JSON no operator sends): answer 400, post nothing, leave the payment as it was.
    Never a 503, which an operator retries forever. See `inbound.py`."""

    reason = "unreadable"


class TokenRejected(ProviderError):
    """The operator refused our access token (expired early, revoked): refresh once and retry."""

    reason = "unauthorized"


class PaymentProvider(Protocol):
    name: str

    def request_collection(self, req: PaymentRequest) -> Ack: ...

    def send_disbursement(self, req: PaymentRequest) -> Ack: ...

    def query_status(self, req: PaymentRequest) -> ProviderResult: ...

    def parse_callback(self, payload: dict, *, kind: str) -> ProviderResult: ...


_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
"""Compare-and-delete: a lock or token is removed only by whoever still owns that value."""


class TokenCache:
    """One provider product's access token, shared through Redis by every process.

    `fetch()` returns `(token, expires_in_seconds)`; it is called by at most one process
    at a time. A miss that cannot be filled within TOKEN_WAIT raises TransientProviderError.
    """

    def __init__(self, redis, provider, product, fetch):
        self.redis = redis
        self.key = provider_token_key(provider, product)
        self.lock_key = provider_token_lock_key(provider, product)
        self.fetch = fetch
        self._compare_delete = redis.register_script(_RELEASE_LOCK)

    def _cached(self):
        value = self.redis.get(self.key)
        return value.decode() if value is not None else None

    def get(self):
        """The cached token, refreshing it under the lock when it is missing.

        Every transient failure here is a TokenUnavailable (a NotSent): the request it was for
        never left, so the payment is not in doubt. A refusal of our credentials stays a
        ProviderRejected.
        """
        try:
            return self._get()
        except NotSent:
            raise
        except TransientProviderError as exc:
            raise TokenUnavailable(f"access token: {exc}", code=exc.code, raw=exc.raw) from exc
        except RedisError as exc:
            raise TokenUnavailable(f"access token cache: {exc.__class__.__name__}") from exc

    def _get(self):
        token = self._cached()
        if token:
            return token
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + TOKEN_WAIT
        while True:
            if self.redis.set(self.lock_key, owner, nx=True, ex=TOKEN_LOCK_TTL):
                try:
                    return self._cached() or self._refresh()
                finally:
                    self._compare_delete(keys=[self.lock_key], args=[owner])
            time.sleep(TOKEN_POLL)
            token = self._cached()
            if token:
                return token
            if time.monotonic() > deadline:
                raise TokenUnavailable("token refresh by another process did not finish")

    def _refresh(self):
        token, expires_in = self.fetch()
        expires_in = int(expires_in)
        ttl = max(expires_in - min(TOKEN_EXPIRY_MARGIN, expires_in // 10), 1)
        self.redis.set(self.key, token, ex=ttl)
        return token

    def invalidate(self, token):
        """Drop `token` if it is still the cached one (a newer token is kept)."""
        self._compare_delete(keys=[self.key], args=[token])


def callback_tokens(config, provider=None):
    """The secrets an operator's callback may carry, the current one first.

    `<PROVIDER>_CALLBACK_TOKEN` (e.g. MPESA_CALLBACK_TOKEN) when set, else CALLBACK_TOKEN; either
    may hold two comma-separated values, "current,previous", so a secret is rotated without losing
    the callbacks of requests sent under the old one. Outgoing requests carry the first.
    """
    own = str(config.get(f"{provider.upper()}_CALLBACK_TOKEN") or "") if provider else ""
    chosen = own or str(config.get("CALLBACK_TOKEN") or "")
    return [token.strip() for token in chosen.split(",") if token.strip()]


def callback_url(config, provider, path):
    """`PUBLIC_URL + path + ?token=<current secret>`: the URL an operator calls us back on."""
    return f"{config['PUBLIC_URL'].rstrip('/')}{path}?token={(callback_tokens(config, provider) or [''])[0]}"
