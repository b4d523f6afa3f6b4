"""Wiring: from settings to a running registry (store checked or migrated, keys opened, fetcher)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from federation.http import FetchPolicy
from federation.keys import KeyStore
from trust_registry.core.config import RegistryConfig
from trust_registry.core.registry import Registry
from trust_registry.core.resolve import LocalFirstFetcher, Resolver
from trust_registry.migrate import SchemaError, check_schema, create_store_engine, migrate
from trust_registry.settings import RegistrySettings
from trust_registry.store import RegistryStore

__all__ = ["RegistryServices", "StartupError", "open_services"]


class StartupError(RuntimeError):
    """The registry cannot start; the message says why and what to do."""


@dataclass
class RegistryServices:
    """Everything a running registry holds."""

    settings: RegistrySettings
    registry: Registry
    resolver: Resolver
    fetcher: LocalFirstFetcher

    async def aclose(self) -> None:
        """Close the HTTP client and the database connections."""
        await self.fetcher.aclose()
        self.registry.store.close()


def open_keys(settings: RegistrySettings, clock: Callable[[], float]) -> KeyStore:
    """The federation keys; a first key is generated only when ``generate_keys`` (dev) allows it."""
    directory = settings.key_directory
    try:
        keys = KeyStore(directory, clock=clock)
    except ValueError as exc:
        raise StartupError(f"federation keys: {exc}") from exc
    if keys.active_key() is None:
        if not settings.generate_keys:
            raise StartupError(
                f"no usable federation signing key in {directory}: "
                f"create one with `ukid keys new {directory}`"
            )
        keys.generate()
    return keys


def open_services(
    settings: RegistrySettings,
    *,
    clock: Callable[[], float] = time.time,
    fetch_policy: FetchPolicy | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> RegistryServices:
    """Open the store (migrating it first when ``migrate_on_start``), the keys and the fetcher."""
    engine = create_store_engine(settings.store_url)
    try:
        if settings.migrate_on_start:
            migrate(engine)
        check_schema(engine)
    except SchemaError as exc:
        engine.dispose()
        raise StartupError(str(exc)) from exc
    keys = open_keys(settings, clock)
    try:
        config = RegistryConfig.from_settings(settings)
    except ValueError as exc:  # an unreadable pinned trust anchor JWKS file
        engine.dispose()
        raise StartupError(str(exc)) from exc
    registry = Registry(config, RegistryStore(engine), keys, clock=clock)
    policy = fetch_policy or (FetchPolicy.development() if config.development else FetchPolicy())
    fetcher = LocalFirstFetcher(registry, policy, client=http_client)
    return RegistryServices(settings, registry, Resolver(registry, fetcher), fetcher)
