"""National ID numbers at rest: AES-256-GCM under a named key, a keyed lookup hash, masking.

An ID number is personal data an attacker can use to open accounts elsewhere, so
the database (its backups, replicas, a SQL injection) holds only ciphertext. The
keys live in the application's environment, never in the database:

- `ID_ENCRYPTION_KEYS`: "kid=<base64 of 32 random bytes>,kid=..."; the first
  encrypts, every one decrypts. Stored form `<kid>$<base64url(nonce|ciphertext|tag)>`,
  the key id bound into the AES-GCM associated data, so a value can neither be
  decrypted under another key nor moved to another purpose unnoticed.
- `ID_LOOKUP_KEY`: the HMAC-SHA256 key of `national_id_lookup`, so "is this ID
  already registered?" is one indexed equality, and a dump without the key cannot
  be brute-forced through the (small) space of ID numbers.

Rotating the encryption key: put a new pair first in ID_ENCRYPTION_KEYS, keep the
old one after it, restart, run `flask members reencrypt` (rewrites every row under
the first key), then drop the old pair. Rotating the lookup key: set the new
ID_LOOKUP_KEY and run the same command (it recomputes every lookup hash from the
decrypted ID). Development and test run on the published keys below; outside
APP_ENV development/test both settings are required.

Displayed anywhere (profile screens, agent screens, CLI output, logs): `mask`.
Pure: nothing here knows Flask.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.config import is_development

KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,8}$")
NONCE_BYTES = 12
PURPOSE = b"pamoja:national_id:"

DEVELOPMENT_KEYS = "dev=" + base64.b64encode(hashlib.sha256(b"pamoja development id key").digest()).decode()
"""Published, so only for APP_ENV development/test: anyone can decrypt what it encrypts."""
DEVELOPMENT_LOOKUP_KEY = "pamoja-development-id-lookup-key-not-secret"


class IdentityError(ValueError):
    """A malformed key setting, or a stored value no configured key can open."""


@dataclass(frozen=True)
class IdentityKeys:
    """The encryption keys by id (the first is current) and the lookup-hash key."""

    current_id: str
    keys: dict = field(hash=False)
    lookup_key: bytes = field(repr=False)

    @classmethod
    @functools.lru_cache(maxsize=8)
    def parse(cls, keys_setting, lookup_setting):
        """From the settings; kept per settings (every request's services are built from the same ones)."""
        keys, current_id = {}, None
        for item in (part.strip() for part in (keys_setting or "").split(",")):
            if not item:
                continue
            kid, separator, encoded = (piece.strip() for piece in item.partition("="))
            if not separator or not KEY_ID.match(kid) or kid in keys:
                raise IdentityError("ID_ENCRYPTION_KEYS: expected kid=base64-key pairs with distinct ids "
                                    "of 1-8 letters, digits, '_' or '-'")
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                key = b""
            if len(key) != 32:
                raise IdentityError(f"ID_ENCRYPTION_KEYS: key {kid!r} must be base64 of 32 random bytes "
                                    "(python -c 'import os,base64; print(base64.b64encode(os.urandom(32)).decode())')")
            keys[kid] = AESGCM(key)
            current_id = current_id or kid
        if current_id is None:
            raise IdentityError("ID_ENCRYPTION_KEYS is not set")
        if len(lookup_setting or "") < 32:
            raise IdentityError("ID_LOOKUP_KEY must be a random secret of at least 32 characters")
        return cls(current_id, keys, lookup_setting.encode())

    @classmethod
    def from_config(cls, config):
        """From ID_ENCRYPTION_KEYS / ID_LOOKUP_KEY; the published development keys only in development/test."""
        development = is_development(config)
        keys = config.get("ID_ENCRYPTION_KEYS") or (DEVELOPMENT_KEYS if development else "")
        lookup = config.get("ID_LOOKUP_KEY") or (DEVELOPMENT_LOOKUP_KEY if development else "")
        return cls.parse(keys, lookup)

    def encrypt(self, national_id):
        """The stored form of an ID number, under the current key (a fresh random nonce each time)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.keys[self.current_id].encrypt(nonce, national_id.encode(), PURPOSE + self.current_id.encode())
        return f"{self.current_id}${base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored):
        """The ID number of a stored form; IdentityError when its key is gone or it was tampered with."""
        kid, _, encoded = (stored or "").partition("$")
        key = self.keys.get(kid)
        if key is None:
            raise IdentityError(f"no ID_ENCRYPTION_KEYS entry for key id {kid!r}")
        try:
            raw = base64.urlsafe_b64decode(encoded)
            return key.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], PURPOSE + kid.encode()).decode()
        except (binascii.Error, ValueError, InvalidTag):
            raise IdentityError(f"a national ID under key {kid!r} does not decrypt") from None

    def needs_reencrypt(self, stored):
        """True when a stored form was made under another key than the current one."""
        return (stored or "").partition("$")[0] != self.current_id

    def lookup_hash(self, national_id):
        """The keyed hash stored beside the ciphertext, to find a member by ID without decrypting."""
        return hmac.new(self.lookup_key, national_id.encode(), hashlib.sha256).hexdigest()


def mask(national_id):
    """What any screen, command or log line shows: three stars and the last three characters."""
    return "***" + (national_id or "")[-3:]


def check_settings(config):
    """Parse the member secrets once at start-up, so a malformed or missing one stops the app, named.

    Covers ID_ENCRYPTION_KEYS / ID_LOOKUP_KEY here and PIN_PEPPER_ID / PIN_OLD_PEPPERS
    (app/members/pin_hashing.py); without it a typo would surface as an error on every hop.
    """
    from app.members.pin_hashing import Peppers

    Peppers.from_config(config)
    IdentityKeys.from_config(config)
