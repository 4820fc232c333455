"""Password hashing (Argon2id at OWASP's recommended minimum: 19 MiB, t=2, p=1) and the strength rule.

With FAST_PASSWORD_HASHING (the test suite's configuration only) hashes are still Argon2id,
at the smallest cost, so hundreds of test accounts don't spend minutes hashing.

Strength is judged offline by zxcvbn, whose dictionaries hold the most common passwords
from public breaches, common names and words, keyboard walks and dates.
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from zxcvbn import zxcvbn

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MIN_STRENGTH = 3  # zxcvbn's 0-4 scale: 3 is "safely unguessable" for an online attack with throttling
# zxcvbn's work grows with length; a long password is judged by its first part (it only gets stronger).
_STRENGTH_CHECKED_CHARACTERS = 64


def password_problem(password: str | None, related: tuple[str, ...] = ()) -> str | None:
    """Why `password` can't be used, in words, or None when it is fine.

    `related` are words the person or shop is known by (names, email): a password built
    from them is easy to guess for anyone who knows the shop.
    """
    password = password or ""
    if not password.strip():
        return "Choose a password: spaces alone don't count."
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    words = [text.replace("@", " ").replace(".", " ").split() for text in related if text]
    # Each word, and the words run together ("maisonperle"), are easy guesses for anyone who knows the shop.
    inputs = [word for parts in words for word in parts] + ["".join(parts) for parts in words]
    result = zxcvbn(password[:_STRENGTH_CHECKED_CHARACTERS], user_inputs=inputs[:20])
    if result["score"] < MIN_STRENGTH:
        warning = result["feedback"]["warning"]
        reason = f" ({warning[0].lower()}{warning[1:].rstrip('.')})" if warning else ""
        return (f"This password is too easy to guess{reason}. Try three or four unrelated words, "
                "or let a password manager make one.")
    return None


def hash_password(password: str) -> str:
    fast = has_app_context() and current_app.config.get("FAST_PASSWORD_HASHING")
    return (_fast_hasher if fast else _hasher).hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; without a hash (unknown account) the same work is done against a dummy.

    Argon2 reads the cost from the hash itself: one verifier checks hashes of any cost.
    """
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASHES: dict[bool, str] = {}


def _dummy_hash() -> str:
    """A hash at the cost the install's real hashes have, so an unknown account costs what a known one does."""
    fast = bool(has_app_context() and current_app.config.get("FAST_PASSWORD_HASHING"))
    if fast not in _DUMMY_HASHES:
        _DUMMY_HASHES[fast] = (_fast_hasher if fast else _hasher).hash("clientbook-dummy-password")
    return _DUMMY_HASHES[fast]
