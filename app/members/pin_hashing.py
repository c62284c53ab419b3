"""PIN hashing: a salted PBKDF2 over an HMAC keyed with a server-side pepper.

Why the pepper, not the hash, is the defence: a PIN has only 10,000 values. At
the work factor below one guess costs ~1.2 ms, so with a dumped table *and* the
pepper every PIN falls in about 12 s; no work factor that keeps a USSD hop fast
changes that. Without the pepper a dumped hash is useless: the attacker must
guess a 256-bit HMAC key first. So the pepper lives only in the application's
environment (`PIN_PEPPER`), never in the database, its backups, logs or job
payloads, and the database role cannot read it: a SQL injection or a leaked
backup yields hashes, not PINs. The work factor is small on purpose: verifying
must cost under 5 ms so USSD hops stay fast (see bench/pin_hash.py).

Stored form: `pbkdf2_sha256$<pepper_id>$<iterations>$<salt>$<hash>`. The pepper id
names which pepper made the hash, so the pepper can rotate without a PIN reset:

1. put the current pair in `PIN_OLD_PEPPERS` ("1=<old secret>", comma-separated
   `id=secret` pairs; ids are 1-8 letters, digits, `_` or `-`);
2. set `PIN_PEPPER` to a new secret and `PIN_PEPPER_ID` to a new id ("2");
3. every member's and agent's next right PIN re-hashes it with the new pepper
   (and the current iteration count); `needs_rehash` says when;
4. once no stored hash names the old id (`SELECT count(*) ... LIKE
   'pbkdf2_sha256$1$%'` over members and agents), drop it from PIN_OLD_PEPPERS;
   whoever still has it will need a PIN reset.

The pre-id form `pbkdf2_sha256$<iterations>$<salt>$<hash>` is read as made with the
current pepper; migration 0008 rewrote every such hash with the `PIN_PEPPER_ID` of
its day, so only a row written by older code during a rolling deploy has it.
Members and agents share the check (`pin_matches`), the re-hash rule, the lockout
arithmetic (`lock_minutes_left`) and the guard that serialises checks of one PIN
(`serialize_pin_checks`); each service keeps its own failure counting.
"""

import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import String, bindparam, func, select

ITERATIONS = 5000
"""PBKDF2 rounds: about 1 ms on the 2-core machine (bench/pin_hash.py); the pepper carries the security."""

SCHEME = "pbkdf2_sha256"

PEPPER_ID = re.compile(r"^[A-Za-z0-9_-]{1,8}$")
"""A pepper id: short enough that the stored form fits the 128-character column."""

DEFAULT_PEPPER_ID = "1"

TRIVIAL_PINS = frozenset({"1234", "4321", "0123", "9876"} | {str(d) * 4 for d in range(10)})
"""PINs anyone would guess first; refused when a member sets a PIN."""


class PepperError(ValueError):
    """A malformed pepper setting (caught at start-up, naming the variable)."""


@dataclass(frozen=True)
class Peppers:
    """The current pepper (hashes new PINs) and the old ones (still verify their hashes)."""

    current_id: str
    secrets: dict = field(hash=False)

    def __post_init__(self):
        if not PEPPER_ID.match(self.current_id):
            raise PepperError(f"PIN_PEPPER_ID {self.current_id!r}: use 1-8 letters, digits, '_' or '-'")
        if not self.secrets.get(self.current_id):
            raise PepperError("PIN_PEPPER is empty")

    @property
    def current(self):
        return self.secrets[self.current_id]

    def secret(self, pepper_id):
        """The pepper with this id, or None when it is no longer configured."""
        return self.secrets.get(pepper_id)

    @classmethod
    @functools.lru_cache(maxsize=8)
    def parse(cls, current, current_id=DEFAULT_PEPPER_ID, old=""):
        """From the settings: PIN_PEPPER, PIN_PEPPER_ID, PIN_OLD_PEPPERS ("id=secret,id=secret").

        Kept per settings (the services of every request are built from the same ones)."""
        table = {}
        for item in (part.strip() for part in (old or "").split(",")):
            if not item:
                continue
            pepper_id, separator, secret = item.partition("=")
            if not separator or not PEPPER_ID.match(pepper_id.strip()) or not secret.strip():
                raise PepperError("PIN_OLD_PEPPERS: expected id=secret pairs separated by commas")
            table[pepper_id.strip()] = secret.strip()
        current_id = (current_id or DEFAULT_PEPPER_ID).strip()
        if current_id in table and table[current_id] != current:
            raise PepperError(f"PIN_OLD_PEPPERS names the current PIN_PEPPER_ID {current_id!r} with another secret")
        table[current_id] = current
        return cls(current_id, table)

    @classmethod
    def from_config(cls, config):
        return cls.parse(config["PIN_PEPPER"], config.get("PIN_PEPPER_ID"), config.get("PIN_OLD_PEPPERS"))


