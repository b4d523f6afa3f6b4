"""Clients of the provider: federation relying parties and statically configured services.

A federation RP is known by its entity ID (OpenID Federation 1.0 §12.1 automatic registration, or
§12.2 explicit registration); its metadata comes from its resolved trust chain. A static client is
configured in a JSON file for a service outside the federation; client secrets are allowed only
for static clients in ``dev`` (asymmetric ``private_key_jwt`` everywhere else, RFC 7523).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from joserfc.jwk import KeySet
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from federation.statements import Jwks

__all__ = [
    "Client",
    "ClientDirectory",
    "ClientKind",
    "StaticClientConfig",
    "StaticClientsFile",
    "load_static_clients",
    "secret_digest",
]

SECRET_METHODS = ("client_secret_basic", "client_secret_post")


class ClientKind(StrEnum):
    """How the provider came to know a client."""

    AUTOMATIC = "automatic"  # federation, resolved on first use (OpenID Federation 1.0 §12.1)
    EXPLICIT = "explicit"  # federation, registered at the registration endpoint (§12.2)
    STATIC = "static"  # configured out of band


def secret_digest(secret: str) -> str:
    """SHA-256 (hex) of a client secret: static client secrets are compared by digest."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Client:
    """A client as the provider's endpoints see it, whichever way it is known."""

    client_id: str
    kind: ClientKind
    redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: str
    organization_name: str
    #: The pairwise subject sector (OpenID Connect Core §8.1): the host of the client ID for a
    #: federation RP, so every service of one organisation sees the same ``sub``.
    sector: str
    post_logout_redirect_uris: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = ("authorization_code", "refresh_token")
    scopes: frozenset[str] = frozenset({"openid", "profile", "email", "address", "phone", "offline_access"})
    id_token_signed_response_alg: str = "ES256"
    client_name: str | None = None
    #: Public keys for ``private_key_jwt`` (from the resolved metadata's ``jwks`` / ``jwks_uri``).
    jwks: KeySet | None = field(default=None, repr=False, compare=False)
    #: SHA-256 of the client secret (static development clients only).
    secret_sha256: str | None = field(default=None, repr=False)
    #: Federation RPs must use pushed authorization requests (OpenID Federation 1.0 §12.1.1).
    require_par: bool = False
    #: Trust mark types the client holds, verified in the federation (e.g. the NHS organisation mark).
    trust_mark_types: frozenset[str] = frozenset()
    trust_anchor: str | None = None
    #: Purposes the client declared for claims (claim name to text), shown on the consent page.
    claim_purposes: Mapping[str, str] = field(default_factory=dict)
    #: When what the provider knows about this client must be resolved again (chain ``exp``).
    expires_at: int | None = None
    #: The client's resolved ``openid_relying_party`` metadata (or the static configuration).
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def secret_matches(self, secret: str) -> bool:
        """Constant-time comparison of a presented secret with the configured one."""
        if self.secret_sha256 is None:
            return False
        return hmac.compare_digest(self.secret_sha256, secret_digest(secret))


class ClientDirectory(Protocol):
    """Where endpoints look clients up; raises ``idp.core.errors.InvalidClient`` for an unknown or
    untrusted client, with a description saying why (unknown, chain does not resolve, expired...)."""

    async def get(self, client_id: str) -> Client:
        """The client ``client_id``."""
        ...


