"""Pushed authorization requests, browser interactions (sign-in and consent), sessions and consents.

Handles (PAR ``request_uri`` values, interaction IDs, session cookies) are random and stored only as
their SHA-256 (:func:`idp.store.digest`). Single use is enforced by the database: a request URI is
consumed, and an interaction completed, by one conditional ``UPDATE`` that only one caller can win.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from idp.store import StoreBase, digest
from idp.tables import consents, interactions, par_requests, sessions

__all__ = [
    "REQUEST_URI_PREFIX",
    "Consent",
    "Interaction",
    "InteractionStore",
    "PushedRequest",
    "Session",
    "new_handle",
]

#: RFC 9126 §2.2: the request URI is a URN naming this provider's stored request.
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"


def new_handle() -> str:
    """A random handle (256 bits, base64url)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class PushedRequest:
    """A stored pushed authorization request (RFC 9126 §2.1)."""

    client_id: str
    request: dict[str, Any]
    expires_at: int
    used_at: int | None


@dataclass(frozen=True)
class Interaction:
    """An authorization request being answered in one browser: sign-in, then consent."""

    id: str
    browser_hash: str
    client_id: str
    request: dict[str, Any]
    #: The citizen signed in for this request (None until they have).
    account_id: str | None
    created_at: int
    expires_at: int
    completed_at: int | None


@dataclass(frozen=True)
class Session:
    """A sign-in session (the browser's session cookie names it)."""

    account_id: str
    auth_time: int
    #: RFC 8176 authentication method references, e.g. ``["pwd"]``.
    amr: tuple[str, ...]
    #: The credential component of the vector achieved (RFC 8485), e.g. ``Cl``.
    credential: str
    expires_at: int


@dataclass(frozen=True)
class Consent:
    """What a citizen agreed to release to one client."""

    account_id: str
    client_id: str
    scopes: frozenset[str]
    claims: frozenset[str]
    granted_at: int

    def covers(self, scopes: Collection[str], claims: Collection[str]) -> bool:
        """True when every scope and claim name asked for was agreed to."""
        return set(scopes) <= self.scopes and set(claims) <= self.claims


