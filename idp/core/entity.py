"""The provider as a federation entity: its entity configuration (OpenID Federation 1.0 §3.1, §9)
and the trust marks it holds (§7).

The entity configuration carries the federation keys, ``authority_hints``, the ``openid_provider``
metadata (the discovery document plus ``client_registration_types_supported`` and the
``federation_registration_endpoint``, §5.1.3, §12), ``federation_entity`` metadata and the held
trust marks. It is signed once and served from memory until half its lifetime has passed, the
signing key changed or the held marks changed.

Held trust marks: for each configured type (a kind name such as
``certified_identity_service_provider``, expanded under each trust anchor, or a full type URL) the
provider finds the issuers the anchor lists in ``trust_mark_issuers``, reads each issuer's
``federation_trust_mark_endpoint`` from its resolved chain, fetches the mark about itself (§8.6),
verifies it (§7.3) and keeps it in the store. This happens lazily when the entity configuration is
asked for: at first, then when a mark is older than an hour or expires within the hour, and a
configured type not yet held is tried again a minute after a failure. A failure keeps the marks
already held and logs one warning; it never fails the entity configuration.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from federation.errors import Check, FederationError, InvalidTrustMark
from federation.http import TRUST_MARK_MEDIA_TYPE
from federation.jose import JwtType
from federation.keys import KeyStore
from federation.resolver import TrustChainResolver
from federation.statements import build_entity_configuration
from federation.trust_marks import TrustMark, verify_trust_mark
from idp.core.config import IdpConfig
from idp.core.federation import RelyingParties, type_of
from idp.store.clients import HeldMark, RegistrationStore

__all__ = ["FederationEntity", "openid_provider_metadata"]

log = logging.getLogger("idp.entity")

#: A held mark is fetched again when older than this, or when it expires within this.
REFRESH_SECONDS = 3600
#: Seconds between two attempts to fetch marks (after a failure, or while one expires soon).
RETRY_SECONDS = 60
#: Seconds the held marks read from the store are used before reading them again (other workers).
RELOAD_SECONDS = 60
MAX_ISSUERS = 5


def openid_provider_metadata(config: IdpConfig, provider_metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The ``openid_provider`` metadata (§5.1.3): discovery plus the registration types (§12)."""
    return {
        **provider_metadata,
        "client_registration_types_supported": ["automatic", "explicit"],
        "federation_registration_endpoint": config.endpoints.federation_registration,
    }


@dataclass(frozen=True)
class _Signed:
    jwt: str
    iat: int
    fingerprint: tuple[Any, ...]


