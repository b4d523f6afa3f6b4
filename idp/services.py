"""Wiring: from settings to a running provider (store checked or migrated, keys opened, clients)."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from federation.http import FederationFetcher, FetchPolicy
from federation.keys import KeyStore
from federation.service.database import SchemaError, create_store_engine
from federation.service.observability import ServiceMetrics
from federation.service.settings import read_jwks
from idp.core.clients import load_static_clients
from idp.core.config import IdpConfig, PinnedAnchor
from idp.core.conformance import Conformance
from idp.core.directory import Clients
from idp.core.discovery import provider_metadata
from idp.core.entity import FederationEntity
from idp.core.federation import RelyingParties
from idp.core.keys import ProtocolKeys
from idp.core.passwords import PasswordHasher
from idp.core.seed import seed_development_accounts
from idp.migrate import MIGRATIONS
from idp.settings import IdpSettings
from idp.store.accounts import AccountStore
from idp.store.clients import RegistrationStore
from idp.store.grants import GrantStore
from idp.store.interactions import InteractionStore
from idp.store.proofing import ProofingStore
from idp.store.vouching import VoucherStore

__all__ = ["IdpServices", "StartupError", "open_services"]


class StartupError(RuntimeError):
    """The provider cannot start; the message says why and what to do."""


@dataclass
class IdpServices:
    """Everything a running provider holds."""

    settings: IdpSettings
    config: IdpConfig
    accounts: AccountStore
    interactions: InteractionStore
    grants: GrantStore
    vouchers: VoucherStore
    proofing: ProofingStore
    registrations: RegistrationStore
    passwords: PasswordHasher
    federation_keys: KeyStore
    protocol_keys: ProtocolKeys
    clients: Clients
    fetcher: FederationFetcher
    entity: FederationEntity
    clock: Callable[[], float]
    #: the provider's Prometheus metrics (sign-in outcomes, codes issued; requests, by the middleware)
    metrics: ServiceMetrics
    #: conformance mode (development only): broken answers armed by ``ukid check rp``
    conformance: Conformance | None = None
    _metadata: dict[str, Any] | None = None

    @property
    def provider_metadata(self) -> dict[str, Any]:
        """The OpenID Provider metadata (Discovery §3), built once."""
        if self._metadata is None:
            self._metadata = provider_metadata(self.config, secret_clients=self.settings.development)
        return self._metadata

    def now(self) -> int:
        """The provider's clock, in whole seconds."""
        return int(self.clock())

    async def aclose(self) -> None:
        """Close the HTTP client and the database connections."""
        await self.fetcher.aclose()
        self.accounts.engine.dispose()


def _pairwise_salt(settings: IdpSettings) -> bytes:
    if settings.pairwise_salt is not None:
        return settings.pairwise_salt.get_secret_value().encode()
    path: Path = settings.data_dir / "pairwise.salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_urlsafe(48).encode())
        finally:
            os.close(fd)
    try:
        value = path.read_bytes().strip()
    except OSError as exc:
        raise StartupError(f"cannot read the pairwise salt {path}: {exc.strerror}") from exc
    if len(value) < 32:
        raise StartupError(
            f"the pairwise salt in {path} is shorter than 32 characters: delete it to regenerate"
        )
    return value


def config_from_settings(settings: IdpSettings) -> IdpConfig:
    """The core's view of the settings (pinned anchor keys read, salt loaded)."""
    try:
        anchors = tuple(
            PinnedAnchor(a.entity_id, read_jwks(a.jwks_file) if a.jwks_file else None)
            for a in settings.trust_anchors
        )
    except ValueError as exc:
        raise StartupError(str(exc)) from exc
    return IdpConfig(
        issuer=settings.issuer,
        organization_name=settings.organization_name,
        development=settings.development,
        authority_hints=tuple(settings.authority_hints),
        trust_anchors=anchors,
        trust_mark_types=tuple(settings.trust_mark_types),
        required_rp_trust_marks=tuple(settings.required_rp_trust_marks),
        id_token_algorithms=tuple(settings.id_token_algorithms),
        client_assertion_algorithms=tuple(settings.client_assertion_algorithms),
        code_lifetime=settings.code_lifetime,
        access_token_lifetime=settings.access_token_lifetime,
        refresh_token_lifetime=settings.refresh_token_lifetime,
        id_token_lifetime=settings.id_token_lifetime,
        par_lifetime=settings.par_lifetime,
        session_lifetime=settings.session_lifetime,
        interaction_lifetime=settings.interaction_lifetime,
        client_cache_seconds=settings.client_cache_seconds,
        pairwise_salt=_pairwise_salt(settings),
    )


