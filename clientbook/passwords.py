"""Password hashing: Argon2id at OWASP's recommended minimum (19 MiB, t=2, p=1) or above."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_verification_time() -> None:
    """Spend what a real check costs, so unknown emails can't be told apart by timing."""
    verify_password(_DUMMY_HASH, "not the password")


_DUMMY_HASH = _hasher.hash("clientbook-dummy-password")
