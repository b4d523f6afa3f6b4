"""Password hashing with argon2id (RFC 9106), via argon2-cffi.

``standard`` is RFC 9106 §4's second recommended option (64 MiB, 3 passes, 4 lanes); ``fast``
(64 KiB, 1 pass, about 40 µs) is for tests and benchmarks in ``dev`` only. A hash made with other parameters
still verifies, and :meth:`PasswordHasher.needs_rehash` says when to upgrade it at the next sign-in.
A verification against a dummy hash is run for unknown usernames so that timing does not reveal
whether an account exists.
"""

from __future__ import annotations

from typing import Literal

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["PasswordHasher"]

# (time_cost, memory_cost in KiB, parallelism)
_PROFILES = {"standard": (3, 64 * 1024, 4), "fast": (1, 64, 1)}


class PasswordHasher:
    """Hash and verify passwords with the chosen argon2id cost."""

    def __init__(self, profile: Literal["standard", "fast"] = "standard") -> None:
        self.profile = profile
        time_cost, memory_cost, parallelism = _PROFILES[profile]
        self._hasher = _Argon2(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
        self._dummy = self._hasher.hash("not a password of anyone")
        #: Whether a verification costs enough to be run off the event loop. A thread hand-off
        #: costs about 100 µs of CPU: more than a ``fast`` verification, far less than a standard one.
        self.expensive = profile != "fast"

    def hash(self, password: str) -> str:
        """The PHC-format argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True if ``password`` matches ``stored``; with ``stored`` None, spend the same time and say no."""
        try:
            return self._hasher.verify(stored if stored is not None else self._dummy, password) and (
                stored is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True if ``stored`` was made with other parameters than this hasher's."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True