def _keys(
    settings: IdpSettings, clock: Callable[[], float], protocol: ProtocolKeys | None
) -> tuple[KeyStore, ProtocolKeys]:
    directory = settings.key_directory
    try:
        federation_keys = KeyStore(directory / "federation", clock=clock)
        if federation_keys.active_key() is None:
            if not settings.generate_keys:
                raise StartupError(
                    f"no usable federation signing key in {directory / 'federation'}: "
                    f"create one with `ukid keys new {directory / 'federation'}`"
                )
            federation_keys.generate()
        if protocol is None:  # tests pass pre-generated keys: no RSA key generation on every start
            protocol = ProtocolKeys.open(
                directory, tuple(settings.id_token_algorithms), generate=settings.generate_keys
            )
    except (ValueError, LookupError) as exc:
        raise StartupError(f"keys: {exc}") from exc
    return federation_keys, protocol


def open_services(
    settings: IdpSettings,
    *,
    clock: Callable[[], float] = time.time,
    fetch_policy: FetchPolicy | None = None,
    http_client: httpx.AsyncClient | None = None,
    protocol_keys: ProtocolKeys | None = None,
) -> IdpServices:
    """Open the store (migrating it first when ``migrate_on_start``), the keys, clients and fetcher.

    ``protocol_keys`` replaces the ID token keys on disk (tests share pre-generated RSA keys).
    """
    config = config_from_settings(settings)
    static = {}
    if settings.static_clients_file is not None:
        try:
            static = load_static_clients(settings.static_clients_file, development=settings.development)
        except ValueError as exc:
            raise StartupError(str(exc)) from exc
    engine = create_store_engine(settings.store_url)
    try:
        if settings.migrate_on_start:
            MIGRATIONS.migrate(engine)
        MIGRATIONS.check_schema(engine)
    except SchemaError as exc:
        engine.dispose()
        raise StartupError(str(exc)) from exc
    try:
        federation_keys, protocol = _keys(settings, clock, protocol_keys)
    except StartupError:
        engine.dispose()
        raise
    policy = fetch_policy or (FetchPolicy.development() if settings.development else FetchPolicy())
    fetcher = FederationFetcher(policy, client=http_client)
    registrations = RegistrationStore(engine, clock)
    relying_parties = RelyingParties(config, fetcher, clock=clock) if config.trust_anchors else None
    clients = Clients(
        static,
        relying_parties=relying_parties,
        registrations=registrations,
        cache_seconds=config.client_cache_seconds,
        clock=clock,
    )
    opened = IdpServices(
        settings=settings,
        config=config,
        accounts=AccountStore(engine, clock),
        interactions=InteractionStore(engine, clock),
        grants=GrantStore(engine, clock),
        vouchers=VoucherStore(engine, clock),
        proofing=ProofingStore(engine, clock),
        registrations=registrations,
        passwords=PasswordHasher(settings.password_hashing),
        federation_keys=federation_keys,
        protocol_keys=protocol_keys or protocol,
        clients=clients,
        fetcher=fetcher,
        entity=FederationEntity(config, federation_keys, registrations, relying_parties, clock=clock),
        clock=clock,
        metrics=ServiceMetrics("idp", authorization_server=True),
    )
    if settings.conformance:
        opened.conformance = Conformance(
            config.issuer,
            opened.protocol_keys,
            rotation_overlap=min(settings.key_rotation_overlap, 2 * settings.id_token_lifetime + 60),
            clock=clock,
        )
    if settings.seed_accounts:
        seed_development_accounts(opened.accounts, opened.passwords, opened.vouchers)
    return opened
