"""One-time confirmation codes for SMS commands that move money.

SMS never carries a PIN, so a withdrawal, a loan or a transfer asked for by SMS is
only carried out when the member answers `YES <code>` with the 4-digit code we sent
back. The rule, in one place:

- a code is bound to the phone and to the exact command it confirms (the command's
  text is stored with it and is what runs on YES, never what the YES message says);
- it is valid for `ttl_seconds` (SMS_CONFIRMATION_TTL) by the service clock;
- it is single use: redeeming deletes it atomically (GETDEL), so two YES messages
  racing each other run the command once;
- a new command replaces the pending one (its code stops working);
- after `max_attempts` wrong codes the pending command is dropped.

Only a keyed digest of the code is stored in Redis (key app.keys.sms_confirmation_key).
"""

import hashlib
import hmac
import json
import secrets

from app.i18n import N_, T
from app.keys import sms_confirmation_key


class ConfirmationError(Exception):
    """Base: `message` is a Text for the member."""

    message = T(N_("No request is waiting for a code. Send your request again."))


class NothingPending(ConfirmationError):
    pass


class CodeExpired(ConfirmationError):
    message = T(N_("That code has expired. Send your request again."))


class WrongCode(ConfirmationError):
    def __init__(self, left):
        super().__init__()
        self.left = left
        self.message = (T(N_("Wrong code. {left} tries left."), left=left) if left
                        else T(N_("Wrong code. Send your request again.")))


class SmsConfirmations:
    def __init__(self, redis, *, clock, secret, ttl_seconds=300, max_attempts=3):
        self.redis = redis
        self.clock = clock
        self.secret = secret.encode()
        self.ttl_seconds = ttl_seconds
        self.max_attempts = max_attempts

    def _digest(self, phone, code):
        return hmac.new(self.secret, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    def issue(self, phone, command):
        """Store `command` (its canonical text) for `phone`; return the new 4-digit code."""
        code = f"{secrets.randbelow(10_000):04d}"
        record = {"digest": self._digest(phone, code), "command": command, "attempts": 0,
                  "expires": self.clock.now().timestamp() + self.ttl_seconds}
        # Redis expiry only collects garbage (a little later than the rule); the clock decides validity.
        self.redis.set(sms_confirmation_key(phone), json.dumps(record), ex=self.ttl_seconds + 60)
        return code

    def redeem(self, phone, code):
        """The command confirmed by `code`, used up; or raise NothingPending/CodeExpired/WrongCode."""
        key = sms_confirmation_key(phone)
        raw = self.redis.getdel(key)
        if raw is None:
            raise NothingPending()
        record = json.loads(raw)
        if self.clock.now().timestamp() >= record["expires"]:
            raise CodeExpired()
        if not hmac.compare_digest(record["digest"], self._digest(phone, (code or "").strip())):
            record["attempts"] += 1
            left = self.max_attempts - record["attempts"]
            if left > 0:
                # Put it back unless a newer command replaced it meanwhile.
                ttl = max(1, int(record["expires"] - self.clock.now().timestamp()) + 60)
                self.redis.set(key, json.dumps(record), ex=ttl, nx=True)
            raise WrongCode(max(left, 0))
        return record["command"]

    def pending(self, phone):
        """The command waiting for a code (for tests and support), or None."""
        raw = self.redis.get(sms_confirmation_key(phone))
        return json.loads(raw)["command"] if raw else None
