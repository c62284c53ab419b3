"""One-time confirmation codes for SMS commands that move money.

SMS never carries a PIN, so a withdrawal, a loan or a transfer asked for by SMS is
only carried out when the member answers `YES <code>` with the 4-digit code we sent
back. The code is bound to the phone and to the exact command it confirms (the
command's text is stored with it and is what runs on YES, never what the YES
message says). Expiry (SMS_CONFIRMATION_TTL), attempts (SMS_CONFIRMATION_ATTEMPTS),
single use, replacement by a newer command and the keyed digest are the one-time
code service's rules (app/one_time_codes.py), under the purpose `sms-confirm`.
"""

from app.one_time_codes import CodeError, CodeExpired, CodePolicy, NothingPending, Redeemed, WrongCode

PURPOSE = "sms-confirm"

ConfirmationError = CodeError
"""The SMS channel's name for a refused code; `message` is a Text for the member."""

__all__ = ["CodeExpired", "ConfirmationError", "NothingPending", "Redeemed", "SmsConfirmations", "WrongCode"]


class SmsConfirmations:
    def __init__(self, codes, *, ttl_seconds=300, max_attempts=3):
        """`codes` is the one-time code service (app/one_time_codes.py)."""
        self.codes = codes
        self.policy = CodePolicy(PURPOSE, ttl_seconds=ttl_seconds, max_attempts=max_attempts)

    @property
    def ttl_seconds(self):
        return self.policy.ttl_seconds

    def issue(self, phone, command):
        """Hold `command` (its canonical text) for `phone`; return the new 4-digit code."""
        return self.codes.issue(self.policy, phone, command)

    def redeem(self, phone, code):
        """Redeemed(command, ref) confirmed by `code`, used up; or raise NothingPending/CodeExpired/WrongCode.

        `ref` is unique to this code: the command keys its movement with it.
        """
        return self.codes.redeem(self.policy, phone, code)

    def pending(self, phone):
        """The command waiting for a code (for tests and support), or None."""
        return self.codes.pending(self.policy, phone)
