"""What an audit row may hold: the before/after of a change without a secret or a full ID number.

A field is judged by its name, split on `_` (so `new_pin`, `pin_hash`, `totp_secret`,
`password`, `code` and `one_time_code` are secrets, and `pin_changed_at`, a time, is
not): secrets become `[redacted]`; national ID numbers keep only what
`app.members.identity.mask` shows (their ciphertext and lookup hash are dropped like
secrets). Strings everywhere (values and the reason) also pass through the log
redaction of app/observability.py (configured secrets, `token=`, "ID 12345678").
The rule errs on the side of hiding: an `agent_code` is hidden too.
"""

from app.members.identity import mask
from app.observability import REDACTED, redact

SECRET_WORDS = frozenset({"pin", "pins", "password", "passcode", "passphrase", "secret", "token", "otp", "totp",
                          "code", "hash", "pepper"})
"""A field whose name has one of these words (split on `_`) holds a secret."""
SECRET_NAMES = frozenset({"api_key", "private_key", "encryption_key", "lookup_key"})
ID_SEALED_WORDS = frozenset({"encrypted", "lookup"})
TIME_SUFFIXES = ("_at", "_on", "_count")
"""`pin_changed_at`, `failed_pin_count`: about a secret, not the secret."""


def _is_id_field(name):
    return "national" in name.split("_") or any(word in name for word in ("id_number", "idnumber", "id_no"))


def scrub_value(name, value):
    """One field's value as the audit log may keep it."""
    lowered = str(name).lower()
    words = set(lowered.split("_"))
    if lowered.endswith(TIME_SUFFIXES):
        return scrub(value)
    if _is_id_field(lowered):
        if words & ID_SEALED_WORDS or words & SECRET_WORDS:
            return REDACTED
        return mask(str(value)) if value not in (None, "") else value
    if words & SECRET_WORDS or lowered in SECRET_NAMES:
        return REDACTED if value not in (None, "") else value
    return scrub(value)


def scrub(value):
    """`value` (a dict, list or scalar) with secret fields hidden and strings redacted, recursively."""
    if isinstance(value, dict):
        return {str(key): scrub_value(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))  # dates, Decimals, Money: their text


def changes(before, after):
    """Only the fields that changed: (before, after) of the keys whose values differ (None stays None)."""
    if before is None or after is None:
        return before, after
    keys = [key for key in {**before, **after} if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after.get(key) for key in keys}
