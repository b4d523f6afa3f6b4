"""Settings of a relying-party service: the council or the GP practice (``UKID_RP_*`` variables).

Unsafe development switches (plain http entity IDs, generated keys, anchors trusted on first use,
cookies without ``Secure``) are refused unless ``environment`` is ``dev``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from federation.service.settings import AnchorSetting, check_entity_id

__all__ = ["RpSettings"]

_DEFAULT_NAMES = {"council": "Oxford City Council", "gp": "Oak Lane Medical Practice"}
_DEFAULT_MARKS = {"council": ["council"], "gp": ["nhs_organisation"]}


class RpSettings(BaseSettings):
    """A relying-party service's settings; every field is a ``UKID_RP_`` variable."""

    model_config = SettingsConfigDict(env_prefix="UKID_RP_", extra="forbid", frozen=True)

    service: Literal["council", "gp"] = Field(
        description="Which sample service to run: `council` (resident parking permit, Blue Badge; GOV.UK "
        "look) or `gp` (registering with the practice, repeat prescriptions; NHS.UK look)."
    )
    environment: Literal["dev", "test", "production"] = Field(
        default="production",
        description="`dev` allows plain http entity IDs, generated keys, trust anchors trusted on first use "
        "and cookies without `Secure`.",
    )
    entity_id: str = Field(description="The service's entity ID (also its client ID at every provider).")
    organization_name: str | None = Field(
        default=None,
        max_length=200,
        description="Published as `organization_name`; default: Oxford City Council or Oak Lane Medical "
        "Practice.",
    )
    data_dir: Path = Field(
        default=Path("ukid-data/rp"), description="Directory for the default SQLite database and the keys."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store, e.g. postgresql+psycopg://user@host/db. Default: a SQLite "
        "file `rp.db` in `data_dir`.",
    )
    keys_dir: Path | None = Field(
        default=None,
        description="Directory of the keys: `federation/` (entity statements) and `ES256/` (client "
        "assertions, private_key_jwt). Default: `data_dir/keys`.",
    )
    generate_keys: bool = Field(default=False, description="Generate missing keys at start-up (`dev` only).")
    migrate_on_start: bool | None = Field(
        default=None,
        description="Apply database migrations at start-up. Default: yes in `dev`, no elsewhere "
        "(run `ukid rp migrate --service council|gp`).",
    )
    authority_hints: list[str] = Field(
        default_factory=list,
        description="The service's superiors: the trust anchor (council) or the health intermediate (GP).",
    )
    trust_anchors: list[AnchorSetting] = Field(
        default_factory=list, description="Trust anchors identity providers' chains are resolved to."
    )
    trust_mark_types: list[str] | None = Field(
        default=None,
        description="Trust marks the service holds and publishes (kind names or type URLs); default: "
        "`council` or `nhs_organisation`.",
    )
    static_providers_file: Path | None = Field(
        default=None,
        description="JSON file of identity providers outside the federation (discovery URL and client "
        "credentials); see README.",
    )
    gazetteer_file: Path | None = Field(
        default=None,
        description="Council only: JSON file of the UPRNs in the council's area (its local land and property "
        "gazetteer). Default: the development gazetteer shipped with the service.",
    )
    session_lifetime: Annotated[int, Field(ge=60, le=86400)] = Field(
        default=3600, description="Seconds a signed-in session at the service lasts."
    )
    provider_cache_seconds: Annotated[int, Field(ge=0, le=86400)] = Field(
        default=300,
        description="Seconds a resolved identity provider is kept (never past its chain's expiry).",
    )
    frontend_dir: Path | None = Field(
        default=None,
        description="The `dist` directory of govuk-frontend (council) or nhsuk-frontend (GP). Default: under "
        "`node_modules` of the repository or the current directory.",
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
    def _check(self) -> RpSettings:
        dev = self.environment == "dev"
        ids = [self.entity_id, *self.authority_hints, *(a.entity_id for a in self.trust_anchors)]
        if not dev and any(urlsplit(v).scheme != "https" for v in ids):
            raise ValueError("the entity ID and the federation's entity IDs must be https URLs outside `dev`")
        if self.generate_keys and not dev:
            raise ValueError("generate_keys is a development switch: create keys with `ukid keys new`")
        if not dev:
            for anchor in self.trust_anchors:
                if anchor.jwks_file is None:
                    raise ValueError(f"trust anchor {anchor.entity_id}: jwks_file (pinned keys) is required")
        if self.migrate_on_start is None:
            object.__setattr__(self, "migrate_on_start", dev)
        if self.trust_mark_types is None:
            object.__setattr__(self, "trust_mark_types", list(_DEFAULT_MARKS[self.service]))
        if self.authority_hints and not self.trust_anchors:
            raise ValueError("a federation member needs trust_anchors to resolve identity providers' chains")
        return self

    @property
    def development(self) -> bool:
        """True in the development environment."""
        return self.environment == "dev"

    @property
    def name(self) -> str:
        """The organisation's name."""
        return self.organization_name or _DEFAULT_NAMES[self.service]

    @property
    def store_url(self) -> str:
        """The SQLAlchemy URL of the store."""
        return self.database_url or f"sqlite:///{self.data_dir / 'rp.db'}"

    @property
    def key_directory(self) -> Path:
        """Where the keys live."""
        return self.keys_dir or self.data_dir / "keys"
