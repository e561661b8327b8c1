"""Password hashing with argon2id (argon2-cffi's RFC 9106 defaults)."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 1024
"""Longer input is refused before hashing: argon2 would take it, but it only costs us time."""

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    pass


def hash_password(password: str) -> str:
    """An argon2id PHC string; refuses passwords shorter than MIN_LENGTH or over MAX_LENGTH."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must have at most {MAX_LENGTH} characters")
    return _hasher.hash(password)


def rehash(password: str) -> str:
    """A fresh hash of a password that just verified (no length rules: it is already in use)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; a malformed stored hash simply does not match."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when no user matches, so a wrong email costs as much time as a
    wrong password and the answer time does not tell which emails exist."""
    return _hasher.hash("kommodore: no such user")


def fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash, kept in the session: setting a new password changes
    it, which ends every session signed in with the old one."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]
