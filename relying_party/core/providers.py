"""Identity providers the relying party may send citizens to, and why it trusts each.

Federation providers (OpenID Federation 1.0):

1. **List**: the trust anchor's ``federation_list_endpoint`` (§8.2) with ``entity_type=openid_provider``,
   and the same at each intermediate it lists (``intermediate=true``), at most ``MAX_CANDIDATES``.
2. **Resolve**: the anchor's ``federation_resolve_endpoint`` (§8.3) about each; the response is
   verified with the anchor's pinned keys and its ``trust_chain`` verified statement by statement
   from the anchor down (:func:`federation.presented.verify_resolve_response`): the chain must verify,
   not only the resolver's word. An anchor without a resolve endpoint: the chain is resolved here (§10).
3. **Certification**: the provider must hold the federation's certification trust mark
   (``certified_identity_service_provider``), verified in the chain's federation and active at its
   issuer's status endpoint (§7.3, §8.4), whose DIATF certification record is valid today and
   certifies the level of confidence the service needs (``CertificationRecord.covers``).

Static providers (outside the federation) come from configuration: their discovery document is
fetched from the configured URL and its ``issuer`` must equal the configured issuer (Discovery §4.3).

A resolved provider is kept ``provider_cache_seconds`` and never past its chain's or mark's ``exp``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from joserfc.jwk import KeySet
from pydantic import ValidationError

from federation.errors import Check, FederationError, InvalidTrustChain
from federation.held_marks import expand_trust_mark_type
from federation.http import (
    ENTITY_STATEMENT_MEDIA_TYPE,
    JWK_SET_MEDIA_TYPE,
    RESOLVE_RESPONSE_MEDIA_TYPE,
    FederationFetcher,
)
from federation.http import entity_configuration_url as configuration_url
from federation.presented import verify_resolve_response
from federation.resolver import TrustChainResolver
from federation.signed_jwks import verify_signed_jwk_set
from federation.statements import key_set, verify_entity_configuration
from federation.trust_chain import TrustAnchor, TrustChain
from federation.trust_marks import verify_in_federation
from relying_party.core.config import RpConfig, StaticProvider
from relying_party.core.errors import LoginError, Refusal
from relying_party.core.result import ProviderInfo
from schemas.gpg45 import LevelOfConfidence
from schemas.records import CertificationRecord, CertifiedIdspTrustMark
from schemas.vot import Trustmark

__all__ = ["OP_TYPE", "Provider", "ProviderDirectory"]

log = logging.getLogger("relying_party.providers")

OP_TYPE = "openid_provider"
MAX_CANDIDATES = 50
MAX_INTERMEDIATES = 20
#: Seconds between two fetches of a provider's keys for an unknown ``kid`` (key rotation).
KEY_REFRESH_SECONDS = 30
#: Unknown ``kid`` values remembered (each fetches the keys at most once per 30 s).
_KIDS_TRIED = 64


@dataclass(frozen=True)
class Provider:
    """An identity provider the relying party trusts, with everything a login needs."""

    issuer: str
    name: str
    kind: str
    metadata: Mapping[str, Any] = field(repr=False)
    levels: frozenset[LevelOfConfidence]
    expires_at: float
    chain: TrustChain | None = field(default=None, repr=False)
    certification: CertificationRecord | None = None
    static: StaticProvider | None = None

    @property
    def trust_anchor(self) -> str | None:
        """The anchor the provider's chain ends at (federation providers)."""
        return self.chain.trust_anchor if self.chain else None

    @property
    def path(self) -> tuple[str, ...]:
        """Entity IDs from the provider up to the trust anchor."""
        return self.chain.path if self.chain else ()

    @functools.cached_property
    def info(self) -> ProviderInfo:
        """What a login result records of this provider (built once: the provider is immutable)."""
        return ProviderInfo(
            issuer=self.issuer,
            name=self.name,
            kind=self.kind,
            trust_chain=self.path,
            trust_anchor=self.trust_anchor,
            certificate_id=self.certification.certificate_id if self.certification else None,
            certified_levels=tuple(sorted(level.value for level in self.levels)),
        )

    def covers(self, level: LevelOfConfidence) -> bool:
        """True if the provider is certified (or, for a static one, configured) for ``level``."""
        return level in self.levels

    def endpoint(self, name: str) -> str:
        """A metadata endpoint URL; :class:`LoginError` when the provider publishes none."""
        value = self.metadata.get(name)
        if not isinstance(value, str) or not value:
            raise LoginError(
                Refusal.UNTRUSTED_PROVIDER,
                f"the identity provider {self.name} publishes no {name}",
                check="metadata",
            )
        return value