class StaticClientConfig(BaseModel):
    """One statically configured client (a service outside the federation)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = Field(min_length=1, max_length=255)
    client_name: str | None = Field(default=None, max_length=200)
    organization_name: str = Field(min_length=1, max_length=200)
    redirect_uris: list[str] = Field(min_length=1)
    post_logout_redirect_uris: list[str] = Field(default_factory=list)
    token_endpoint_auth_method: Literal["private_key_jwt", "client_secret_basic", "client_secret_post"] = (
        "private_key_jwt"
    )
    client_secret: str | None = Field(default=None, min_length=16, description="Development only.")
    client_secret_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    jwks: dict[str, Any] | None = None
    id_token_signed_response_alg: str = "ES256"
    grant_types: tuple[Literal["authorization_code", "refresh_token"], ...] = (
        "authorization_code",
        "refresh_token",
    )
    scope: str = "openid profile email address phone offline_access"
    sector_identifier: str | None = Field(
        default=None, description="Pairwise sector (a host); default: the host of the first redirect URI."
    )
    require_pushed_authorization_requests: bool = False
    claim_purposes: dict[str, str] = Field(default_factory=dict)

    @field_validator("redirect_uris", "post_logout_redirect_uris")
    @classmethod
    def _uris(cls, values: list[str]) -> list[str]:
        for value in values:
            parts = urlsplit(value)
            if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
                raise ValueError(f"{value!r} is not an absolute http(s) URI without a fragment")
        return values

    @model_validator(mode="after")
    def _auth(self) -> StaticClientConfig:
        has_secret = self.client_secret is not None or self.client_secret_sha256 is not None
        if self.token_endpoint_auth_method in SECRET_METHODS and not has_secret:
            raise ValueError(f"{self.token_endpoint_auth_method} needs client_secret or client_secret_sha256")
        if self.token_endpoint_auth_method == "private_key_jwt":
            if self.jwks is None:
                raise ValueError("private_key_jwt needs the client's public keys in jwks")
            if has_secret:
                raise ValueError("a private_key_jwt client has no secret")
            Jwks.model_validate(self.jwks)
        if "openid" not in self.scope.split():
            raise ValueError("scope must include openid")
        return self

    def to_client(self) -> Client:
        """The client as the endpoints see it."""
        sector = self.sector_identifier or urlsplit(self.redirect_uris[0]).hostname or self.client_id
        digest = self.client_secret_sha256 or (
            secret_digest(self.client_secret) if self.client_secret is not None else None
        )
        return Client(
            client_id=self.client_id,
            kind=ClientKind.STATIC,
            redirect_uris=tuple(self.redirect_uris),
            post_logout_redirect_uris=tuple(self.post_logout_redirect_uris),
            token_endpoint_auth_method=self.token_endpoint_auth_method,
            organization_name=self.organization_name,
            sector=sector,
            grant_types=tuple(self.grant_types),
            scopes=frozenset(self.scope.split()),
            id_token_signed_response_alg=self.id_token_signed_response_alg,
            client_name=self.client_name,
            jwks=KeySet.import_key_set(self.jwks) if self.jwks is not None else None,  # type: ignore[arg-type]
            secret_sha256=digest,
            require_par=self.require_pushed_authorization_requests,
            claim_purposes=dict(self.claim_purposes),
            metadata=self.model_dump(exclude={"client_secret", "client_secret_sha256"}, exclude_none=True),
        )


class StaticClientsFile(BaseModel):
    """The static clients file: ``{"clients": [...]}``."""

    model_config = ConfigDict(extra="forbid")

    clients: list[StaticClientConfig]


def load_static_clients(path: Path, *, development: bool) -> dict[str, Client]:
    """The static clients in ``path`` by client ID; ``ValueError`` naming the file and the problem.

    Outside development a static client must use ``private_key_jwt`` (client secrets are for
    explicitly configured development clients only).
    """
    try:
        parsed = StaticClientsFile.model_validate(json.loads(path.read_text()))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the static clients file ({exc.strerror})") from exc
    except (ValueError, ValidationError) as exc:
        raise ValueError(f"{path}: not a valid static clients file: {exc}") from exc
    clients: dict[str, Client] = {}
    for entry in parsed.clients:
        if entry.client_id in clients:
            raise ValueError(f"{path}: client {entry.client_id!r} is configured twice")
        if entry.token_endpoint_auth_method in SECRET_METHODS and not development:
            raise ValueError(
                f"{path}: client {entry.client_id!r} uses a client secret, which only development "
                "clients may (use private_key_jwt)"
            )
        clients[entry.client_id] = entry.to_client()
    return clients
