"""Staff passwords: argon2id via argon2-cffi, with its recommended parameters.

Why argon2 and not the members' PIN scheme (app/members/pin_hashing.py): a PIN is
four digits and needs a server-side pepper to be worth hashing; a password is long
and chosen by a person, and argon2id is the memory-hard standard for those. The
parameters live in the hash, so raising them later re-hashes each account at its
next sign-in (`needs_rehash`).
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASHER = PasswordHasher()
DUMMY_HASH = HASHER.hash("pamoja: no such staff member")
"""Verified against when the username is unknown, so both cases take the same time."""


def hash_password(password):
    return HASHER.hash(password)


def verify_password(password_hash, password):
    """True when `password` matches; False on a mismatch or an unreadable hash (never raises)."""
    try:
        return HASHER.verify(password_hash or DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return HASHER.check_needs_rehash(password_hash)
