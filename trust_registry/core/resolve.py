"""The resolve endpoint's core (OpenID Federation 1.0 §8.3): resolve a trust chain for any entity
below this registry, verify its trust marks, and answer with a signed ``resolve-response+jwt``.

The registry resolves with the federation library's resolver. Requests for its own entity
configuration, its fetch endpoint and its trust mark status endpoint are answered from the store
directly (no HTTP round trip to itself); everything else goes through the hardened fetcher.
Responses are cached until the chain expires or ``resolve_cache_seconds`` pass, whichever is
first; any change in this registry clears the caches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from federation.cache import ExpiringCache
from federation.errors import (
    Check,
    FederationError,
    FetchError,
    InvalidSubject,
    InvalidTrustAnchor,
    InvalidTrustChain,
)
from federation.http import (
    ENTITY_STATEMENT_MEDIA_TYPE,
    FederationFetcher,
    FetchPolicy,
    entity_configuration_url,
)
from federation.jose import JwtType
from federation.resolver import TrustChainResolver
from federation.statements import verify_entity_configuration
from federation.trust_chain import TrustAnchor, TrustChain
from federation.trust_marks import verify_in_federation
from trust_registry.core import marks
from trust_registry.core.registry import Registry

__all__ = ["LocalFirstFetcher", "Resolver"]


class LocalFirstFetcher(FederationFetcher):
    """A fetcher that answers this registry's own federation URLs from the store."""

    def __init__(
        self,
        registry: Registry,
        policy: FetchPolicy | None = None,
        *,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(policy, client=client)
        self._registry = registry
        self._configuration = entity_configuration_url(registry.config.entity_id)
        self._own_fetch = registry.config.endpoints.fetch
        self._status = registry.config.endpoints.trust_mark_status

    async def get_jwt(
        self, url: str, *, media_type: str, params: Mapping[str, str | Sequence[str]] | None = None
    ) -> str:
        """Own entity configuration and subordinate statements from the store; others over HTTP."""
        if url == self._configuration and not params:
            return self._registry.entity_configuration()
        if url == self._own_fetch and params is not None and isinstance(params.get("sub"), str):
            return self._registry.fetch(str(params["sub"]))
        return await super().get_jwt(url, media_type=media_type, params=params)

    async def post_form_jwt(self, url: str, data: Mapping[str, str], *, media_type: str) -> str:
        """Own trust mark status from the store; others over HTTP."""
        if url == self._status and "trust_mark" in data:
            return marks.trust_mark_status(self._registry, data["trust_mark"])
        return await super().post_form_jwt(url, data, media_type=media_type)


class Resolver:
    """Resolves chains for the resolve endpoint and the registry pages."""

    def __init__(self, registry: Registry, fetcher: LocalFirstFetcher) -> None:
        self.registry = registry
        self.fetcher = fetcher
        self._resolver: TrustChainResolver | None = None
        self._created = 0
        self.responses: ExpiringCache[str] = ExpiringCache(10_000, clock=registry.clock)
        registry.on_change.append(self.clear)

    def clear(self) -> None:
        """Forget every cached statement, chain and response (after a change here)."""
        self.responses.clear()
        self._resolver = None  # the anchor's own keys may have changed too

    async def resolver(self) -> TrustChainResolver:
        """The chain resolver, with this registry's trust anchors (created on first use)."""
        now = self.registry.now()
        if self._resolver is not None and now - self._created > max(
            60, self.registry.config.resolve_cache_seconds
        ):
            # Statements from elsewhere (a member's keys, an intermediate's statements) are looked at
            # again at least every minute, not only when they expire (§10.2 would allow that).
            self._resolver = None
        if self._resolver is None:
            self._created = now
            self._resolver = TrustChainResolver(
                self.fetcher, await self._anchors(), clock=self.registry.clock
            )
        return self._resolver

    async def _anchors(self) -> list[TrustAnchor]:
        config = self.registry.config
        if config.is_anchor:
            return [TrustAnchor.from_jwks(config.entity_id, self.registry.keys.public_jwks())]
        anchors = []
        for pinned in config.trust_anchors:
            jwks = pinned.jwks if pinned.jwks is not None else await self._first_use_keys(pinned.entity_id)
            anchors.append(TrustAnchor.from_jwks(pinned.entity_id, jwks))
        return anchors

    async def _first_use_keys(self, anchor: str) -> dict[str, Any]:
        """Development only: take an anchor's keys from its own configuration (trust on first use)."""
        token = await self.fetcher.get_jwt(
            entity_configuration_url(anchor), media_type=ENTITY_STATEMENT_MEDIA_TYPE
        )
        statement = verify_entity_configuration(
            token, entity_id=anchor, trusted_keys=None, now=self.registry.now()
        )
        return statement.jwks.model_dump(exclude_none=True) if statement.jwks else {"keys": []}

    async def anchor_jwks(self, anchor: str) -> dict[str, Any]:
        """The keys of a configured trust anchor (pinned, or in dev from its configuration)."""
        for candidate in await self._anchors():
            if candidate.entity_id == anchor:
                return candidate.jwks.model_dump(exclude_none=True)
        raise InvalidTrustAnchor(f"{anchor} is not a trust anchor of this registry", check=Check.TRUST_ANCHOR)

    async def chain(
        self, sub: str, trust_anchors: Sequence[str], entity_types: Sequence[str] = ()
    ) -> TrustChain:
        """The trust chain of ``sub`` to the first of ``trust_anchors`` this registry knows (§8.3.1)."""
        resolver = await self.resolver()
        known = [a for a in trust_anchors if a in resolver.anchors]
        if not known:
            raise InvalidTrustAnchor(
                f"none of the requested trust anchors is known here; this registry resolves to "
                f"{', '.join(resolver.anchors)}",
                check=Check.TRUST_ANCHOR,
            )
        failure: FederationError | None = None
        for anchor in known:
            try:
                return await resolver.resolve(sub, entity_types=entity_types, trust_anchor=anchor)
            except InvalidTrustChain as exc:
                failure = failure or _classify(sub, exc)
        assert failure is not None
        raise failure

    async def verified_marks(self, chain: TrustChain) -> list[dict[str, str]]:
        """The leaf's trust marks that verify in the chain's federation and are active (§8.3.2)."""
        resolver = await self.resolver()
        valid = []
        for ref in chain.leaf.trust_marks or []:
            try:
                await verify_in_federation(
                    ref.trust_mark,
                    resolver,
                    self.fetcher,
                    trust_anchor=chain.trust_anchor,
                    subject=chain.subject,
                    trust_mark_type=ref.trust_mark_type,
                )
            except FederationError:
                continue
            valid.append({"trust_mark_type": ref.trust_mark_type, "trust_mark": ref.trust_mark})
        return valid

    async def resolve(self, sub: str, trust_anchors: Sequence[str], entity_types: Sequence[str]) -> str:
        """A signed resolve response (§8.3.2); ``exp`` is the ``exp`` of the trust chain."""
        key = (sub, tuple(trust_anchors), tuple(sorted(set(entity_types))))
        cached = self.responses.get(key)
        if cached is not None:
            return cached
        chain = await self.chain(sub, trust_anchors, entity_types)
        now = self.registry.now()
        claims: dict[str, Any] = {
            "iss": self.registry.config.entity_id,
            "sub": sub,
            "iat": now,
            "exp": int(chain.exp),
            "metadata": chain.metadata,
            "trust_chain": chain.jwts(),
        }
        trust_marks = await self.verified_marks(chain)
        if trust_marks:
            claims["trust_marks"] = trust_marks
        token = self.registry.keys.sign(claims, JwtType.RESOLVE_RESPONSE)
        self.responses.put(key, token, min(chain.exp, now + self.registry.config.resolve_cache_seconds))
        return token


def _classify(sub: str, exc: InvalidTrustChain) -> FederationError:
    """The resolve error for a failed chain (§8.9): an entity we cannot reach is ``invalid_subject``;
    anything else (a policy that cannot be merged included) stays ``invalid_trust_chain``."""
    paths = exc.path_errors
    if len(paths) == 1 and paths[0][0] == (sub,) and isinstance(paths[0][1], FetchError):
        reason = paths[0][1].description
        prefix = f"entity configuration of {sub}: "
        reason = reason.removeprefix(prefix)
        return InvalidSubject(f"cannot fetch the {prefix}{reason}", check=Check.SUB)
    return exc
