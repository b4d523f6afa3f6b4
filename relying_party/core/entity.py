"""The relying party as a federation entity (OpenID Federation 1.0 §3.1, §5.1.2, §9).

Its entity configuration carries its federation keys, ``authority_hints`` (its superior: the trust
anchor for a council, the health intermediate for a GP practice), the trust marks it holds
(fetched from their issuers by ``federation.held_marks.HeldMarks``) and its metadata:

- ``openid_relying_party``: ``client_registration_types: ["automatic"]`` (§12.1: no registration at
  any provider), the one redirect URI, ``private_key_jwt`` with its protocol keys by value (separate
  from its federation keys, §5.2.1), ``ES256`` ID tokens, the code flow only, and
  ``claim_purposes`` (this federation's extension: why each claim is asked for);
- ``federation_entity``: organisation name and home page.

It is signed once and served from memory until half its lifetime has passed or what it says changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from federation.errors import Check, InvalidTrustChain
from federation.held_marks import HeldMarks, MemoryMarkStore, wanted_types
from federation.http import FederationFetcher
from federation.jose import JwtType
from federation.keys import KeyStore
from federation.resolver import TrustChainResolver
from federation.statements import build_entity_configuration
from relying_party.core.config import RpConfig
from relying_party.core.errors import LoginError
from relying_party.core.providers import ProviderDirectory

__all__ = ["RpEntity", "relying_party_metadata"]


def relying_party_metadata(
    config: RpConfig, protocol_jwks: dict[str, Any], alg: str = "ES256"
) -> dict[str, Any]:
    """The ``openid_relying_party`` metadata (§5.1.2, §12.1)."""
    return {
        "client_name": config.client_name,
        "client_registration_types": ["automatic"],
        "redirect_uris": [config.redirect_uri],
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
        "scope": "openid",
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": alg,
        "id_token_signed_response_alg": "ES256",
        "jwks": protocol_jwks,
        "claim_purposes": config.claim_purposes(),
    }


class RpEntity:
    """The signed entity configuration and the held trust marks."""

    def __init__(
        self,
        config: RpConfig,
        federation_keys: KeyStore,
        protocol_jwks: dict[str, Any],
        directory: ProviderDirectory,
        fetcher: FederationFetcher,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.keys = federation_keys
        self.protocol_jwks = protocol_jwks
        self.directory = directory
        self.clock = clock
        anchors = [pin.entity_id for pin in config.trust_anchors]
        self.marks = HeldMarks(
            config.entity_id,
            lambda: wanted_types(config.trust_mark_types, anchors),
            MemoryMarkStore(clock=clock),
            self._resolver,
            fetcher,
            clock=clock,
        )
        self._signed: tuple[str, int, tuple[Any, ...]] | None = None

    async def _resolver(self) -> TrustChainResolver:
        try:
            return await self.directory.resolver()
        except LoginError as exc:
            raise InvalidTrustChain(exc.description, check=Check.TRUST_ANCHOR) from exc

    def metadata(self) -> dict[str, dict[str, Any]]:
        """The entity configuration's ``metadata`` (§5)."""
        entity: dict[str, Any] = {"organization_name": self.config.organization_name}
        if self.config.homepage_uri:
            entity["homepage_uri"] = self.config.homepage_uri
        return {
            "federation_entity": entity,
            "openid_relying_party": relying_party_metadata(self.config, self.protocol_jwks),
        }

    async def configuration(self) -> str:
        """The signed entity configuration (``entity-statement+jwt``)."""
        now = int(self.clock())
        marks = await self.marks.trust_marks_claim() if self.config.trust_mark_types else []
        jwks = self.keys.public_jwks()
        fingerprint = (
            self.keys.signing_key().kid,
            tuple(k["kid"] for k in jwks["keys"]),
            tuple((m["trust_mark_type"], m["trust_mark"]) for m in marks),
        )
        lifetime = self.config.statement_lifetime
        if (
            self._signed is not None
            and self._signed[2] == fingerprint
            and now < self._signed[1] + lifetime // 2
        ):
            return self._signed[0]
        statement = build_entity_configuration(
            self.config.entity_id,
            jwks,
            iat=now,
            lifetime=lifetime,
            metadata=self.metadata(),
            authority_hints=list(self.config.authority_hints) or None,
            trust_marks=marks or None,
        )
        token = self.keys.sign(statement.to_claims(), JwtType.ENTITY_STATEMENT)
        self._signed = (token, now, fingerprint)
        return token
