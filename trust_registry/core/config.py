"""The registry's configuration as the core sees it: plain values, derived once from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from federation.service.settings import read_jwks
from schemas.records import TrustMarkKind, trust_mark_type
from trust_registry.core.profile import profile_policy, resolve_type
from trust_registry.settings import RegistrySettings, Role

__all__ = ["Endpoints", "PinnedAnchor", "RegistryConfig"]


@dataclass(frozen=True)
class Endpoints:
    """The federation endpoints of a registry (OpenID Federation 1.0 §5.1.1, §8)."""

    fetch: str
    list: str
    resolve: str
    trust_mark_status: str
    trust_mark_list: str
    trust_mark: str
    historical_keys: str

    @classmethod
    def under(cls, entity_id: str) -> Endpoints:
        """The endpoints at their paths under ``entity_id``."""
        base = entity_id.rstrip("/")
        return cls(
            fetch=f"{base}/fetch",
            list=f"{base}/list",
            resolve=f"{base}/resolve",
            trust_mark_status=f"{base}/trust-mark-status",
            trust_mark_list=f"{base}/trust-mark-list",
            trust_mark=f"{base}/trust-mark",
            historical_keys=f"{base}/historical-keys",
        )

    def metadata(self) -> dict[str, str]:
        """The ``federation_entity`` metadata parameters naming each endpoint."""
        return {
            "federation_fetch_endpoint": self.fetch,
            "federation_list_endpoint": self.list,
            "federation_resolve_endpoint": self.resolve,
            "federation_trust_mark_status_endpoint": self.trust_mark_status,
            "federation_trust_mark_list_endpoint": self.trust_mark_list,
            "federation_trust_mark_endpoint": self.trust_mark,
            "federation_historical_keys_endpoint": self.historical_keys,
        }


@dataclass(frozen=True)
class PinnedAnchor:
    """A trust anchor to resolve to; ``jwks`` None means: take its keys from its configuration (dev)."""

    entity_id: str
    jwks: dict[str, Any] | None


@dataclass(frozen=True)
class RegistryConfig:
    """Everything the registry core needs to know about itself."""

    entity_id: str
    role: Role
    organization_name: str
    development: bool
    authority_hints: tuple[str, ...] = ()
    trust_anchors: tuple[PinnedAnchor, ...] = ()
    #: The anchor under whose entity ID this federation's trust mark types are named.
    type_base: str = ""
    #: Types this registry issues (full type URLs).
    issued_types: tuple[str, ...] = ()
    #: Anchor only: published ``trust_mark_issuers`` (type URL to issuers).
    trust_mark_issuers: dict[str, list[str]] = field(default_factory=dict)
    #: Anchor only: types it owns and delegates (published in ``trust_mark_owners``).
    owned_types: tuple[str, ...] = ()
    statement_lifetime: int = 86400
    trust_mark_lifetime: int = 365 * 86400
    resolve_cache_seconds: int = 60
    statement_cache_seconds: int = 5
    protocol_algorithms: tuple[str, ...] = ("ES256", "PS256", "RS256")
    policy: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def endpoints(self) -> Endpoints:
        """This registry's endpoint URLs."""
        return Endpoints.under(self.entity_id)

    @property
    def is_anchor(self) -> bool:
        """True for a trust anchor."""
        return self.role is Role.ANCHOR

    @classmethod
    def from_settings(cls, settings: RegistrySettings) -> RegistryConfig:
        """The configuration a registry runs with, from its settings (type names expanded to URLs)."""
        anchor = settings.role is Role.ANCHOR
        type_base = settings.entity_id if anchor else settings.trust_anchors[0].entity_id
        if settings.issued_trust_mark_types is not None:
            kinds = settings.issued_trust_mark_types
        elif anchor:
            kinds = [TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER, TrustMarkKind.COUNCIL]
        else:
            kinds = [TrustMarkKind.NHS_ORGANISATION]
        issuers: dict[str, list[str]] = {}
        if anchor:
            configured = {resolve_type(type_base, k): v for k, v in settings.trust_mark_issuers.items()}
            for kind in TrustMarkKind:
                url = trust_mark_type(type_base, kind)
                issuers[url] = configured.pop(url, [settings.entity_id])
            issuers.update(configured)
        return cls(
            entity_id=settings.entity_id,
            role=settings.role,
            organization_name=settings.organization_name,
            development=settings.environment == "dev",
            authority_hints=tuple(settings.authority_hints),
            trust_anchors=tuple(
                PinnedAnchor(a.entity_id, read_jwks(a.jwks_file) if a.jwks_file else None)
                for a in settings.trust_anchors
            ),
            type_base=type_base,
            issued_types=tuple(trust_mark_type(type_base, k) for k in kinds),
            trust_mark_issuers=issuers,
            owned_types=tuple(resolve_type(type_base, t) for t in settings.trust_mark_owners),
            statement_lifetime=settings.statement_lifetime,
            trust_mark_lifetime=settings.trust_mark_lifetime,
            resolve_cache_seconds=settings.resolve_cache_seconds,
            statement_cache_seconds=settings.statement_cache_seconds,
            protocol_algorithms=tuple(settings.protocol_algorithms),
            policy=profile_policy(settings.protocol_algorithms) if settings.profile_policy else {},
        )
