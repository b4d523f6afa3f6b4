"""The relying party's configuration, built from settings (or by an app that embeds the library).

Paths: the library's routes live under ``{entity_id}{auth_path}`` (default ``/auth``); the redirect
URI is ``{entity_id}{auth_path}/callback`` and is registered in the RP's entity configuration
(OpenID Federation 1.0 §5.1.2, §12.1: no registration at the provider).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from relying_party.core.policy import ServicePolicy, claim_purposes
from schemas.gpg45 import LevelOfConfidence

__all__ = ["AnchorPin", "RpConfig", "StaticProvider"]


@dataclass(frozen=True)
class AnchorPin:
    """A trust anchor and its pinned federation keys (``None``: trusted on first use, ``dev`` only)."""

    entity_id: str
    jwks: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class StaticProvider:
    """An identity provider outside the federation, configured by hand: discovery URL and client
    credentials, as a council has them today (e.g. GOV.UK One Login).

    ``levels`` are the levels of confidence the service trusts it for (there is no certification
    trust mark to read them from); ``trustmarks`` the ``vtm`` URLs accepted from it (RFC 8485 §5).
    """

    issuer: str
    name: str
    discovery_url: str
    client_id: str
    levels: frozenset[LevelOfConfidence]
    auth_method: Literal["private_key_jwt", "client_secret_basic"] = "private_key_jwt"
    client_secret: str | None = field(default=None, repr=False)
    trustmarks: tuple[str, ...] = ()


@dataclass(frozen=True)
class RpConfig:
    """Everything the relying party needs to know about itself and whom it trusts."""

    entity_id: str
    organization_name: str
    client_name: str
    policies: Mapping[str, ServicePolicy]
    trust_anchors: tuple[AnchorPin, ...] = ()
    authority_hints: tuple[str, ...] = ()
    #: Trust marks this RP holds and publishes (kind names such as ``council``, or type URLs).
    trust_mark_types: tuple[str, ...] = ()
    static_providers: tuple[StaticProvider, ...] = ()
    #: The trust mark kind (or type URL) that certifies an identity provider.
    certification_mark: str = "certified_identity_service_provider"
    development: bool = False
    auth_path: str = "/auth"
    #: Seconds a citizen has to come back from the provider (the pending login's life).
    login_lifetime: int = 900
    #: Seconds a signed-in session at the service lasts.
    session_lifetime: int = 3600
    #: Lifetime of the signed entity configuration.
    statement_lifetime: int = 86400
    #: Seconds of clock skew allowed on ``exp`` and ``iat``.
    leeway: int = 60
    #: Seconds a resolved provider (and its keys and trustmark) is kept, never past its chain's ``exp``.
    provider_cache_seconds: int = 300
    #: Cookies carry ``Secure`` (always outside ``dev``).
    secure_cookies: bool = True
    homepage_uri: str | None = None

    def __post_init__(self) -> None:
        if not self.policies:
            raise ValueError("a relying party needs at least one service policy")
        if not self.auth_path.startswith("/") or self.auth_path.endswith("/"):
            raise ValueError("auth_path must start with '/' and not end with one")

    @property
    def path_prefix(self) -> str:
        """The path of the entity ID (``""`` at the root): every route lives under it."""
        return urlsplit(self.entity_id).path.rstrip("/")

    @property
    def redirect_uri(self) -> str:
        """The one redirect URI (Core §3.1.2.1: exact match at the provider)."""
        return f"{self.entity_id}{self.auth_path}/callback"

    @property
    def client_id(self) -> str:
        """The client ID at federation providers: the entity ID (OpenID Federation 1.0 §12.1)."""
        return self.entity_id

    def policy(self, name: str) -> ServicePolicy | None:
        """The service policy called ``name``."""
        return self.policies.get(name)

    def claim_purposes(self) -> dict[str, str]:
        """The ``claim_purposes`` metadata: why each claim is asked for."""
        return claim_purposes(self.policies.values())
