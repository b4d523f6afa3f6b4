"""The relying party's store: pending logins (single use) and sessions, on SQLite or PostgreSQL.

A pending login is found by the digest of its ``state`` and taken exactly once: the ``DELETE`` that
takes it is the single-use guard (two callbacks with the same ``state``: one wins). A session holds
the results of the logins completed in it, one per service; its handle is replaced every time a
login completes (no session fixation).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from relying_party.core.result import LoginResult
from relying_party.tables import logins, sessions

__all__ = ["PendingLogin", "RpStore", "digest"]


def digest(secret: str) -> str:
    """SHA-256 (hex) of a state or session handle: only digests are stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class PendingLogin:
    """A login sent to a provider, waiting for the citizen to come back (RFC 6749 §10.12)."""

    state: str
    session: str
    issuer: str
    service: str
    nonce: str
    code_verifier: str
    vtr: tuple[str, ...]
    return_to: str
    created_at: int
    expires_at: int


class RpStore:
    """Pending logins and sessions."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def now(self) -> int:
        """The store's clock, in whole seconds."""
        return int(self.clock())

    # -- pending logins ------------------------------------------------------------------------------
    def save_login(self, login: PendingLogin) -> None:
        """Record a login just sent (and forget expired ones)."""
        with self.engine.begin() as connection:
            connection.execute(delete(logins).where(logins.c.expires_at <= self.now()))
            connection.execute(
                insert(logins).values(
                    state_hash=digest(login.state),
                    session_hash=digest(login.session),
                    issuer=login.issuer,
                    service=login.service,
                    nonce=login.nonce,
                    code_verifier=login.code_verifier,
                    vtr=list(login.vtr),
                    return_to=login.return_to,
                    created_at=login.created_at,
                    expires_at=login.expires_at,
                )
            )

    def take_login(self, state: str) -> tuple[PendingLogin, str] | None:
        """The pending login of ``state``, removed (single use), with the digest of the session that
        started it; None when unknown or already taken. Expiry is the caller's check."""
        key = digest(state)
        with self.engine.begin() as connection:
            row = connection.execute(select(logins).where(logins.c.state_hash == key)).first()
            if row is None:
                return None
            if connection.execute(delete(logins).where(logins.c.state_hash == key)).rowcount != 1:
                return None
        login = PendingLogin(
            state=state,
            session="",
            issuer=row.issuer,
            service=row.service,
            nonce=row.nonce,
            code_verifier=row.code_verifier,
            vtr=tuple(row.vtr),
            return_to=row.return_to,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )
        return login, row.session_hash

    # -- sessions ------------------------------------------------------------------------------------
    def results(self, handle: str | None) -> dict[str, LoginResult]:
        """The results held by the live session ``handle`` (empty when none)."""
        if not handle:
            return {}
        with self.engine.connect() as connection:
            row = connection.execute(
                select(sessions.c.results, sessions.c.expires_at).where(sessions.c.id_hash == digest(handle))
            ).first()
        if row is None or row.expires_at <= self.now():
            return {}
        found: Mapping[str, Any] = row.results or {}
        return {name: LoginResult.from_json(data) for name, data in found.items()}

    def keep_result(self, handle: str | None, result: LoginResult, lifetime: int) -> str:
        """Add ``result`` to the session (replacing that service's previous one) under a NEW handle,
        which is returned; the old handle stops working."""
        now = self.now()
        new = secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.expires_at <= now))
            held: dict[str, Any] = {}
            if handle:
                row = connection.execute(
                    select(sessions.c.results).where(sessions.c.id_hash == digest(handle))
                ).first()
                if row is not None:
                    held = dict(row.results or {})
                connection.execute(delete(sessions).where(sessions.c.id_hash == digest(handle)))
            held[result.service] = result.to_json()
            connection.execute(
                insert(sessions).values(
                    id_hash=digest(new), results=held, created_at=now, expires_at=now + lifetime
                )
            )
        return new

    def forget_result(self, handle: str, service: str) -> None:
        """Drop one service's result from the session (e.g. before a step-up)."""
        with self.engine.begin() as connection:
            row = connection.execute(
                select(sessions.c.results).where(sessions.c.id_hash == digest(handle))
            ).first()
            if row is None:
                return
            held = {k: v for k, v in dict(row.results or {}).items() if k != service}
            connection.execute(
                update(sessions).where(sessions.c.id_hash == digest(handle)).values(results=held)
            )

    def end_session(self, handle: str) -> None:
        """Sign out: the session and its results are removed."""
        with self.engine.begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.id_hash == digest(handle)))

    def count_sessions(self) -> int:
        """Live sessions (readiness probe and tests)."""
        with self.engine.connect() as connection:
            query = select(func.count()).select_from(sessions).where(sessions.c.expires_at > self.now())
            return int(connection.execute(query).scalar_one())
