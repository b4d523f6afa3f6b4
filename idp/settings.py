"""Settings of the sample identity provider (``UKID_IDP_*`` environment variables).

Unsafe development switches (plain http issuer, generated keys, client secrets, cheap password
hashing, seeded accounts, cookies without ``Secure``) are refused unless ``environment`` is ``dev``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from federation.jose import ASYMMETRIC_ALGORITHMS
from federation.service.settings import AnchorSetting, check_entity_id

__all__ = ["IdpSettings"]


class IdpSettings(BaseSettings):
    """The identity provider's settings; every field is an ``UKID_IDP_`` variable."""

    model_config = SettingsConfigDict(env_prefix="UKID_IDP_", extra="forbid", frozen=True)

    environment: Literal["dev", "test", "production"] = Field(
        default="production",
        description="`dev` allows a plain http issuer, generated keys, client secrets for static clients, "
        "cheap password hashing, seeded test accounts and cookies without `Secure`.",
    )
    issuer: str = Field(
        description="The provider's issuer URL, which is also its federation entity ID; https outside `dev`."
    )
    organization_name: str = Field(
        default="Sample Citizen Identity Provider",
        min_length=1,
        max_length=200,
        description="Published as `organization_name` in the `federation_entity` metadata and on the pages.",
    )
    data_dir: Path = Field(
        default=Path("ukid-data/idp"),
        description="Directory for the default SQLite database, the keys and the pairwise salt file.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store, e.g. postgresql+psycopg://user@host/db. "
        "Default: a SQLite file `idp.db` in `data_dir`.",
    )
    keys_dir: Path | None = Field(
        default=None,
        description="Directory of the keys: `federation/` (entity statements) and one directory per "
        "ID token algorithm (`ES256/`, `PS256/`, `RS256/`). Default: `data_dir/keys`.",
    )
    generate_keys: bool = Field(
        default=False,
        description="Generate missing keys at start-up (`dev` only; elsewhere create them with "
        "`ukid keys new`).",
    )
    migrate_on_start: bool | None = Field(
        default=None,
        description="Apply database migrations at start-up. Default: yes in `dev`, no elsewhere "
        "(run `ukid idp migrate`).",
    )
    authority_hints: list[str] = Field(
        default_factory=list,
        description="The provider's superiors in the federation (its trust anchor or an intermediate).",
    )
    trust_anchors: list[AnchorSetting] = Field(
        default_factory=list,
        description="Trust anchors relying parties' chains are resolved to (automatic registration).",
    )
    trust_mark_types: list[str] = Field(
        default_factory=list,
        description="Trust mark types this provider holds and publishes in its entity configuration; each is "
        "fetched from its issuer's trust mark endpoint (issuers from the anchor's `trust_mark_issuers`).",
    )
    required_rp_trust_marks: list[str] = Field(
        default_factory=lambda: ["council", "nhs_organisation"],
        description="Trust mark types (kind names of the federation profile, or type URLs) a federation "
        "relying party must hold at least one of to be a client; empty: none required.",
    )
    id_token_algorithms: list[str] = Field(
        default_factory=lambda: ["ES256", "PS256", "RS256"],
        description="ID token signing algorithms offered; the first is the default (ES256), others are used "
        "when a client's metadata asks for them (`id_token_signed_response_alg`).",
    )
    client_assertion_algorithms: list[str] = Field(
        default_factory=lambda: ["ES256", "PS256", "RS256"],
        description="Algorithms accepted for `private_key_jwt` client assertions (RFC 7523).",
    )
    static_clients_file: Path | None = Field(
        default=None,
        description="JSON file of statically configured clients (services outside the federation); "
        "see README.",
    )
    pairwise_salt: SecretStr | None = Field(
        default=None,
        description="Secret that makes pairwise subject identifiers unguessable (32+ characters). Required "
        "outside `dev`; in `dev` it is generated once into `data_dir/pairwise.salt`.",
    )
    password_hashing: Literal["standard", "fast"] = Field(
        default="standard",
        description="argon2id cost: `standard` (RFC 9106 second recommendation: 64 MiB, 3 passes) or `fast` "
        "(64 KiB, 1 pass, verified on the event loop; `dev` only, for tests and benchmarks).",
    )
    seed_accounts: bool | None = Field(
        default=None,
        description="Create the development test accounts on first start. Default: yes in `dev`, "
        "refused elsewhere.",
    )
    code_lifetime: Annotated[int, Field(ge=10, le=600)] = Field(
        default=60, description="Seconds an authorization code is valid (single use)."
    )
    access_token_lifetime: Annotated[int, Field(ge=60, le=86400)] = Field(
        default=600, description="Seconds an access token is valid."
    )
    refresh_token_lifetime: Annotated[int, Field(ge=300)] = Field(
        default=30 * 86400, description="Seconds a refresh token is valid (each use rotates it)."
    )
    id_token_lifetime: Annotated[int, Field(ge=60, le=86400)] = Field(
        default=300, description="Seconds an ID token is valid."
    )
    par_lifetime: Annotated[int, Field(ge=10, le=600)] = Field(
        default=90,
        description="Seconds a pushed authorization request's `request_uri` is valid (single use).",
    )
    session_lifetime: Annotated[int, Field(ge=60)] = Field(
        default=8 * 3600, description="Seconds a sign-in session lasts."
    )
    interaction_lifetime: Annotated[int, Field(ge=60, le=86400)] = Field(
        default=1800, description="Seconds a citizen has to finish signing in and consenting."
    )
    client_cache_seconds: Annotated[int, Field(ge=0, le=86400)] = Field(
        default=300,
        description="Seconds a relying party resolved through the federation is kept (never past its chain's "
        "expiry).",
    )
    key_rotation_overlap: Annotated[int, Field(ge=0)] = Field(
        default=7 * 86400,
        description="After a key rotation, seconds the previous ID token key stays published "
        "(tokens it signed stay verifiable).",
    )
    conformance: bool = Field(
        default=False,
        description="Conformance mode (`dev` only): serve `/conformance`, where `ukid check rp` arms, for "
        "one login of one client at a time, a deliberately broken answer the relying party must refuse.",
    )
    frontend_dir: Path | None = Field(
        default=None,
        description="The `dist/govuk` directory of the npm package govuk-frontend. Default: `node_modules/"
        "govuk-frontend/dist/govuk` under the repository or the current directory.",
    )

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        return check_entity_id(value, "issuer")

    @field_validator("authority_hints")
    @classmethod
    def _hints(cls, values: list[str]) -> list[str]:
        return [check_entity_id(v, "authority hint") for v in values]

    @field_validator("id_token_algorithms", "client_assertion_algorithms")
    @classmethod
    def _algorithms(cls, values: list[str]) -> list[str]:
        if not values:
            raise ValueError("at least one algorithm is needed")
        for alg in values:
            if alg not in ASYMMETRIC_ALGORITHMS:
                raise ValueError(
                    f"algorithm {alg!r} is not allowed: use one of {', '.join(ASYMMETRIC_ALGORITHMS)} "
                    "(never 'none' or HMAC)"
                )
        return values

    @model_validator(mode="after")
    def _check(self) -> IdpSettings:
        dev = self.environment == "dev"
        ids = [self.issuer, *self.authority_hints, *(a.entity_id for a in self.trust_anchors)]
        if not dev and any(urlsplit(v).scheme != "https" for v in ids):
            raise ValueError("the issuer and entity IDs must be https URLs outside `dev`")
        if self.generate_keys and not dev:
            raise ValueError("generate_keys is a development switch: create keys with `ukid keys new`")
        if self.password_hashing == "fast" and not dev:
            raise ValueError("password_hashing 'fast' is for development only")
        if self.seed_accounts and not dev:
            raise ValueError("seed_accounts creates accounts with published passwords: development only")
        if self.conformance and not dev:
            raise ValueError("conformance mode sends deliberately broken responses: development only")
        if self.migrate_on_start is None:
            object.__setattr__(self, "migrate_on_start", dev)
        if self.seed_accounts is None:
            object.__setattr__(self, "seed_accounts", dev)
        if not dev:
            if self.pairwise_salt is None or len(self.pairwise_salt.get_secret_value()) < 32:
                raise ValueError("pairwise_salt (32+ characters) is required outside `dev`")
            for anchor in self.trust_anchors:
                if anchor.jwks_file is None:
                    raise ValueError(f"trust anchor {anchor.entity_id}: jwks_file (pinned keys) is required")
        if self.authority_hints and not self.trust_anchors:
            raise ValueError("a federation member needs trust_anchors to resolve relying parties' chains")
        return self

    @property
    def development(self) -> bool:
        """True in the development environment."""
        return self.environment == "dev"

    @property
    def store_url(self) -> str:
        """The SQLAlchemy URL of the store."""
        return self.database_url or f"sqlite:///{self.data_dir / 'idp.db'}"

    @property
    def key_directory(self) -> Path:
        """Where the keys live."""
        return self.keys_dir or self.data_dir / "keys"
