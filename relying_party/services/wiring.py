"""From settings to a running relying party: store checked or migrated, keys opened, providers,
entity configuration, the library's router.

Keys: ``keys/federation`` signs the entity configuration; ``keys/ES256`` signs client assertions
(``private_key_jwt``) and is published as the RP metadata's ``jwks`` (OpenID Federation 1.0 §5.2.1:
federation keys and protocol keys are kept apart).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine

from federation.http import FederationFetcher, FetchPolicy
from federation.keys import KeyStore
from federation.service.database import Migrations, SchemaError, create_store_engine
from federation.service.settings import read_jwks
from relying_party.core.config import AnchorPin, RpConfig, StaticProvider
from relying_party.core.entity import RpEntity
from relying_party.core.login import RelyingParty
from relying_party.core.oauth import OAuthClient
from relying_party.core.policy import ServicePolicy, policies_by_name
from relying_party.core.providers import ProviderDirectory
from relying_party.migrate import MIGRATIONS
from relying_party.settings import RpSettings
from relying_party.store import RpStore
from schemas.gpg45 import LevelOfConfidence

__all__ = ["RpServices", "StartupError", "load_static_providers", "open_services"]


class StartupError(RuntimeError):
    """The service cannot start; the message says why and what to do."""


class _StaticEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issuer: str
    name: str = Field(min_length=1, max_length=200)
    discovery_url: str
    client_id: str = Field(min_length=1)
    levels: list[LevelOfConfidence] = Field(min_length=1)
    auth_method: str = "private_key_jwt"
    client_secret: str | None = None
    client_secret_env: str | None = None
    trustmarks: list[str] = Field(default_factory=list)


def load_static_providers(path: Path, *, development: bool) -> tuple[StaticProvider, ...]:
    """The static providers file: a JSON array of ``{issuer, name, discovery_url, client_id, levels,
    auth_method, client_secret_env | client_secret (dev only), trustmarks}``."""
    try:
        entries = [_StaticEntry.model_validate(e) for e in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError, ValidationError) as exc:
        first = str(exc).splitlines()[0][:300]
        raise StartupError(f"{path}: not a readable static providers file ({first})") from exc
    found: list[StaticProvider] = []
    for entry in entries:
        if entry.auth_method not in ("private_key_jwt", "client_secret_basic"):
            raise StartupError(
                f"{path}: {entry.issuer}: auth_method must be private_key_jwt or client_secret_basic"
            )
        secret = entry.client_secret
        if secret is not None and not development:
            raise StartupError(f"{path}: {entry.issuer}: put the secret in client_secret_env outside dev")
        if entry.client_secret_env:
            secret = os.environ.get(entry.client_secret_env)
            if not secret:
                raise StartupError(
                    f"{path}: {entry.issuer}: environment variable {entry.client_secret_env} is not set"
                )
        if entry.auth_method == "client_secret_basic" and not secret:
            raise StartupError(f"{path}: {entry.issuer}: client_secret_basic needs a client secret")
        found.append(
            StaticProvider(
                issuer=entry.issuer,
                name=entry.name,
                discovery_url=entry.discovery_url,
                client_id=entry.client_id,
                levels=frozenset(entry.levels),
                auth_method="client_secret_basic"
                if entry.auth_method == "client_secret_basic"
                else "private_key_jwt",
                client_secret=secret,
                trustmarks=tuple(entry.trustmarks),
            )
        )
    return tuple(found)


@dataclass
class RpServices:
    """Everything a running relying-party service holds."""

    settings: RpSettings
    config: RpConfig
    engine: Engine
    store: RpStore
    rp: RelyingParty
    entity: RpEntity
    fetcher: FederationFetcher
    http: httpx.AsyncClient
    clock: Callable[[], float]

    async def aclose(self) -> None:
        """Close the HTTP client and the database connections."""
        await self.fetcher.aclose()
        await self.http.aclose()
        self.engine.dispose()


def _keys(directory: Path, generate: bool) -> KeyStore:
    try:
        store = KeyStore(directory)
    except ValueError as exc:
        raise StartupError(f"{exc}: fix or remove the file") from exc
    if store.active_key() is None:
        if not generate:
            raise StartupError(f"no usable key in {directory}: create one with `ukid keys new {directory}`")
        store.generate("ES256")
    return store


def _engine(settings: RpSettings, migrations: Sequence[Migrations]) -> Engine:
    try:
        engine = create_store_engine(settings.store_url)
        for migration in migrations:
            if settings.migrate_on_start:
                migration.migrate(engine)
            else:
                migration.check_schema(engine)
    except SchemaError as exc:
        raise StartupError(str(exc)) from exc
    return engine


def open_services(
    settings: RpSettings,
    policies: Sequence[ServicePolicy],
    *,
    migrations: Sequence[Migrations] = (),
    clock: Callable[[], float] = time.time,
    fetch_policy: FetchPolicy | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> RpServices:
    """Open the store, keys and clients of a relying-party service (nothing at import time)."""
    anchors = []
    for anchor in settings.trust_anchors:
        try:
            pinned: dict[str, Any] | None = read_jwks(anchor.jwks_file) if anchor.jwks_file else None
        except ValueError as exc:
            raise StartupError(str(exc)) from exc
        anchors.append(AnchorPin(anchor.entity_id, pinned))
    static = (
        load_static_providers(settings.static_providers_file, development=settings.development)
        if settings.static_providers_file
        else ()
    )
    config = RpConfig(
        entity_id=settings.entity_id,
        organization_name=settings.name,
        client_name=settings.name,
        policies=policies_by_name(policies),
        trust_anchors=tuple(anchors),
        authority_hints=tuple(settings.authority_hints),
        trust_mark_types=tuple(settings.trust_mark_types or ()),
        static_providers=static,
        development=settings.development,
        session_lifetime=settings.session_lifetime,
        provider_cache_seconds=settings.provider_cache_seconds,
        secure_cookies=not settings.development,
        homepage_uri=settings.entity_id,
    )
    engine = _engine(settings, [MIGRATIONS, *migrations])  # first: an unreachable store writes no keys
    try:
        federation_keys = _keys(settings.key_directory / "federation", settings.generate_keys)
        protocol_keys = _keys(settings.key_directory / "ES256", settings.generate_keys)
    except StartupError:
        engine.dispose()
        raise
    http = http_client or httpx.AsyncClient(follow_redirects=False, trust_env=False)
    policy = fetch_policy or (FetchPolicy.development() if settings.development else FetchPolicy())
    fetcher = FederationFetcher(policy, client=http)
    store = RpStore(engine, clock=clock)
    directory = ProviderDirectory(config, fetcher, clock=clock)
    rp = RelyingParty(
        config,
        directory=directory,
        store=store,
        oauth=OAuthClient(http),
        key=protocol_keys.signing_key().key,
        alg=protocol_keys.signing_key().alg,
        clock=clock,
    )
    entity = RpEntity(config, federation_keys, protocol_keys.public_jwks(), directory, fetcher, clock=clock)
    return RpServices(settings, config, engine, store, rp, entity, fetcher, http, clock)
