"""The provider's store (SQLAlchemy Core on SQLite or PostgreSQL), one narrow class per concern."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from sqlalchemy import Engine

__all__ = ["Clock", "StoreBase", "digest"]

Clock = Callable[[], float]


def digest(secret: str) -> str:
    """SHA-256 (hex) of a code, token or handle: only digests are stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


class StoreBase:
    """An engine and a clock, shared by the store classes."""

    def __init__(self, engine: Engine, clock: Clock = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def now(self) -> int:
        """The store's clock, in whole seconds."""
        return int(self.clock())
