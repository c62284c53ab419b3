"""PIN hashing: a salted PBKDF2 over an HMAC keyed with the server-side pepper.

A 4-digit PIN has 10,000 values, so no hash alone resists a dump being brute
forced; the pepper (`PIN_PEPPER`, never in the database) is what does. The work
factor is kept small on purpose: verifying must cost under 5 ms so USSD hops stay
fast (see bench/pin_hash.py). Stored form: `pbkdf2_sha256$<iterations>$<salt>$<hash>`.
Members and agents share the check (`pin_matches`) and the lockout arithmetic
(`lock_minutes_left`); each service keeps its own failure counting and errors.
"""

import hashlib
import hmac
import secrets

ITERATIONS = 5000
"""PBKDF2 rounds: about 1 ms on the 2-core machine (bench/pin_hash.py); the pepper carries the security."""

TRIVIAL_PINS = frozenset({"1234", "4321", "0123", "9876"} | {str(d) * 4 for d in range(10)})
"""PINs anyone would guess first; refused when a member sets a PIN."""


def _peppered(pin, pepper):
    return hmac.new(pepper.encode(), pin.encode(), hashlib.sha256).digest()


def hash_pin(pin, pepper, *, iterations=ITERATIONS):
    """Return the stored form of `pin`."""
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", _peppered(pin, pepper), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${digest.hex()}"


def check_pin(pin, stored, pepper):
    """True when `pin` matches the stored form; constant-time comparison."""
    try:
        scheme, iterations, salt, expected = stored.split("$")
    except (AttributeError, ValueError):
        return False
    if scheme != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", _peppered(pin, pepper), salt.encode(), int(iterations))
    return hmac.compare_digest(digest.hex(), expected)


def pin_digest_for_session(pin, pepper, session_id):
    """A keyed digest to compare a repeated PIN entry without keeping the PIN.

    Used while a member types a new PIN twice: the session (in Redis) holds this
    digest, bound to the session id, never the PIN itself.
    """
    return hmac.new(pepper.encode(), f"{session_id}:{pin}".encode(), hashlib.sha256).hexdigest()


def is_pin_shaped(text):
    """Exactly four ASCII digits."""
    return len(text) == 4 and text.isascii() and text.isdigit()


def pin_matches(pin, stored, pepper):
    """True when `pin` (possibly None or mistyped) is four digits matching the stored form."""
    return is_pin_shaped(pin or "") and check_pin(pin, stored, pepper)


def lock_minutes_left(locked_until, now):
    """Whole minutes until `locked_until`, rounded up (never "0 min" while locked); 0 when not locked."""
    if locked_until is None:
        return 0
    return max(0, -(-int((locked_until - now).total_seconds()) // 60))
