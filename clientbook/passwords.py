"""Password hashing: Argon2id at OWASP's recommended minimum (19 MiB, t=2, p=1) or above.

With FAST_PASSWORD_HASHING (the test suite's configuration only) hashes are still Argon2id,
at the smallest cost, so hundreds of test accounts don't spend minutes hashing.
"""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    fast = has_app_context() and current_app.config.get("FAST_PASSWORD_HASHING")
    return (_fast_hasher if fast else _hasher).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    # Argon2 reads the cost from the hash itself: one verifier checks hashes of any cost.
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_verification_time() -> None:
    """Spend what a real check costs, so unknown emails can't be told apart by timing."""
    verify_password(_DUMMY_HASH, "not the password")


_DUMMY_HASH = _hasher.hash("clientbook-dummy-password")
