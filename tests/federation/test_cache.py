"""OpenID Federation 1.0 §10.4 (caching): entries live until their expiry, in a bounded cache."""

from __future__ import annotations

import pytest

from federation.cache import ExpiringCache
from federation.resolver import ResolverLimits
from tests.federation.fedkit import LEAF, TestFederation, run


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_10_4_entry_expires_at_its_exp() -> None:
    clock = Clock()
    cache: ExpiringCache[str] = ExpiringCache(10, clock=clock)
    cache.put("a", "statement", expires_at=1010)
    assert cache.get("a") == "statement"
    clock.now = 1010
    assert cache.get("a") is None
    assert len(cache) == 0
    assert (cache.hits, cache.misses) == (1, 1)


def test_10_4_already_expired_entries_are_not_stored() -> None:
    cache: ExpiringCache[str] = ExpiringCache(10, clock=Clock())
    cache.put("a", "old", expires_at=999)
    assert len(cache) == 0


def test_10_4_cache_is_bounded_least_recently_used_first() -> None:
    cache: ExpiringCache[int] = ExpiringCache(3, clock=Clock())
    for i in range(3):
        cache.put(i, i, expires_at=2000)
    assert cache.get(0) == 0  # 0 is now the most recently used
    cache.put(3, 3, expires_at=2000)
    assert [cache.get(i) for i in range(4)] == [0, None, 2, 3]
    assert len(cache) == 3


def test_cache_needs_room_for_one_entry() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ExpiringCache(0)


def test_10_4_resolver_caches_stay_within_their_bound() -> None:
    fed = TestFederation.three_level()
    for i in range(30):
        fed.add(f"https://school{i}.example", superiors=(fed.first,))

    resolver = fed.resolver(limits=ResolverLimits(cache_entries=8))
    for i in range(30):
        run(resolver.resolve(f"https://school{i}.example"))
    run(resolver.resolve(LEAF))
    assert len(resolver.statements) <= 8
    assert len(resolver.chains) <= 8
