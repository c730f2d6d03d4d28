"""Password hashing with argon2id. Length (10+ characters) is the only rule."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
_hasher = PasswordHasher()
# Verified against when the user does not exist, so that a miss costs as much as a wrong password.
_DUMMY = _hasher.hash("finplat-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehashed at the next login)."""
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True
