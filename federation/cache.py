"""A bounded cache whose entries expire at a given time (statements are cached until their ``exp``).

OpenID Federation 1.0 §10.4: a party may cache statements and trust chains until they expire.
The cache is bounded (least recently used entries are dropped first) so that a federation with
tens of thousands of members, or a hostile one inventing entity IDs, cannot exhaust memory.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["ExpiringCache"]

V = TypeVar("V")


class ExpiringCache(Generic[V]):
    """A least-recently-used cache of at most ``max_entries`` values, each with an expiry time."""

    def __init__(self, max_entries: int = 10_000, *, clock: Callable[[], float] = time.time) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        """The value under ``key`` if present and not expired (expired entries are dropped)."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        expires_at, value = entry
        if expires_at <= self._clock():
            del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: Hashable, value: V, expires_at: float) -> None:
        """Store ``value`` until ``expires_at`` (epoch seconds); evicts the oldest when full."""
        if expires_at <= self._clock():
            return
        self._entries[key] = (expires_at, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        """Forget ``key`` (e.g. after a member's keys changed)."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()
