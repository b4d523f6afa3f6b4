"""Pushed authorization requests, browser interactions (sign-in and consent), sessions and consents.

Handles (PAR ``request_uri`` values, interaction IDs, session cookies) are random and stored only as
their SHA-256 (:func:`idp.store.digest`). Single use is enforced by the database: a request URI is
consumed, and an interaction completed, by one conditional ``UPDATE`` that only one caller can win.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, bindparam, insert, select, update

from idp.store import Clock, Compiled, StoreBase, digest
from idp.store.accounts import ACCOUNT_COLUMNS, Account, account_from
from idp.tables import accounts, consents, interactions, par_requests, sessions

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
    #: The organisation of the client when the consent was given (for the citizen's account page).
    organization_name: str | None = None

    def covers(self, scopes: Collection[str], claims: Collection[str]) -> bool:
        """True when every scope and claim name asked for was agreed to."""
        return set(scopes) <= self.scopes and set(claims) <= self.claims


def _mark_once(table: Table, key: Column[Any], column: str) -> Any:
    """Set ``column`` to now on the live row whose ``key`` is given; no row changes when it is
    unknown, already marked or expired (PAR handles, interactions and sessions are used or ended once)."""
    return (
        update(table)
        .where(key == bindparam("key"), table.c[column].is_(None), table.c.expires_at > bindparam("now"))
        .values({column: bindparam("now")})
    )


_INTERACTION = select(interactions).where(interactions.c.id_hash == bindparam("id_hash"))
_BEGIN = insert(interactions).values(
    {c.name: bindparam(c.name) for c in interactions.c if c.name != "completed_at"}
)
_SIGNED_IN = (
    update(interactions)
    .where(interactions.c.id_hash == bindparam("id_hash"), interactions.c.completed_at.is_(None))
    .values(account_id=bindparam("account_id"))
)
_START_SESSION = insert(sessions).values(
    {c.name: bindparam(c.name) for c in sessions.c if c.name != "ended_at"}
)
_LIVE_SESSION = (
    select(sessions, *ACCOUNT_COLUMNS)
    .join(accounts, accounts.c.id == sessions.c.account_id)
    .where(
        sessions.c.id_hash == bindparam("id_hash"),
        sessions.c.ended_at.is_(None),
        sessions.c.expires_at > bindparam("now"),
    )
)
_CONSENT = select(consents).where(
    consents.c.account_id == bindparam("account_id"), consents.c.client_id == bindparam("client_id")
)
_CONSENTS_OF = (
    select(consents)
    .where(consents.c.account_id == bindparam("account_id"), consents.c.revoked_at.is_(None))
    .order_by(consents.c.granted_at, consents.c.client_id)
)
_REVOKE_CONSENT = (
    update(consents)
    .where(
        consents.c.account_id == bindparam("account_id"),
        consents.c.client_id == bindparam("client_id"),
        consents.c.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("now"))
)
_CONSENT_VALUES = ("organization_name", "scopes", "claims", "granted_at", "revoked_at")
_ADD_CONSENT = insert(consents).values({c.name: bindparam(c.name) for c in consents.c})
_UPDATE_CONSENT = (
    update(consents)
    .where(consents.c.account_id == bindparam("account_id"), consents.c.client_id == bindparam("client_id"))
    .values({name: bindparam(f"new_{name}") for name in _CONSENT_VALUES})
)


class InteractionStore(StoreBase):
    """Pushed authorization requests, browser interactions (sign-in and consent), sessions and consents."""

    def __init__(self, engine: Engine, clock: Clock = time.time) -> None:
        super().__init__(engine, clock)
        self._use_pushed = Compiled(_mark_once(par_requests, par_requests.c.handle_hash, "used_at"), engine)
        self._complete = Compiled(_mark_once(interactions, interactions.c.id_hash, "completed_at"), engine)
        self._end_session = Compiled(_mark_once(sessions, sessions.c.id_hash, "ended_at"), engine)
        self._interaction = Compiled(_INTERACTION, engine, json_columns=("request",))
        self._begin = Compiled(_BEGIN, engine, json_params=("request",))
        self._signed_in = Compiled(_SIGNED_IN, engine)
        self._start_session = Compiled(_START_SESSION, engine, json_params=("amr",))
        self._live_session = Compiled(_LIVE_SESSION, engine, json_columns=("amr",))
        self._consent = Compiled(_CONSENT, engine, json_columns=("scopes", "claims"))
        self._add_consent = Compiled(_ADD_CONSENT, engine, json_params=("scopes", "claims"))
        self._update_consent = Compiled(_UPDATE_CONSENT, engine, json_params=("new_scopes", "new_claims"))
        self._consents_of = Compiled(_CONSENTS_OF, engine, json_columns=("scopes", "claims"))
        self._revoke_consent = Compiled(_REVOKE_CONSENT, engine)

    def _mark(self, statement: Compiled, secret: str, connection: Connection | None) -> bool:
        values = {"key": digest(secret), "now": self.now()}
        if connection is not None:
            return statement.rowcount(connection, values) == 1
        with self.engine.begin() as own:
            return statement.rowcount(own, values) == 1

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
        with self.reading() as connection:
            row = connection.execute(
                select(par_requests).where(par_requests.c.handle_hash == digest(request_uri))
            ).first()
        if row is None:
            return None
        return PushedRequest(row.client_id, dict(row.request), row.expires_at, row.used_at)

    def consume_pushed(self, request_uri: str) -> bool:
        """Mark the pushed request used; False when it is already used or has expired (RFC 9126 §4:
        a request URI is used once)."""
        return self._mark(self._use_pushed, request_uri, None)

    # -- interactions ------------------------------------------------------------------------------

    def begin(
        self, browser_id: str, client_id: str, request: dict[str, Any], lifetime: int, account_id: str | None
    ) -> str:
        """A new interaction bound to the browser ``browser_id``; returns its ID."""
        interaction_id = new_handle()
        now = self.now()
        values = {
            "id_hash": digest(interaction_id),
            "browser_hash": digest(browser_id),
            "client_id": client_id,
            "request": request,
            "account_id": account_id,
            "created_at": now,
            "expires_at": now + lifetime,
        }
        with self.engine.begin() as connection:
            self._begin.rowcount(connection, values)
        return interaction_id

    def interaction(self, interaction_id: str) -> Interaction | None:
        """The interaction ``interaction_id`` (expired or completed included), if any."""
        with self.reading() as connection:
            row = self._interaction.first(connection, {"id_hash": digest(interaction_id)})
        if row is None:
            return None
        return Interaction(
            id=interaction_id,
            browser_hash=row["browser_hash"],
            client_id=row["client_id"],
            request=dict(row["request"]),
            account_id=row["account_id"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            completed_at=row["completed_at"],
        )

    def complete(self, interaction_id: str, *, connection: Connection | None = None) -> bool:
        """Mark the interaction completed; False when it already is or has expired (never replayed).
        In the caller's transaction when given ``connection``."""
        return self._mark(self._complete, interaction_id, connection)

    # -- sessions ----------------------------------------------------------------------------------

    def start_session(
        self,
        account_id: str,
        *,
        auth_time: int,
        amr: list[str],
        credential: str,
        lifetime: int,
        interaction_id: str | None = None,
        previous: str | None = None,
    ) -> tuple[str, Session]:
        """A new sign-in session: its cookie value and the session. In the same transaction, the
        citizen is recorded as signed in for ``interaction_id`` and the ``previous`` session of the
        browser is ended."""
        session_id = new_handle()
        session = Session(account_id, auth_time, tuple(amr), credential, auth_time + lifetime)
        values = {
            "id_hash": digest(session_id),
            "account_id": account_id,
            "auth_time": auth_time,
            "amr": amr,
            "credential": credential,
            "expires_at": session.expires_at,
        }
        with self.engine.begin() as connection:
            self._start_session.rowcount(connection, values)
            if interaction_id is not None:
                self._signed_in.rowcount(
                    connection, {"id_hash": digest(interaction_id), "account_id": account_id}
                )
            if previous is not None:
                self._mark(self._end_session, previous, connection)
        return session_id, session

    def live_session(self, session_id: str) -> tuple[Session, Account] | None:
        """The live session ``session_id`` (not ended, not expired) and its account, if any (one
        statement)."""
        with self.reading() as connection:
            row = self._live_session.first(connection, {"id_hash": digest(session_id), "now": self.now()})
        if row is None:
            return None
        session = Session(
            row["account_id"], row["auth_time"], tuple(row["amr"]), row["credential"], row["expires_at"]
        )
        return session, account_from(row)

    def session(self, session_id: str) -> Session | None:
        """The live session ``session_id`` (not ended, not expired), if any."""
        found = self.live_session(session_id)
        return found[0] if found is not None else None

    def end_session(self, session_id: str) -> bool:
        """End the session (sign-out); False when it was not live."""
        return self._mark(self._end_session, session_id, None)

    # -- consents ----------------------------------------------------------------------------------

    def _consent_row(self, connection: Connection, account_id: str, client_id: str) -> dict[str, Any] | None:
        return self._consent.first(connection, {"account_id": account_id, "client_id": client_id})

    def consent(self, account_id: str, client_id: str) -> Consent | None:
        """The citizen's standing consent for the client, if any (revoked ones are not)."""
        with self.reading() as connection:
            row = self._consent_row(connection, account_id, client_id)
        if row is None or row["revoked_at"] is not None:
            return None
        return _consent(row)

    def consents_of(self, account_id: str) -> list[Consent]:
        """The citizen's standing consents (revoked ones are not), oldest first."""
        with self.reading() as connection:
            rows = self._consents_of.all(connection, {"account_id": account_id})
        return [_consent(row) for row in rows]

    def revoke_consent(self, connection: Connection, account_id: str, client_id: str) -> bool:
        """Mark the citizen's standing consent for the client revoked, in the caller's transaction;
        False (nothing changed) when there is none: unknown, another citizen's, or already revoked."""
        values = {"account_id": account_id, "client_id": client_id, "now": self.now()}
        return self._revoke_consent.rowcount(connection, values) == 1

    def record_consent(
        self,
        connection: Connection,
        account_id: str,
        client_id: str,
        *,
        organization_name: str,
        scopes: Collection[str],
        claims: Collection[str],
        declined: Collection[str] = (),
    ) -> None:
        """Remember what the citizen agreed to, added to what they agreed to before (less what they
        ``declined`` this time: the latest answer wins), in the caller's transaction (which a
        concurrent first consent makes fail with ``IntegrityError``: retry it)."""
        row = self._consent_row(connection, account_id, client_id)
        earlier = row is not None and row["revoked_at"] is None
        agreed = set(claims) | (set(row["claims"]) if row is not None and earlier else set())
        values = {
            "organization_name": organization_name,
            "scopes": sorted(set(scopes) | (set(row["scopes"]) if row is not None and earlier else set())),
            "claims": sorted(agreed - set(declined)),
            "granted_at": self.now(),
            "revoked_at": None,
        }
        key = {"account_id": account_id, "client_id": client_id}
        if row is not None:
            self._update_consent.rowcount(connection, key | {f"new_{k}": v for k, v in values.items()})
        else:
            self._add_consent.rowcount(connection, key | values)


def _consent(row: dict[str, Any]) -> Consent:
    return Consent(
        row["account_id"],
        row["client_id"],
        frozenset(row["scopes"]),
        frozenset(row["claims"]),
        row["granted_at"],
        row["organization_name"],
    )