def as_peppers(pepper):
    """A Peppers from a Peppers or a bare secret (one pepper, the default id)."""
    return pepper if isinstance(pepper, Peppers) else Peppers.parse(pepper)


def _peppered(pin, pepper):
    return hmac.new(pepper.encode(), pin.encode(), hashlib.sha256).digest()


def _parse(stored, peppers):
    """(pepper_id, iterations, salt, hash) of a stored form, or None when unreadable."""
    parts = stored.split("$") if isinstance(stored, str) else []
    if len(parts) == 4 and parts[0] == SCHEME:  # the pre-id form: made with the current pepper
        parts = [SCHEME, peppers.current_id, *parts[1:]]
    if len(parts) != 5 or parts[0] != SCHEME or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2]), parts[3], parts[4]


def hash_pin(pin, pepper, *, iterations=ITERATIONS):
    """Return the stored form of `pin`, made with the current pepper."""
    peppers = as_peppers(pepper)
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", _peppered(pin, peppers.current), salt.encode(), iterations)
    return f"{SCHEME}${peppers.current_id}${iterations}${salt}${digest.hex()}"


def check_pin(pin, stored, pepper):
    """True when `pin` matches the stored form (under the pepper its id names); constant-time comparison."""
    peppers = as_peppers(pepper)
    parsed = _parse(stored, peppers)
    if parsed is None:
        return False
    pepper_id, iterations, salt, expected = parsed
    secret = peppers.secret(pepper_id)
    if secret is None:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", _peppered(pin, secret), salt.encode(), iterations)
    return hmac.compare_digest(digest.hex(), expected)


def needs_rehash(stored, pepper, *, iterations=ITERATIONS):
    """True when a hash that just matched was made with an old pepper, old form or another work factor."""
    peppers = as_peppers(pepper)
    parsed = _parse(stored, peppers)
    return parsed is None or stored.count("$") != 4 or parsed[0] != peppers.current_id or parsed[1] != iterations


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


PIN_CHECK_GUARD = select(func.pg_advisory_xact_lock(func.hashtext(bindparam("guard", type_=String))))
"""`serialize_pin_checks`' lock, built once (its cache key computed once: every PIN hop takes it)."""


def serialize_pin_checks(session, kind, row_id):
    """Make every PIN check of one member (or agent) wait for the previous one's commit.

    A transaction-scoped advisory lock, taken before the lock state and failure
    count are read (in a later statement, so READ COMMITTED reads what the previous
    check committed) and held until commit: parallel guesses queue, so at most
    PIN_MAX_ATTEMPTS are ever evaluated per lock window and one guess sets the lock.
    Unlike `SELECT ... FOR UPDATE` it writes nothing: a right PIN keeps a login hop
    a read-only transaction (no transaction id, no WAL flush at commit, no dirtied
    heap page) and it never blocks other writers of the row. Anything else that
    writes `pin_failures` / `pin_locked_until` (a PIN reset) takes it too.
    """
    session.execute(PIN_CHECK_GUARD, {"guard": f"pin:{kind}:{row_id}"})


def lock_minutes_left(locked_until, now):
    """Whole minutes until `locked_until`, rounded up (never "0 min" while locked); 0 when not locked."""
    if locked_until is None:
        return 0
    return max(0, -(-int((locked_until - now).total_seconds()) // 60))