class FederationEntity:
    """The signed entity configuration and the held trust marks."""

    def __init__(
        self,
        config: IdpConfig,
        keys: KeyStore,
        store: RegistrationStore,
        relying_parties: RelyingParties | None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.keys = keys
        self.store = store
        self.relying_parties = relying_parties
        self.clock = clock
        self._marks: list[HeldMark] = []
        self._loaded_at: int | None = None
        self._next_attempt = 0
        self._lock = asyncio.Lock()
        self._signed: _Signed | None = None

    def now(self) -> int:
        """The clock, in whole seconds."""
        return int(self.clock())

    # -- entity configuration ----------------------------------------------------------------------
    def metadata(self, provider_metadata: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """The entity configuration's ``metadata`` (§5)."""
        return {
            "federation_entity": {"organization_name": self.config.organization_name},
            "openid_provider": openid_provider_metadata(self.config, provider_metadata),
        }

    async def configuration(self, provider_metadata: Mapping[str, Any]) -> str:
        """The signed entity configuration (``entity-statement+jwt``)."""
        now = self.now()
        marks = [
            {"trust_mark_type": m.trust_mark_type, "trust_mark": m.trust_mark}
            for m in await self.held_marks()
            if m.expires_at is None or m.expires_at > now
        ]
        jwks = self.keys.public_jwks()
        fingerprint = (
            self.keys.signing_key().kid,
            tuple(k["kid"] for k in jwks["keys"]),
            tuple((m["trust_mark_type"], m["trust_mark"]) for m in marks),
        )
        signed = self._signed
        lifetime = self.config.statement_lifetime
        if signed is not None and signed.fingerprint == fingerprint and now < signed.iat + lifetime // 2:
            return signed.jwt
        statement = build_entity_configuration(
            self.config.issuer,
            jwks,
            iat=now,
            lifetime=lifetime,
            metadata=self.metadata(provider_metadata),
            authority_hints=list(self.config.authority_hints) or None,
            trust_marks=marks or None,
        )
        token = self.keys.sign(statement.to_claims(), JwtType.ENTITY_STATEMENT)
        self._signed = _Signed(token, now, fingerprint)
        return token

    # -- held trust marks --------------------------------------------------------------------------
    def wanted_types(self) -> list[str]:
        """The trust mark types this provider should hold (kind names expanded under each anchor)."""
        wanted: list[str] = []
        for name in self.config.trust_mark_types:
            for anchor in self.config.trust_anchors:
                found = type_of(anchor.entity_id, name)
                if found not in wanted:
                    wanted.append(found)
        return wanted

    def _due(self, now: int) -> bool:
        if self.relying_parties is None or not self.config.trust_mark_types or now < self._next_attempt:
            return False
        held = {m.trust_mark_type: m for m in self._marks}
        for wanted in self.wanted_types():
            mark = held.get(wanted)
            if mark is None or mark.fetched_at + REFRESH_SECONDS <= now:
                return True
            if mark.expires_at is not None and mark.expires_at - REFRESH_SECONDS <= now:
                return True
        return False

    async def held_marks(self) -> list[HeldMark]:
        """The trust marks held now, fetched again first when that is due."""
        now = self.now()
        if self._loaded_at is None or now - self._loaded_at >= RELOAD_SECONDS:
            self._marks = self.store.held_marks()
            self._loaded_at = now
        if self._due(now):
            if self._lock.locked() and self._marks:
                return self._marks  # another request is refreshing: serve what is held meanwhile
            async with self._lock:
                if self._due(self.now()):
                    await self.refresh()
        return self._marks

    async def refresh(self) -> list[str]:
        """Fetch every wanted trust mark; keep the ones held when that fails. Returns the failures."""
        assert self.relying_parties is not None
        failures: list[str] = []
        try:
            resolver = await self.relying_parties.resolver()
        except FederationError as exc:
            failures.append(exc.description)
        else:
            for wanted in self.wanted_types():
                try:
                    token, issuer, mark = await self._fetch(resolver, wanted)
                except FederationError as exc:
                    failures.append(f"{wanted}: {exc.description}")
                    continue
                self.store.hold_mark(wanted, issuer=issuer, trust_mark=token, expires_at=mark.exp)
        self._marks = self.store.held_marks()
        self._loaded_at = self.now()
        self._next_attempt = self.now() + RETRY_SECONDS
        if failures:
            log.warning(
                "could not fetch every trust mark of %s (keeping the %d held): %s",
                self.config.issuer,
                len(self._marks),
                "; ".join(failures),
            )
        return failures

    async def _fetch(self, resolver: TrustChainResolver, wanted: str) -> tuple[str, str, TrustMark]:
        """The trust mark of type ``wanted`` about this provider, from an issuer an anchor lists."""
        assert self.relying_parties is not None
        errors: list[str] = []
        for anchor in resolver.anchors:
            anchor_ec = (await resolver.resolve(anchor, trust_anchor=anchor)).anchor_configuration
            issuers = (anchor_ec.trust_mark_issuers or {}).get(wanted)
            if issuers is None and wanted not in (anchor_ec.trust_mark_owners or {}):
                continue
            for issuer in (issuers or [anchor])[:MAX_ISSUERS]:
                try:
                    issuer_chain = await resolver.resolve(issuer, trust_anchor=anchor)
                    entity = (issuer_chain.leaf.metadata or {}).get("federation_entity", {})
                    endpoint = entity.get("federation_trust_mark_endpoint")
                    if not isinstance(endpoint, str) or not endpoint:
                        raise InvalidTrustMark(
                            f"{issuer} publishes no federation_trust_mark_endpoint",
                            check=Check.FETCH_ENDPOINT,
                        )
                    token = await self.relying_parties.fetcher.get_jwt(
                        endpoint,
                        media_type=TRUST_MARK_MEDIA_TYPE,
                        params={"trust_mark_type": wanted, "sub": self.config.issuer},
                    )
                    mark = verify_trust_mark(
                        token,
                        anchor=anchor_ec,
                        issuer_keys=issuer_chain.leaf.keys(),
                        now=resolver.now(),
                        subject=self.config.issuer,
                        trust_mark_type=wanted,
                        policy=resolver.algorithms,
                        leeway=resolver.limits.leeway,
                    )
                except FederationError as exc:
                    errors.append(f"from {issuer}: {exc.description}")
                    continue
                return token, issuer, mark
        if not errors:
            errors.append("no trust anchor of this provider lists issuers of this type")
        raise InvalidTrustMark("; ".join(errors), check=Check.TRUST_MARK_ISSUER)
