"""Credentials: argon2id password hashing, random session/API secrets looked up by their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vigil.core.errors import Invalid

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the account does not exist, so a miss costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
TOKEN_PREFIX = "vgl_"


def validate_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password")
    if len(set(password)) < 5:
        raise Invalid("that password is too repetitive", field="password")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in password):
        # The login form treats these as a failed login, so a password holding one could never be used.
        raise Invalid("a password cannot contain control characters", field="password")


def hash_password(password: str) -> str:
    validate_password(password)
    return _hasher.hash(password)


def check_password(password: str, stored: str | None) -> bool:
    """True when `password` matches `stored`; spends the same time when there is no stored hash."""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def rehash(password: str) -> str:
    """A fresh hash of a password that just verified, with the current parameters (no policy re-check)."""
    return _hasher.hash(password)


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def new_secret(prefix: str = "") -> tuple[str, str]:
    """A fresh high-entropy secret and its SHA-256 hex digest (what is stored)."""
    raw = prefix + secrets.token_urlsafe(32)
    return raw, digest(raw)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
