"""The client directory: static clients from configuration, federation relying parties by entity ID.

Lookup order: a static client; else, for an entity ID when the provider has trust anchors, an
explicit registration that has not expired (OpenID Federation 1.0 §12.2); else automatic
registration (§12.1), resolving the RP's trust chain now. A federation client is kept in a bounded
cache until its chain (or a trust mark it holds) expires, or ``client_cache_seconds`` pass, whichever
is first (§12.3); a refusal is kept briefly too, so a burst of requests for an unknown entity ID
does not become a burst of outgoing fetches. Concurrent first requests for one client share one
resolution.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import NoReturn

from federation.cache import ExpiringCache
from federation.errors import FederationError
from federation.statements import is_entity_id
from idp.core.clients import Client, ClientKind
from idp.core.errors import InvalidClient
from idp.core.federation import Rejected, RelyingParties, chain_failure
from idp.store.clients import Registration, RegistrationStore

__all__ = ["Clients"]

log = logging.getLogger("idp.clients")

MAX_CLIENT_ID = 2048
#: Seconds a refusal is remembered (at most ``client_cache_seconds``).
REFUSAL_SECONDS = 30


class Clients:
    """Looks clients up: static ones first, then federation relying parties."""

    def __init__(
        self,
        static: Mapping[str, Client],
        *,
        relying_parties: RelyingParties | None = None,
        registrations: RegistrationStore | None = None,
        cache_seconds: int = 300,
        cache_entries: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.static = dict(static)
        self.relying_parties = relying_parties
        self.registrations = registrations
        self.cache_seconds = cache_seconds
        self.clock = clock
        self.cache: ExpiringCache[Client | InvalidClient] = ExpiringCache(cache_entries, clock=clock)
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, client_id: str) -> Client:
        """The client ``client_id``; ``InvalidClient`` saying why it is not known or not trusted."""
        found = self.static.get(client_id)
        if found is not None:
            return found
        if self.relying_parties is None or len(client_id) > MAX_CLIENT_ID or not is_entity_id(client_id):
            raise InvalidClient(f"client {client_id[:200]!r} is not known to this provider")
        cached = self._cached(client_id)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(client_id, asyncio.Lock())
        try:
            async with lock:
                cached = self._cached(client_id)
                if cached is not None:
                    return cached
                return await self._load(client_id, self.relying_parties)
        finally:
            if not lock.locked():
                self._locks.pop(client_id, None)

    def forget(self, client_id: str) -> None:
        """Drop what is cached about ``client_id`` (after it registered explicitly)."""
        self.cache.discard(client_id)

    def _cached(self, client_id: str) -> Client | None:
        entry = self.cache.get(client_id)
        if isinstance(entry, InvalidClient):
            raise InvalidClient(entry.description, detail=entry.detail)
        return entry

    async def _load(self, client_id: str, relying_parties: RelyingParties) -> Client:
        now = int(self.clock())
        try:
            registration = self.registrations.registration(client_id) if self.registrations else None
            if registration is not None and registration.expires_at > now:
                client = await self._registered(registration, relying_parties)
            else:
                chain = await relying_parties.resolve(client_id)
                client = await relying_parties.client_from_chain(chain, ClientKind.AUTOMATIC)
        except FederationError as exc:
            self._refuse(client_id, InvalidClient(chain_failure(client_id, exc), detail=exc.detail))
        except Rejected as exc:
            self._refuse(client_id, InvalidClient(exc.description))
        until = min(client.expires_at or now + self.cache_seconds, now + self.cache_seconds)
        self.cache.put(client_id, client, until)
        return client

    def _refuse(self, client_id: str, error: InvalidClient) -> NoReturn:
        log.info("federation client %s refused: %s", client_id, error.description)
        self.cache.put(client_id, error, self.clock() + min(REFUSAL_SECONDS, self.cache_seconds))
        raise error

    async def _registered(self, registration: Registration, relying_parties: RelyingParties) -> Client:
        """The client of an explicit registration (its metadata was checked when it registered)."""
        metadata = registration.metadata
        jwks = await relying_parties.client_keys(registration.client_id, metadata, None)
        return relying_parties.build(
            registration.client_id,
            metadata,
            kind=ClientKind.EXPLICIT,
            jwks=jwks,
            organization_name=registration.organization_name or registration.client_id,
            trust_anchor=registration.trust_anchor,
            trust_mark_types=registration.trust_mark_types,
            expires_at=registration.expires_at,
        )
