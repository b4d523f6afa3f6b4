"""Trust chain resolution: from a leaf entity ID up to a pinned trust anchor (OpenID Federation 1.0 §10).

For each authority hint the resolver fetches the superior's entity configuration and its
subordinate statement about the entity below, and checks that every statement is signed by a key
that the statement above vouched for: the leaf's configuration by a key in its superior's
subordinate statement, each subordinate statement by a key in the statement about its issuer, and
everything the anchor issues by the anchor's pinned keys. A self-signature alone never suffices.
Several superiors are tried in turn; when none gives a valid chain, the error lists each path and
why it failed. Verified statements and chains are cached until they expire (§10.4).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable, Collection, Sequence
from contextlib import aclosing
from dataclasses import dataclass

from joserfc.jwk import KeySet

from federation.cache import ExpiringCache
from federation.errors import Check, FederationError, InvalidJwt, InvalidTrustAnchor, InvalidTrustChain
from federation.http import ENTITY_STATEMENT_MEDIA_TYPE, FederationFetcher, entity_configuration_url
from federation.jose import AlgorithmPolicy
from federation.statements import (
    DEFAULT_LEEWAY,
    EntityStatement,
    check_signed_by,
    verify_entity_configuration,
    verify_subordinate_statement,
)
from federation.trust_chain import TrustAnchor, TrustChain, describe, validate_chain

__all__ = ["ResolverLimits", "TrustChainResolver"]

Path = tuple[str, ...]


@dataclass(frozen=True)
class ResolverLimits:
    """Bounds that keep a hostile federation from making resolution unbounded."""

    #: Most superiors above the leaf (a chain has at most ``max_depth + 1`` entities).
    max_depth: int = 6
    #: Authority hints tried per entity; further hints are ignored.
    max_authority_hints: int = 5
    #: Statements fetched in one resolution, across every path tried.
    max_fetches: int = 40
    #: Cached statements and chains.
    cache_entries: int = 10_000
    #: Seconds of clock skew tolerated on ``iat`` and ``exp``.
    leeway: int = DEFAULT_LEEWAY


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit
        self.limit = limit

    def spend(self) -> None:
        if self.left <= 0:
            raise InvalidTrustChain(
                f"gave up after fetching {self.limit} statements (resolution limit)", check=Check.DEPTH
            )
        self.left -= 1


class TrustChainResolver:
    """Resolves and caches trust chains to one of several pinned trust anchors."""

    def __init__(
        self,
        fetcher: FederationFetcher,
        anchors: Sequence[TrustAnchor],
        *,
        algorithms: AlgorithmPolicy | None = None,
        limits: ResolverLimits | None = None,
        understood_crit: Collection[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not anchors:
            raise ValueError("at least one trust anchor is needed")
        self._fetcher = fetcher
        self._anchors = {a.entity_id: a for a in anchors}
        self._algorithms = algorithms
        self.limits = limits or ResolverLimits()
        self._crit = frozenset(understood_crit)
        self._clock = clock
        self.statements: ExpiringCache[EntityStatement] = ExpiringCache(
            self.limits.cache_entries, clock=clock
        )
        self.chains: ExpiringCache[TrustChain] = ExpiringCache(self.limits.cache_entries, clock=clock)

    @property
    def anchors(self) -> dict[str, TrustAnchor]:
        """The configured trust anchors by entity ID."""
        return dict(self._anchors)

    async def resolve(
        self,
        entity_id: str,
        *,
        entity_types: Collection[str] = (),
        trust_anchor: str | None = None,
    ) -> TrustChain:
        """The first valid trust chain from ``entity_id`` to a configured anchor (to
        ``trust_anchor`` when given), with metadata resolved for ``entity_types`` (all if empty).

        Raises :class:`InvalidTrustAnchor` for an anchor that is not configured and
        :class:`InvalidTrustChain` listing every path tried when none is valid.
        """
        if trust_anchor is not None and trust_anchor not in self._anchors:
            raise InvalidTrustAnchor(
                f"{trust_anchor} is not a configured trust anchor", check=Check.TRUST_ANCHOR
            )
        anchors = (trust_anchor,) if trust_anchor else tuple(self._anchors)
        key = ("chain", entity_id, tuple(sorted(entity_types)), anchors)
        cached = self.chains.get(key)
        if cached is not None:
            return cached
        budget = _Budget(self.limits.max_fetches)
        errors: list[tuple[Path, FederationError]] = []
        try:
            if entity_id in anchors:  # §4.1: an anchor's chain is its own configuration
                anchor_ec = await self._configuration(entity_id, budget, self._anchors[entity_id].keys())
                chain = validate_chain([anchor_ec], entity_types)
                self.chains.put(key, chain, chain.exp)
                return chain
            leaf = await self._configuration(entity_id, budget)
        except FederationError as exc:
            raise self._failure(entity_id, [((entity_id,), exc)]) from exc
        async with aclosing(self._ascend(leaf, (entity_id,), anchors, budget, errors)) as candidates:
            async for upper in candidates:
                statements = [leaf, *upper]
                try:
                    chain = validate_chain(statements, entity_types)
                except FederationError as exc:
                    errors.append(((entity_id, *(s.iss for s in upper[:-1])), exc))
                    continue
                self.chains.put(key, chain, chain.exp)
                return chain
        raise self._failure(entity_id, errors)

    def _failure(self, entity_id: str, errors: list[tuple[Path, FederationError]]) -> InvalidTrustChain:
        if not errors:
            return InvalidTrustChain(
                f"no trust chain from {entity_id} to a trust anchor", check=Check.TRUST_ANCHOR
            )
        lines = [f"via {' -> '.join(path)}: {exc.description}" for path, exc in errors]
        return InvalidTrustChain(
            f"no valid trust chain from {entity_id}: " + "; ".join(lines),
            check=errors[0][1].check if len(errors) == 1 else None,
            path_errors=tuple((path, exc) for path, exc in errors),
        )

    def now(self) -> float:
        """The resolver's clock (epoch seconds)."""
        return self._clock()

    @property
    def algorithms(self) -> AlgorithmPolicy | None:
        """The algorithm allow-list (``None``: the default, ES256)."""
        return self._algorithms

    async def _fetch(self, url: str, budget: _Budget, params: dict[str, str] | None = None) -> str:
        budget.spend()
        return await self._fetcher.get_jwt(url, media_type=ENTITY_STATEMENT_MEDIA_TYPE, params=params)

    async def _configuration(
        self, entity_id: str, budget: _Budget, pinned: KeySet | None = None
    ) -> EntityStatement:
        """An entity configuration whose self-signature (and pinned keys, for an anchor) verified."""
        key = ("ec", entity_id, pinned is not None)
        cached = self.statements.get(key)
        if cached is not None:
            return cached
        context = f"{'trust anchor ' if pinned else ''}entity configuration of {entity_id}"
        try:
            token = await self._fetch(entity_configuration_url(entity_id), budget)
            statement = verify_entity_configuration(
                token,
                entity_id=entity_id,
                trusted_keys=pinned,
                now=self.now(),
                policy=self._algorithms,
                leeway=self.limits.leeway,
                understood_crit=self._crit,
            )
        except FederationError as exc:
            raise exc.in_context(context) from exc
        self.statements.put(key, statement, statement.exp)
        return statement

    async def _subordinate(
        self, superior: EntityStatement, subject: str, keys: KeySet, budget: _Budget, *, pinned: bool = False
    ) -> EntityStatement:
        # Cached apart by key source: one verified with an anchor's pinned keys is not
        # interchangeable with one verified with the keys of that entity's own configuration.
        key = ("ss", superior.sub, subject, pinned)
        cached = self.statements.get(key)
        if cached is not None:
            return cached
        context = f"subordinate statement by {superior.sub} about {subject}"
        endpoint = (superior.metadata or {}).get("federation_entity", {}).get("federation_fetch_endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            raise InvalidTrustChain(
                f"{superior.sub} publishes no federation_fetch_endpoint", check=Check.FETCH_ENDPOINT
            )
        try:
            token = await self._fetch(endpoint, budget, {"sub": subject})
            statement = verify_subordinate_statement(
                token,
                issuer=superior.sub,
                subject=subject,
                issuer_keys=keys,
                now=self.now(),
                policy=self._algorithms,
                leeway=self.limits.leeway,
                understood_crit=self._crit,
            )
        except FederationError as exc:
            raise exc.in_context(context) from exc
        self.statements.put(key, statement, statement.exp)
        return statement

    def _vouched(self, statement: EntityStatement, keys: KeySet, voucher: EntityStatement) -> None:
        """``statement`` must be signed by a key that ``voucher`` lists for its issuer."""
        try:
            check_signed_by(statement, keys, self._algorithms)
        except InvalidJwt as exc:
            if exc.check is Check.KID:
                message = (
                    f"{describe(statement)} is signed with a key that {describe(voucher)} does not vouch for"
                )
            else:
                message = (
                    f"{describe(statement)} does not verify with the keys {describe(voucher)} vouches for"
                )
            raise InvalidTrustChain(f"{message}: {exc.description}", check=exc.check) from exc

    async def _ascend(
        self,
        subject: EntityStatement,
        path: Path,
        anchors: tuple[str, ...],
        budget: _Budget,
        errors: list[tuple[Path, FederationError]],
    ) -> AsyncGenerator[list[EntityStatement], None]:
        """Yield each candidate upper chain [SS about subject, ..., anchor EC] above ``subject``."""
        hints = subject.authority_hints
        if not hints:
            errors.append(
                (
                    path,
                    InvalidTrustChain(
                        f"{subject.sub} is not a configured trust anchor and has no authority_hints",
                        check=Check.AUTHORITY_HINTS,
                    ),
                )
            )
            return
        for hint in hints[: self.limits.max_authority_hints]:
            here = (*path, hint)
            if hint in path:
                errors.append(
                    (here, InvalidTrustChain(f"authority_hints loop back to {hint}", check=Check.LOOP))
                )
                continue
            if len(path) > self.limits.max_depth:
                errors.append(
                    (
                        here,
                        InvalidTrustChain(
                            f"chain longer than {self.limits.max_depth} superiors", check=Check.DEPTH
                        ),
                    )
                )
                continue
            try:
                if hint in anchors:
                    pinned = self._anchors[hint].keys()
                    anchor_ec = await self._configuration(hint, budget, pinned)
                    statement = await self._subordinate(anchor_ec, subject.sub, pinned, budget, pinned=True)
                    self._vouched(subject, statement.keys(), statement)
                    yield [statement, anchor_ec]
                    continue
                if hint in self._anchors:  # an anchor, but not the one asked for: pass through it
                    superior = await self._configuration(hint, budget, self._anchors[hint].keys())
                else:
                    superior = await self._configuration(hint, budget)
                statement = await self._subordinate(superior, subject.sub, superior.keys(), budget)
                self._vouched(subject, statement.keys(), statement)
            except FederationError as exc:
                errors.append((here, exc))
                continue
            async with aclosing(self._ascend(superior, here, anchors, budget, errors)) as uppers:
                async for upper in uppers:
                    # `statement` is signed by the superior: with a key the statement above vouches for.
                    # (The superior's own configuration was checked against upper[0] one level up.)
                    try:
                        self._vouched(statement, upper[0].keys(), upper[0])
                    except FederationError as exc:
                        errors.append((here, exc))
                        continue
                    yield [statement, *upper]
