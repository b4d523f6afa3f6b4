"""The provider as a federation entity: its entity configuration (OpenID Federation 1.0 §3.1, §9)
and the trust marks it holds (§7).

The entity configuration carries the federation keys, ``authority_hints``, the ``openid_provider``
metadata (the discovery document plus ``client_registration_types_supported`` and the
``federation_registration_endpoint``, §5.1.3, §12), ``federation_entity`` metadata and the held
trust marks. It is signed once and served from memory until half its lifetime has passed, the
signing key changed or the held marks changed.

Held trust marks (:class:`federation.held_marks.HeldMarks`): for each configured type (a kind name such as
``certified_identity_service_provider``, expanded under each trust anchor, or a full type URL) the
provider finds the issuers the anchor lists in ``trust_mark_issuers``, reads each issuer's
``federation_trust_mark_endpoint`` from its resolved chain, fetches the mark about itself (§8.6),
verifies it (§7.3) and keeps it in the store. This happens lazily when the entity configuration is
asked for: at first, then when a mark is older than an hour or expires within the hour; a configured
type not yet held is tried again 2 s after a failure, doubling up to a minute. A failure keeps the
marks already held and logs one warning; it never fails the entity configuration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from federation.held_marks import HeldMark, HeldMarks, trust_marks_claim, wanted_types
from federation.jose import JwtType
from federation.keys import KeyStore
from federation.statements import build_entity_configuration
from idp.core.config import IdpConfig
from idp.core.federation import RelyingParties
from idp.store.clients import RegistrationStore

__all__ = ["FederationEntity", "openid_provider_metadata"]

log = logging.getLogger("idp.entity")


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
        self.marks = (
            HeldMarks(
                config.issuer,
                self.wanted_types,
                store,
                relying_parties.resolver,
                relying_parties.fetcher,
                clock=clock,
                log=log,
            )
            if relying_parties is not None
            else None
        )
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
        marks = trust_marks_claim(await self.held_marks(), now=now)
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
        return wanted_types(self.config.trust_mark_types, (a.entity_id for a in self.config.trust_anchors))

    async def held_marks(self) -> list[HeldMark]:
        """The trust marks held now, fetched again first when that is due."""
        if self.marks is None:
            return self.store.held_marks()
        return await self.marks.held()

    async def refresh(self) -> list[str]:
        """Fetch every wanted trust mark; keep the ones held when that fails. Returns the failures."""
        if self.marks is None:
            return ["no trust anchor is configured"]
        return await self.marks.refresh()
