"""Settings of a trust registry (``UKID_REGISTRY_*`` environment variables), one code base run as
trust anchor or intermediate (OpenID Federation 1.0 §1.2: both are federation entities that issue
subordinate statements).

Unsafe development switches (plain http entity IDs, generated keys, the development admin
token) are refused unless ``environment`` is ``dev``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from federation.service.settings import AnchorSetting, check_entity_id
from schemas.records import TrustMarkKind

__all__ = ["DEV_ADMIN_TOKEN", "AnchorSetting", "RegistrySettings", "Role"]

#: The admin token a development registry uses when none is configured; refused outside ``dev``.
DEV_ADMIN_TOKEN = "dev-admin-token"
MIN_ADMIN_TOKEN_LENGTH = 32


class Role(StrEnum):
    """What this registry is in the federation."""

    ANCHOR = "anchor"
    INTERMEDIATE = "intermediate"


class RegistrySettings(BaseSettings):
    """A trust anchor's or intermediate's settings; every field is an ``UKID_REGISTRY_`` variable."""

    model_config = SettingsConfigDict(env_prefix="UKID_REGISTRY_", extra="forbid", frozen=True)

    environment: Literal["dev", "test", "production"] = Field(
        default="production",
        description="`dev` allows plain http entity IDs, generated keys and the development admin token.",
    )
    role: Role = Field(default=Role.ANCHOR, description="`anchor` or `intermediate`.")
    entity_id: str = Field(description="This registry's entity ID; https outside `dev`.")
    organization_name: str = Field(
        default="UK Public Services Trust Anchor",
        min_length=1,
        description="Published as `organization_name` in the `federation_entity` metadata.",
    )
    data_dir: Path = Field(
        default=Path("ukid-data/registry"),
        description="Directory for the default SQLite database and the federation keys.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store, e.g. postgresql+psycopg://user@host/db. "
        "Default: a SQLite file `registry.db` in `data_dir`.",
    )
    keys_dir: Path | None = Field(
        default=None, description="Directory of the federation signing keys. Default: `data_dir/keys`."
    )
    generate_keys: bool = Field(
        default=False,
        description="Generate a first signing key when the key directory holds none (`dev` only; "
        "elsewhere create keys with `ukid keys new`).",
    )
    migrate_on_start: bool | None = Field(
        default=None,
        description="Apply database migrations at start-up. Default: yes in `dev`, no elsewhere "
        "(run `ukid registry migrate`).",
    )
    admin_tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Administrators, as a JSON object of name to bearer token. Outside `dev` it must "
        f"not be empty and each token needs at least {MIN_ADMIN_TOKEN_LENGTH} characters.",
    )
    authority_hints: list[str] = Field(
        default_factory=list,
        description="Superiors of an intermediate (required for an intermediate; none for an anchor).",
    )
    trust_anchors: list[AnchorSetting] = Field(
        default_factory=list,
        description="Trust anchors an intermediate resolves to (an anchor resolves to itself).",
    )
    trust_mark_issuers: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Anchor only: who may issue each trust mark type (kind or full type URL) to publish as "
        "`trust_mark_issuers`. Default: this anchor issues every type of the federation profile.",
    )
    trust_mark_owners: list[str] = Field(
        default_factory=list,
        description="Anchor only: trust mark types (kind or URL) this anchor owns and delegates to other "
        "issuers (published as `trust_mark_owners`; issuers then need a delegation).",
    )
    issued_trust_mark_types: list[TrustMarkKind] | None = Field(
        default=None,
        description="Trust mark kinds this registry issues. Default: certified identity service "
        "provider and council for an anchor; NHS organisation for an intermediate.",
    )
    statement_lifetime: Annotated[int, Field(ge=300, le=30 * 86400)] = Field(
        default=86400,
        description="Seconds an entity configuration or subordinate statement is valid; statements are "
        "signed again when half of it has passed.",
    )
    trust_mark_lifetime: Annotated[int, Field(ge=300)] = Field(
        default=365 * 86400, description="Default seconds a trust mark is valid."
    )
    resolve_cache_seconds: Annotated[int, Field(ge=0, le=86400)] = Field(
        default=60,
        description="Seconds a resolve response is served from cache (changes made here clear it at once).",
    )
    statement_cache_seconds: Annotated[int, Field(ge=0, le=300)] = Field(
        default=5,
        description="Seconds a worker keeps a served subordinate statement in memory (20,000 at most); "
        "changes made here clear it at once, changes made through another worker show within this time.",
    )
    protocol_algorithms: list[str] = Field(
        default_factory=lambda: ["ES256", "PS256", "RS256"],
        description="Signing algorithms the federation profile's metadata policy allows for ID tokens, "
        "request objects and client assertions.",
    )
    profile_policy: bool = Field(
        default=True,
        description="Add the federation profile's metadata policy to every subordinate statement.",
    )
    frontend_dir: Path | None = Field(
        default=None,
        description="The `dist/govuk` directory of the npm package govuk-frontend, served under `/assets` "
        "for the registry pages. Default: `node_modules/govuk-frontend/dist/govuk` under the repository or "
        "the current directory (`make install` puts it there); without it the pages use a plain stylesheet.",
    )

    @field_validator("entity_id")
    @classmethod
    def _entity_id(cls, value: str) -> str:
        return check_entity_id(value, "entity_id")

    @field_validator("authority_hints")
    @classmethod
    def _hints(cls, values: list[str]) -> list[str]:
        return [check_entity_id(v, "authority hint") for v in values]

    @model_validator(mode="after")
    def _check(self) -> RegistrySettings:
        dev = self.environment == "dev"
        ids = [self.entity_id, *self.authority_hints, *(a.entity_id for a in self.trust_anchors)]
        if not dev and any(urlsplit(v).scheme != "https" for v in ids):
            raise ValueError("entity IDs must be https URLs outside the development environment (`dev`)")
        if self.generate_keys and not dev:
            raise ValueError("generate_keys is a development switch: create keys with `ukid keys new`")
        if self.migrate_on_start is None:
            object.__setattr__(self, "migrate_on_start", dev)
        if self.role is Role.INTERMEDIATE:
            if not self.authority_hints:
                raise ValueError("an intermediate needs authority_hints (its superiors)")
            if not self.trust_anchors:
                raise ValueError("an intermediate needs trust_anchors to resolve chains to")
            if self.trust_mark_issuers or self.trust_mark_owners:
                raise ValueError("trust_mark_issuers and trust_mark_owners are published by the trust anchor")
        elif self.authority_hints:
            raise ValueError("a trust anchor has no authority_hints (OpenID Federation 1.0 §3.1.1)")
        if not dev:
            for anchor in self.trust_anchors:
                if anchor.jwks_file is None:
                    raise ValueError(f"trust anchor {anchor.entity_id}: jwks_file (pinned keys) is required")
        if not self.admin_tokens:
            if not dev:
                raise ValueError("admin_tokens is empty: configure at least one administrator")
            object.__setattr__(self, "admin_tokens", {"admin": SecretStr(DEV_ADMIN_TOKEN)})
        if not dev:
            for name, token in self.admin_tokens.items():
                secret = token.get_secret_value()
                if secret == DEV_ADMIN_TOKEN or len(secret) < MIN_ADMIN_TOKEN_LENGTH:
                    raise ValueError(
                        f"admin token of {name!r} is the development default or shorter than "
                        f"{MIN_ADMIN_TOKEN_LENGTH} characters"
                    )
        return self

    @property
    def store_url(self) -> str:
        """The SQLAlchemy URL of the store."""
        return self.database_url or f"sqlite:///{self.data_dir / 'registry.db'}"

    @property
    def key_directory(self) -> Path:
        """Where the federation signing keys live."""
        return self.keys_dir or self.data_dir / "keys"
