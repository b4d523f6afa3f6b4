"""The identity provider's configuration as the core sees it: plain values, derived once from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Endpoints", "IdpConfig", "PinnedAnchor"]


@dataclass(frozen=True)
class Endpoints:
    """The provider's endpoint URLs (OpenID Connect Discovery 1.0 §3, RFC 9126, RFC 7009,
    OpenID Federation 1.0 §5.1.3), all under the issuer's path."""

    issuer: str

    def _at(self, path: str) -> str:
        return f"{self.issuer.rstrip('/')}{path}"

    @property
    def authorization(self) -> str:
        """Authorization endpoint (OpenID Connect Core §3.1.2)."""
        return self._at("/authorize")

    @property
    def pushed_authorization_request(self) -> str:
        """Pushed authorization request endpoint (RFC 9126 §2)."""
        return self._at("/par")

    @property
    def token(self) -> str:
        """Token endpoint (OpenID Connect Core §3.1.3)."""
        return self._at("/token")

    @property
    def userinfo(self) -> str:
        """UserInfo endpoint (OpenID Connect Core §5.3)."""
        return self._at("/userinfo")

    @property
    def jwks(self) -> str:
        """The ID token signing keys (``jwks_uri``)."""
        return self._at("/jwks")

    @property
    def end_session(self) -> str:
        """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2)."""
        return self._at("/logout")

    @property
    def revocation(self) -> str:
        """Token revocation (RFC 7009 §2)."""
        return self._at("/revoke")

    @property
    def federation_registration(self) -> str:
        """Explicit registration (OpenID Federation 1.0 §12.2)."""
        return self._at("/federation/register")

    @property
    def trustmark(self) -> str:
        """The Vectors of Trust trustmark document (``vtm``, RFC 8485 §5)."""
        return self._at("/trustmark")

    @property
    def discovery(self) -> str:
        """OpenID Provider metadata (OpenID Connect Discovery 1.0 §4)."""
        return self._at("/.well-known/openid-configuration")

    @property
    def entity_configuration(self) -> str:
        """The entity configuration (OpenID Federation 1.0 §9)."""
        return self._at("/.well-known/openid-federation")


@dataclass(frozen=True)
class PinnedAnchor:
    """A trust anchor to resolve relying parties to; ``jwks`` None: from its configuration (dev)."""

    entity_id: str
    jwks: dict[str, Any] | None


@dataclass(frozen=True)
class IdpConfig:
    """Everything the provider's core needs to know about itself."""

    issuer: str
    organization_name: str
    development: bool
    authority_hints: tuple[str, ...] = ()
    trust_anchors: tuple[PinnedAnchor, ...] = ()
    trust_mark_types: tuple[str, ...] = ()
    #: A federation RP must hold one of these trust marks (kind names or type URLs); empty: none.
    required_rp_trust_marks: tuple[str, ...] = ("council", "nhs_organisation")
    id_token_algorithms: tuple[str, ...] = ("ES256",)
    client_assertion_algorithms: tuple[str, ...] = ("ES256",)
    code_lifetime: int = 60
    access_token_lifetime: int = 600
    refresh_token_lifetime: int = 30 * 86400
    id_token_lifetime: int = 300
    par_lifetime: int = 90
    session_lifetime: int = 8 * 3600
    interaction_lifetime: int = 1800
    client_cache_seconds: int = 300
    statement_lifetime: int = 86400
    pairwise_salt: bytes = field(default=b"", repr=False)

    @property
    def endpoints(self) -> Endpoints:
        """This provider's endpoint URLs."""
        return Endpoints(self.issuer)

    @property
    def path_prefix(self) -> str:
        """The URL path of the issuer: every route is under it."""
        rest = self.issuer.split("://", 1)[1]
        return "/" + rest.split("/", 1)[1].rstrip("/") if "/" in rest else ""
