"""Keys derived per purpose from one master secret, so no secret keys two things.

The PIN pepper (`PIN_PEPPER`) keys PIN hashes and nothing else: it is the real
defence of 4-digit PINs and may be rotated on its own. Everything else that needs
a server-side key (the menu engine's digest of the previous USSD text, the digest
of a new PIN typed twice, one-time codes) gets its own key derived from
`SECRET_KEY` with a purpose label: a key leaked or misused for one purpose says
nothing about another, and adding a purpose needs no new setting.

The derivation is HMAC-SHA256(master, "pamoja/" + purpose): the single-block
HKDF-Expand of RFC 5869 with the master as the pseudo-random key, which is all a
high-entropy master secret needs (no salt or extract step).
"""

import hashlib
import hmac

MENU_INPUT_DIGEST = "menu-input-digest"
"""Keys the digest of the previous USSD text a session keeps to find the new input (menus/engine.py)."""

NEW_PIN_DIGEST = "new-pin-digest"
"""Keys the digest of a new PIN's first entry, kept in the session until it is typed again."""

ONE_TIME_CODE = "one-time-code"
"""Prefix of the keys of one-time codes; each code purpose gets its own (app/one_time_codes.py)."""


def derive_key(master, purpose):
    """The 32-byte key for `purpose` derived from `master` (str or bytes); the same inputs give the same key."""
    if not purpose:
        raise ValueError("a derived key needs a purpose")
    master = master.encode() if isinstance(master, str) else master
    if not master:
        raise ValueError("a derived key needs a master secret")
    return hmac.new(master, f"pamoja/{purpose}".encode(), hashlib.sha256).digest()


def app_key(config, purpose):
    """The key for `purpose` derived from the app's SECRET_KEY."""
    return derive_key(config["SECRET_KEY"], purpose)
