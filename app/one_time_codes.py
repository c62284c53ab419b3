"""One-time codes: every code Pamoja sends (SMS `YES <code>` today; PIN resets, phone changes next).

A code is issued for a purpose (`CodePolicy`: its name, lifetime, attempts, digits)
and a subject (the phone it was sent to), and carries a payload (what it confirms,
stored with it: what runs on redemption is the payload, never what the member
typed). The rules, in one place:

- one pending code per purpose and subject: a new one replaces the old;
- it expires after `ttl_seconds` by the service clock (Redis expiry only collects
  the garbage, a minute later);
- it is used at most once: redemption is one Lua script (check expiry, compare,
  count a wrong attempt or delete), so two parallel redemptions cannot both succeed
  and parallel wrong guesses cannot get more than `max_attempts` between them;
- after `max_attempts` wrong codes the pending code is dropped;
- only a keyed digest of the code is stored, under a key derived for the purpose
  (app/secrets.py), never the PIN pepper; a code is never logged.

Each code also gets a random `ref`, returned on redemption: what the code confirms
uses it in its idempotency key, so one code is one movement.
"""

import hashlib
import hmac
import json
import math
import secrets
from typing import NamedTuple

from app.i18n import N_, T, ngettext
from app.keys import one_time_code_key
from app.secrets import ONE_TIME_CODE, derive_key

GARBAGE_SECONDS = 60
"""Redis keeps an expired code this much longer than the rule (so the answer is "expired", not "nothing")."""


class CodePolicy(NamedTuple):
    """How the codes of one purpose behave."""

    purpose: str
    ttl_seconds: int = 300
    max_attempts: int = 3
    digits: int = 4


class Redeemed(NamedTuple):
    """A code used up: the payload it confirmed and its one-movement `ref`."""

    payload: str
    ref: str


class CodeError(Exception):
    """Base: `message` is a Text for the member."""

    message = T(N_("No request is waiting for a code. Send your request again."))


class NothingPending(CodeError):
    """No code is pending for this purpose and subject (never issued, used, replaced or dropped)."""


class CodeExpired(CodeError):
    message = T(N_("That code has expired. Send your request again."))


class WrongCode(CodeError):
    """`left` more attempts are allowed; 0 means the pending code was dropped."""

    def __init__(self, left):
        super().__init__()
        self.left = left
        self.message = (ngettext("Wrong code. {left} try left.", "Wrong code. {left} tries left.", left,
                                 left=left) if left
                        else T(N_("Wrong code. Send your request again.")))


# KEYS[1] the code's key; ARGV: the offered code's digest, now (whole seconds), the attempts allowed.
# Returns {"ok", record} | {"none"} | {"expired"} | {"wrong", left}. Digests are HMACs, so comparing
# them with `==` leaks nothing usable about the code.
REDEEM_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
if not raw then return {'none'} end
local record = cjson.decode(raw)
if tonumber(ARGV[2]) >= tonumber(record['expires']) then
  redis.call('DEL', KEYS[1])
  return {'expired'}
end
if record['digest'] ~= ARGV[1] then
  record['attempts'] = tonumber(record['attempts']) + 1
  local left = tonumber(ARGV[3]) - record['attempts']
  if left > 0 then
    redis.call('SET', KEYS[1], cjson.encode(record), 'KEEPTTL')
  else
    redis.call('DEL', KEYS[1])
  end
  return {'wrong', left}
end
redis.call('DEL', KEYS[1])
return {'ok', raw}
"""


class OneTimeCodes:
    def __init__(self, redis, *, clock, master):
        """`master` is the secret the per-purpose keys are derived from (SECRET_KEY)."""
        self.redis = redis
        self.clock = clock
        self.master = master
        self._redeem = redis.register_script(REDEEM_SCRIPT)

    def _digest(self, policy, subject, code):
        key = derive_key(self.master, f"{ONE_TIME_CODE}:{policy.purpose}")
        return hmac.new(key, f"{subject}:{code}".encode(), hashlib.sha256).hexdigest()

    def issue(self, policy, subject, payload):
        """Store `payload` for `subject` under a new code (replacing any pending one); return the code."""
        code = f"{secrets.randbelow(10 ** policy.digits):0{policy.digits}d}"
        record = {"digest": self._digest(policy, subject, code), "payload": payload, "attempts": 0,
                  "ref": secrets.token_hex(8),
                  "expires": math.ceil(self.clock.now().timestamp()) + policy.ttl_seconds}
        self.redis.set(one_time_code_key(policy.purpose, subject), json.dumps(record),
                       ex=policy.ttl_seconds + GARBAGE_SECONDS)
        return code

    def redeem(self, policy, subject, code):
        """Use up the code: return Redeemed(payload, ref), or raise NothingPending/CodeExpired/WrongCode."""
        offered = (code or "").strip()
        now = math.floor(self.clock.now().timestamp())
        result = self._redeem(keys=[one_time_code_key(policy.purpose, subject)],
                              args=[self._digest(policy, subject, offered), now, policy.max_attempts])
        outcome = result[0].decode() if isinstance(result[0], bytes) else result[0]
        if outcome == "none":
            raise NothingPending()
        if outcome == "expired":
            raise CodeExpired()
        if outcome == "wrong":
            raise WrongCode(max(int(result[1]), 0))
        record = json.loads(result[1])
        return Redeemed(record["payload"], record["ref"])

    def pending(self, policy, subject):
        """The payload waiting for a code (for tests and support), or None."""
        raw = self.redis.get(one_time_code_key(policy.purpose, subject))
        return json.loads(raw)["payload"] if raw else None