def _refuse(issuer: str, reason: str, check: str) -> LoginError:
    return LoginError(
        Refusal.UNTRUSTED_PROVIDER, f"{issuer} is not a trusted identity provider: {reason}", check=check
    )


class ProviderDirectory:
    """Finds, verifies and caches the identity providers (see the module documentation)."""

    def __init__(
        self, config: RpConfig, fetcher: FederationFetcher, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self.fetcher = fetcher
        self.clock = clock
        self._anchors: dict[str, TrustAnchor] | None = None
        self._resolver: TrustChainResolver | None = None
        self._resolver_made = 0.0
        self._providers: dict[str, Provider] = {}
        self._listed: tuple[float, list[str]] | None = None
        self._keys: dict[str, tuple[float, KeySet]] = {}
        self._kids_tried: dict[tuple[str, str], float] = {}
        self._trustmarks: dict[str, tuple[float, Trustmark]] = {}

    # -- trust anchors -------------------------------------------------------------------------------
    async def anchors(self) -> dict[str, TrustAnchor]:
        """The trust anchors, pinned or (``dev`` only) read from their own configuration once."""
        if self._anchors is not None:
            return self._anchors
        found: dict[str, TrustAnchor] = {}
        for pin in self.config.trust_anchors:
            if pin.jwks is not None:
                found[pin.entity_id] = TrustAnchor.from_jwks(pin.entity_id, pin.jwks)
                continue
            if not self.config.development:
                raise ValueError(f"trust anchor {pin.entity_id} has no pinned keys (required outside dev)")
            try:
                token = await self.fetcher.get_jwt(
                    configuration_url(pin.entity_id), media_type=ENTITY_STATEMENT_MEDIA_TYPE
                )
                statement = verify_entity_configuration(token, entity_id=pin.entity_id, now=self.clock())
            except FederationError as exc:
                log.warning("trust anchor %s unreachable: %s", pin.entity_id, exc.description)
                continue
            found[pin.entity_id] = TrustAnchor.from_jwks(
                pin.entity_id, statement.jwks.model_dump(exclude_none=True)
            )
            log.warning(
                "trust anchor %s trusted on first use (development): pin its keys elsewhere", pin.entity_id
            )
        if len(found) == len(self.config.trust_anchors):
            self._anchors = found
        return found

    async def resolver(self) -> TrustChainResolver:
        """The chain resolver (renewed every ``provider_cache_seconds``, at least 10 s)."""
        now = self.clock()
        if self._resolver is None or now - self._resolver_made >= max(self.config.provider_cache_seconds, 10):
            anchors = await self.anchors()
            if not anchors:
                raise _refuse("any provider", "no trust anchor is reachable", "trust_anchor")
            self._resolver = TrustChainResolver(self.fetcher, list(anchors.values()), clock=self.clock)
            self._resolver_made = now
        return self._resolver

    # -- listing -------------------------------------------------------------------------------------
    async def _list(self, entity_id: str, params: Mapping[str, str]) -> list[str]:
        resolver = await self.resolver()
        chain = await resolver.resolve(entity_id)
        endpoint = (chain.leaf.metadata or {}).get("federation_entity", {}).get("federation_list_endpoint")
        if not isinstance(endpoint, str):
            return []
        found = await self.fetcher.get_json(endpoint, params=dict(params))
        return [e for e in found if isinstance(e, str)] if isinstance(found, list) else []

    async def candidates(self) -> list[str]:
        """Entity IDs of the federation's OpenID providers, from the list endpoints (§8.2)."""
        now = self.clock()
        if self._listed is not None and now < self._listed[0]:
            return self._listed[1]
        found: list[str] = []
        for anchor in await self.anchors():
            try:
                found += await self._list(anchor, {"entity_type": OP_TYPE})
                for intermediate in (await self._list(anchor, {"intermediate": "true"}))[:MAX_INTERMEDIATES]:
                    found += await self._list(intermediate, {"entity_type": OP_TYPE})
            except FederationError as exc:
                log.warning("listing the providers under %s failed: %s", anchor, exc.description)
        unique = list(dict.fromkeys(found))[:MAX_CANDIDATES]
        self._listed = (now + max(self.config.provider_cache_seconds, 10), unique)
        return unique

    async def available(self, level: LevelOfConfidence) -> tuple[list[Provider], list[LoginError]]:
        """The providers that may serve a service needing ``level``, and why each other was left out."""
        usable: list[Provider] = []
        refused: list[LoginError] = []
        issuers = [*await self.candidates(), *(s.issuer for s in self.config.static_providers)]
        for issuer in dict.fromkeys(issuers):
            try:
                usable.append(await self.provider(issuer, level=level))
            except LoginError as exc:
                refused.append(exc)
        return usable, refused

    # -- one provider --------------------------------------------------------------------------------
    async def provider(self, issuer: str, *, level: LevelOfConfidence | None = None) -> Provider:
        """The provider ``issuer``, verified; with ``level``, certified for it. :class:`LoginError`
        (``untrusted_provider``) saying why not."""
        now = self.clock()
        cached = self._providers.get(issuer)
        if cached is None or cached.expires_at <= now:
            static = next((s for s in self.config.static_providers if s.issuer == issuer), None)
            cached = await (self._static(static) if static else self._federation(issuer))
            self._providers[issuer] = cached
        if level is not None and not cached.covers(level):
            levels = ", ".join(sorted(lv.value for lv in cached.levels)) or "none"
            raise _refuse(
                issuer,
                f"it is not certified for {level.value} confidence (certified: {levels})",
                "certification",
            )
        return cached

    def forget(self, issuer: str) -> None:
        """Drop a cached provider and its keys (its chain or keys changed)."""
        self._providers.pop(issuer, None)
        self._keys.pop(issuer, None)

    def _until(self, *expiries: int | None) -> float:
        limit = self.clock() + self.config.provider_cache_seconds
        return min([limit, *(e for e in expiries if e is not None)])

    async def _chain(self, issuer: str) -> tuple[TrustChain, list[dict[str, object]]]:
        resolver = await self.resolver()
        errors: list[str] = []
        for anchor_id, anchor in resolver.anchors.items():
            try:
                anchor_chain = await resolver.resolve(anchor_id, trust_anchor=anchor_id)
                entity = (anchor_chain.leaf.metadata or {}).get("federation_entity", {})
                endpoint = entity.get("federation_resolve_endpoint")
                if not isinstance(endpoint, str):
                    chain = await resolver.resolve(issuer, entity_types=[OP_TYPE], trust_anchor=anchor_id)
                    return chain, [dict(m) for m in chain.leaf.trust_marks or ()]
                token = await self.fetcher.get_jwt(
                    endpoint,
                    media_type=RESOLVE_RESPONSE_MEDIA_TYPE,
                    params={"sub": issuer, "trust_anchor": anchor_id, "entity_type": OP_TYPE},
                )
                return verify_resolve_response(
                    token,
                    anchor,
                    subject=issuer,
                    now=self.clock(),
                    entity_types=[OP_TYPE],
                    leeway=self.config.leeway,
                )
            except FederationError as exc:
                errors.append(exc.description)
        raise InvalidTrustChain("; ".join(errors) or "no trust anchor", check=Check.TRUST_ANCHOR)

    async def _federation(self, issuer: str) -> Provider:
        try:
            chain, marks = await self._chain(issuer)
        except FederationError as exc:
            expired = exc.check is Check.EXP or "expired" in exc.description
            reason = (
                "its trust chain has expired"
                if expired
                else "it is not in the federation, or its trust chain does not verify"
            )
            raise _refuse(issuer, f"{reason} ({exc.description})", "trust_chain") from exc
        metadata = chain.metadata.get(OP_TYPE)
        if not metadata:
            raise _refuse(issuer, "it has no openid_provider metadata", "metadata")
        if metadata.get("issuer") != issuer:
            raise _refuse(issuer, f"its metadata names issuer {metadata.get('issuer')!r}", "metadata")
        record, mark_exp = await self._certification(chain, marks)
        name = (chain.leaf.metadata or {}).get("federation_entity", {}).get("organization_name") or issuer
        return Provider(
            issuer=issuer,
            name=str(name),
            kind="federation",
            metadata=dict(metadata),
            levels=frozenset(record.levels_of_confidence),
            expires_at=self._until(chain.exp, mark_exp),
            chain=chain,
            certification=record,
        )

    async def _certification(
        self, chain: TrustChain, marks: list[dict[str, object]]
    ) -> tuple[CertificationRecord, int | None]:
        wanted = expand_trust_mark_type(chain.trust_anchor, self.config.certification_mark)
        issuer = chain.subject
        tokens = [m.get("trust_mark") for m in marks if m.get("trust_mark_type") == wanted]
        if not tokens:
            raise _refuse(issuer, "it does not hold the federation's certification trust mark", "trust_mark")
        resolver = await self.resolver()
        problems: list[str] = []
        for token in tokens[:3]:
            if not isinstance(token, str):
                continue
            try:
                mark = await verify_in_federation(
                    token,
                    resolver,
                    self.fetcher,
                    trust_anchor=chain.trust_anchor,
                    subject=issuer,
                    trust_mark_type=wanted,
                )
                claims = CertifiedIdspTrustMark.model_validate(mark.model_dump(exclude_none=True))
            except FederationError as exc:
                problems.append(exc.description)
                continue
            except ValidationError as exc:
                problems.append(f"its certification record is malformed ({exc.errors()[0]['msg']})")
                continue
            record = claims.certification
            today = datetime.fromtimestamp(self.clock(), UTC).date()
            if not record.is_valid_on(today):
                problems.append(
                    f"its certificate {record.certificate_id} is {record.status.value}, valid "
                    f"{record.valid_from.isoformat()} to {record.valid_until.isoformat()}"
                )
                continue
            return record, mark.exp
        raise _refuse(
            issuer, "its certification trust mark is not valid: " + "; ".join(problems), "trust_mark"
        )

    async def _static(self, static: StaticProvider) -> Provider:
        try:
            metadata = await self.fetcher.get_json(static.discovery_url)
        except FederationError as exc:
            raise _refuse(
                static.issuer, f"its discovery document cannot be read ({exc.description})", "discovery"
            ) from exc
        if not isinstance(metadata, dict) or metadata.get("issuer") != static.issuer:
            found = metadata.get("issuer") if isinstance(metadata, dict) else None
            raise _refuse(
                static.issuer, f"its discovery document names issuer {found!r} (Discovery §4.3)", "discovery"
            )
        return Provider(
            issuer=static.issuer,
            name=static.name,
            kind="static",
            metadata=metadata,
            levels=static.levels,
            expires_at=self._until(),
            static=static,
        )

    # -- keys and trustmarks ---------------------------------------------------------------------------
    async def keys(self, provider: Provider, *, refresh: bool = False, kid: str | None = None) -> KeySet:
        """The provider's ID token keys (its metadata's ``jwks``, ``signed_jwks_uri`` checked with its
        federation keys (OpenID Federation 1.0 §5.2.1), or ``jwks_uri``), cached with the provider.

        ``refresh`` fetches them again (a ``kid`` not known: rotation, OpenID Connect Core §10.1.1):
        at once for a ``kid`` not tried in the last 30 s, else at most every 30 s, so a rotation is
        followed at the first token it signs and a provider repeating one unknown ``kid`` costs one
        fetch per 30 s."""
        now = self.clock()
        cached = self._keys.get(provider.issuer)
        if refresh and kid is not None:
            refresh = self._new_kid(provider.issuer, kid, now) or (
                cached is not None and now - cached[0] >= KEY_REFRESH_SECONDS
            )
        elif refresh and cached is not None:
            refresh = now - cached[0] >= KEY_REFRESH_SECONDS
        if cached is not None and not refresh and now < provider.expires_at:
            return cached[1]
        metadata = provider.metadata
        try:
            if isinstance(metadata.get("jwks"), dict):
                keys = key_set(metadata["jwks"])
            elif isinstance(metadata.get("signed_jwks_uri"), str) and provider.chain is not None:
                token = await self.fetcher.get_jwt(metadata["signed_jwks_uri"], media_type=JWK_SET_MEDIA_TYPE)
                keys = verify_signed_jwk_set(token, provider.chain.leaf.keys(), provider.issuer, now=now)
            else:
                found = await self.fetcher.get_json(provider.endpoint("jwks_uri"))
                keys = key_set(found if isinstance(found, dict) else {})
        except FederationError as exc:
            raise _refuse(provider.issuer, f"its keys cannot be read ({exc.description})", "jwks") from exc
        except (ValueError, TypeError) as exc:
            raise _refuse(
                provider.issuer, f"its keys cannot be used ({str(exc).splitlines()[0][:200]})", "jwks"
            ) from exc
        self._keys[provider.issuer] = (now, keys)
        return keys

    def _new_kid(self, issuer: str, kid: str, now: float) -> bool:
        """Whether ``kid`` has not made ``issuer``'s keys be fetched in the last 30 s (and note it)."""
        tried = self._kids_tried
        if len(tried) > _KIDS_TRIED:
            for old in [k for k, at in tried.items() if now - at >= KEY_REFRESH_SECONDS]:
                del tried[old]
        last = tried.get((issuer, kid))
        if last is not None and now - last < KEY_REFRESH_SECONDS:
            return False
        if len(tried) > _KIDS_TRIED:  # many new kids lately: only the 30 s rule applies
            return False
        tried[(issuer, kid)] = now
        return True

    async def trustmark(self, provider: Provider, vtm: str) -> Trustmark:
        """The Vectors of Trust trustmark ``vtm`` (RFC 8485 §5) if this RP trusts it for ``provider``;
        ``ValueError`` saying why not.

        Trusted: for a federation provider, the ``trustmarks`` URL of its resolved metadata, whose
        document is about this issuer and provided by the provider's trust anchor; for a static
        provider, a configured ``trustmarks`` URL whose document is about this issuer."""
        if provider.static is not None:
            if vtm not in provider.static.trustmarks:
                raise ValueError(f"vtm {vtm!r} is not a trustmark configured for {provider.issuer}")
        elif vtm != provider.metadata.get("trustmarks"):
            raise ValueError(
                f"vtm {vtm!r} is not the trustmark {provider.issuer} publishes in the federation"
            )
        now = self.clock()
        cached = self._trustmarks.get(vtm)
        if cached is None or cached[0] <= now:
            try:
                document = Trustmark.model_validate(await self.fetcher.get_json(vtm))
            except FederationError as exc:
                raise ValueError(f"the trustmark {vtm} cannot be read ({exc.description})") from exc
            except ValidationError as exc:
                raise ValueError(f"the trustmark {vtm} is malformed ({exc.errors()[0]['msg']})") from exc
            cached = (min(provider.expires_at, now + self.config.provider_cache_seconds), document)
            self._trustmarks[vtm] = cached
        document = cached[1]
        if document.idp != provider.issuer:
            raise ValueError(f"the trustmark {vtm} is about {document.idp}, not {provider.issuer}")
        if provider.trust_anchor is not None and document.trustmark_provider != provider.trust_anchor:
            raise ValueError(
                f"the trustmark {vtm} is provided by {document.trustmark_provider}, not the trust anchor "
                f"{provider.trust_anchor}"
            )
        return document