class InteractionStore(StoreBase):
    """Pushed authorization requests, browser interactions (sign-in and consent), sessions and consents."""

    def _mark_once(self, table: Table, key: Column[Any], secret: str, column: str) -> bool:
        """Set ``column`` to now on the live row whose ``key`` is the digest of ``secret``; False when
        the row is unknown, already marked or expired (PAR handles, interactions and sessions are each
        used or ended once)."""
        now = self.now()
        with self.engine.begin() as connection:
            result = connection.execute(
                update(table)
                .where(key == digest(secret), table.c[column].is_(None), table.c.expires_at > now)
                .values({column: now})
            )
        return result.rowcount == 1

    # -- pushed authorization requests (RFC 9126) --------------------------------------------------

    def push(
        self, client_id: str, request: dict[str, Any], lifetime: int, *, connection: Connection | None = None
    ) -> str:
        """Store a validated request for ``lifetime`` seconds; returns its ``request_uri``.

        With ``connection`` the row is written in the caller's transaction (with the client
        assertion's ``jti``, so that both are kept or neither)."""
        request_uri = REQUEST_URI_PREFIX + new_handle()
        statement = insert(par_requests).values(
            handle_hash=digest(request_uri),
            client_id=client_id,
            request=request,
            expires_at=self.now() + lifetime,
        )
        if connection is not None:
            connection.execute(statement)
        else:
            with self.engine.begin() as own:
                own.execute(statement)
        return request_uri

    def pushed(self, request_uri: str) -> PushedRequest | None:
        """The pushed request named ``request_uri`` (used or expired included), if any."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(par_requests).where(par_requests.c.handle_hash == digest(request_uri))
            ).first()
        if row is None:
            return None
        return PushedRequest(row.client_id, dict(row.request), row.expires_at, row.used_at)

    def consume_pushed(self, request_uri: str) -> bool:
        """Mark the pushed request used; False when it is already used or has expired (RFC 9126 §4:
        a request URI is used once)."""
        return self._mark_once(par_requests, par_requests.c.handle_hash, request_uri, "used_at")

    # -- interactions ------------------------------------------------------------------------------

    def begin(
        self, browser_id: str, client_id: str, request: dict[str, Any], lifetime: int, account_id: str | None
    ) -> str:
        """A new interaction bound to the browser ``browser_id``; returns its ID."""
        interaction_id = new_handle()
        now = self.now()
        with self.engine.begin() as connection:
            connection.execute(
                insert(interactions).values(
                    id_hash=digest(interaction_id),
                    browser_hash=digest(browser_id),
                    client_id=client_id,
                    request=request,
                    account_id=account_id,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
        return interaction_id

    def interaction(self, interaction_id: str) -> Interaction | None:
        """The interaction ``interaction_id`` (expired or completed included), if any."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(interactions).where(interactions.c.id_hash == digest(interaction_id))
            ).first()
        if row is None:
            return None
        return Interaction(
            id=interaction_id,
            browser_hash=row.browser_hash,
            client_id=row.client_id,
            request=dict(row.request),
            account_id=row.account_id,
            created_at=row.created_at,
            expires_at=row.expires_at,
            completed_at=row.completed_at,
        )

    def signed_in(self, interaction_id: str, account_id: str) -> None:
        """Record who signed in for the interaction."""
        with self.engine.begin() as connection:
            connection.execute(
                update(interactions)
                .where(
                    interactions.c.id_hash == digest(interaction_id), interactions.c.completed_at.is_(None)
                )
                .values(account_id=account_id)
            )

    def complete(self, interaction_id: str) -> bool:
        """Mark the interaction completed; False when it already is or has expired (never replayed)."""
        return self._mark_once(interactions, interactions.c.id_hash, interaction_id, "completed_at")

    # -- sessions ----------------------------------------------------------------------------------

    def start_session(
        self, account_id: str, *, auth_time: int, amr: list[str], credential: str, lifetime: int
    ) -> str:
        """A new sign-in session; returns the cookie value naming it."""
        session_id = new_handle()
        with self.engine.begin() as connection:
            connection.execute(
                insert(sessions).values(
                    id_hash=digest(session_id),
                    account_id=account_id,
                    auth_time=auth_time,
                    amr=amr,
                    credential=credential,
                    expires_at=auth_time + lifetime,
                )
            )
        return session_id

    def session(self, session_id: str) -> Session | None:
        """The live session ``session_id`` (not ended, not expired), if any."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(sessions).where(
                    sessions.c.id_hash == digest(session_id),
                    sessions.c.ended_at.is_(None),
                    sessions.c.expires_at > self.now(),
                )
            ).first()
        if row is None:
            return None
        return Session(row.account_id, row.auth_time, tuple(row.amr), row.credential, row.expires_at)

    def end_session(self, session_id: str) -> bool:
        """End the session (sign-out); False when it was not live."""
        return self._mark_once(sessions, sessions.c.id_hash, session_id, "ended_at")

    # -- consents ----------------------------------------------------------------------------------

    def consent(self, account_id: str, client_id: str) -> Consent | None:
        """The citizen's standing consent for the client, if any (revoked ones are not)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(consents).where(
                    consents.c.account_id == account_id,
                    consents.c.client_id == client_id,
                    consents.c.revoked_at.is_(None),
                )
            ).first()
        if row is None:
            return None
        return Consent(
            row.account_id, row.client_id, frozenset(row.scopes), frozenset(row.claims), row.granted_at
        )

    def record_consent(
        self,
        account_id: str,
        client_id: str,
        *,
        organization_name: str,
        scopes: Collection[str],
        claims: Collection[str],
    ) -> None:
        """Remember what the citizen agreed to, added to what they agreed to before."""
        for attempt in range(2):
            try:
                with self.engine.begin() as connection:
                    self._merge_consent(
                        connection, account_id, client_id, organization_name, scopes=scopes, claims=claims
                    )
                return
            except IntegrityError:
                if attempt:  # pragma: no cover - lost two races in a row
                    raise
                # another request inserted it first: merge into that one

    def _merge_consent(
        self,
        connection: Connection,
        account_id: str,
        client_id: str,
        organization_name: str,
        *,
        scopes: Collection[str],
        claims: Collection[str],
    ) -> None:
        where = (consents.c.account_id == account_id, consents.c.client_id == client_id)
        row = connection.execute(select(consents).where(*where)).first()
        earlier = row is not None and row.revoked_at is None
        values = {
            "organization_name": organization_name,
            "scopes": sorted(set(scopes) | (set(row.scopes) if row is not None and earlier else set())),
            "claims": sorted(set(claims) | (set(row.claims) if row is not None and earlier else set())),
            "granted_at": self.now(),
            "revoked_at": None,
        }
        if row is not None:
            connection.execute(update(consents).where(*where).values(values))
        else:
            connection.execute(
                insert(consents).values({"account_id": account_id, "client_id": client_id, **values})
            )
