"""Grants with their codes and tokens (stored hashed), client assertion replay guard, releases.

The token endpoint's work happens in ONE transaction (:meth:`GrantStore.transaction`): the core
passes the connection to the statements below, so a rejected request rolls back whole and a
successful one commits everything at once. Codes, tokens and ``jti`` values are stored only as
SHA-256 digests (:func:`idp.store.digest`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement

from idp.store import Clock, Compiled, StoreBase, decode_json
from idp.tables import client_assertions, codes, grants, releases, tokens

__all__ = ["CodeRecord", "GrantRecord", "GrantStore", "NewToken", "ReleaseRecord", "TokenRecord"]

ACCESS = "access"
REFRESH = "refresh"


@dataclass(frozen=True, slots=True)
class GrantRecord:
    """What one authorization gave one client (the code and its tokens hang off it)."""

    id: str
    account_id: str
    client_id: str
    scope: tuple[str, ...]
    #: The ``claims`` request parameter as JSON (OpenID Connect Core §5.5), if one was sent.
    claims_request: dict[str, Any] | None
    consented_claims: frozenset[str]
    vot: str | None
    acr: str | None
    auth_time: int
    amr: tuple[str, ...]
    created_at: int
    revoked_at: int | None


@dataclass(frozen=True, slots=True)
class CodeRecord:
    """An authorization code (by digest) and what it is bound to (RFC 6749 §4.1.3, RFC 7636)."""

    code_hash: str
    grant_id: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    expires_at: int
    used_at: int | None


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An access or refresh token (by digest)."""

    token_hash: str
    grant_id: str
    kind: str
    client_id: str
    created_at: int
    expires_at: int
    used_at: int | None
    revoked_at: int | None


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token to store."""

    token_hash: str
    kind: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class ReleaseRecord:
    """One release of data to a client: the citizen's record of who received what."""

    account_id: str
    client_id: str
    organization_name: str | None
    channel: str
    claims: tuple[str, ...]
    level: str | None
    released_at: int


_GRANT_COLUMNS = (
    grants.c.id.label("g_id"),
    grants.c.account_id.label("g_account_id"),
    grants.c.client_id.label("g_client_id"),
    grants.c.scope.label("g_scope"),
    grants.c.claims_request.label("g_claims_request"),
    grants.c.consented_claims.label("g_consented_claims"),
    grants.c.vot.label("g_vot"),
    grants.c.acr.label("g_acr"),
    grants.c.auth_time.label("g_auth_time"),
    grants.c.amr.label("g_amr"),
    grants.c.created_at.label("g_created_at"),
    grants.c.revoked_at.label("g_revoked_at"),
)


def _grant(row: Mapping[str, Any]) -> GrantRecord:
    return GrantRecord(
        id=row["g_id"],
        account_id=row["g_account_id"],
        client_id=row["g_client_id"],
        scope=tuple(row["g_scope"].split()),
        claims_request=decode_json(row["g_claims_request"]),
        consented_claims=frozenset(decode_json(row["g_consented_claims"])),
        vot=row["g_vot"],
        acr=row["g_acr"],
        auth_time=row["g_auth_time"],
        amr=tuple(decode_json(row["g_amr"])),
        created_at=row["g_created_at"],
        revoked_at=row["g_revoked_at"],
    )


def _token(row: Mapping[str, Any]) -> TokenRecord:
    return TokenRecord(
        token_hash=row["token_hash"],
        grant_id=row["grant_id"],
        kind=row["kind"],
        client_id=row["client_id"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        revoked_at=row["revoked_at"],
    )


_TOKEN_WITH_GRANT = (
    select(tokens, *_GRANT_COLUMNS)
    .join(grants, grants.c.id == tokens.c.grant_id)
    .where(tokens.c.token_hash == bindparam("token_hash"))
)
_CODE_WITH_GRANT = (
    select(codes, *_GRANT_COLUMNS)
    .join(grants, grants.c.id == codes.c.grant_id)
    .where(codes.c.code_hash == bindparam("code_hash"))
)
_USE_CODE = (
    update(codes)
    .where(codes.c.code_hash == bindparam("code_hash"), codes.c.used_at.is_(None))
    .values(used_at=bindparam("now"))
)
_USE_REFRESH = (
    update(tokens)
    .where(tokens.c.token_hash == bindparam("token_hash"), tokens.c.used_at.is_(None))
    .values(used_at=bindparam("now"))
)
_TOKEN_COLUMNS = ("token_hash", "grant_id", "kind", "client_id", "created_at", "expires_at")


def _insert_all(table: Table, *left_out: str) -> ClauseElement:
    """INSERT of every column of ``table`` but ``left_out``, each a parameter of its name."""
    return insert(table).values({c.name: bindparam(c.name) for c in table.c if c.name not in left_out})


def _remember_assertion(dialect: str) -> ClauseElement:
    """Insert a client assertion, or reuse an expired entry; RETURNING a row only if it did."""
    values: dict[str, Any] = {"key_hash": bindparam("key_hash"), "expires_at": bindparam("expires_at")}
    statement: Any
    if dialect == "postgresql":
        pg = postgresql.insert(client_assertions).values(**values)
        statement = pg.on_conflict_do_update(
            index_elements=[client_assertions.c.key_hash],
            set_={"expires_at": pg.excluded.expires_at},
            where=client_assertions.c.expires_at < bindparam("now"),
        )
    else:
        lite = sqlite.insert(client_assertions).values(**values)
        statement = lite.on_conflict_do_update(
            index_elements=[client_assertions.c.key_hash],
            set_={"expires_at": lite.excluded.expires_at},
            where=client_assertions.c.expires_at < bindparam("now"),
        )
    returning: ClauseElement = statement.returning(client_assertions.c.key_hash)
    return returning


class GrantStore(StoreBase):
    """Grants with their codes and tokens (stored hashed), client assertion replay guard, releases."""

    def __init__(self, engine: Engine, clock: Clock = time.time) -> None:
        super().__init__(engine, clock)
        self._token_with_grant = Compiled(
            _TOKEN_WITH_GRANT, engine, [c.name for c in _TOKEN_WITH_GRANT.selected_columns]
        )
        self._use_refresh = Compiled(_USE_REFRESH, engine)
        self._code_with_grant = Compiled(_CODE_WITH_GRANT, engine)
        self._use_code = Compiled(_USE_CODE, engine)
        self._add_grant = Compiled(
            _insert_all(grants, "revoked_at"),
            engine,
            json_params=("claims_request", "consented_claims", "amr"),
        )
        self._add_code = Compiled(_insert_all(codes, "used_at"), engine)
        self._add_release = Compiled(_insert_all(releases, "id"), engine, json_params=("claims",))
        self._add_token = Compiled(insert(tokens).values({c: bindparam(c) for c in _TOKEN_COLUMNS}), engine)
        self._remember = Compiled(_remember_assertion(engine.dialect.name), engine, ["key_hash"])

    @property
    def network_database(self) -> bool:
        """True when the store is across the network (PostgreSQL): wait for it in a worker thread."""
        return self.engine.dialect.name != "sqlite"

    # grants and codes -------------------------------------------------------------------------

    def create_grant(
        self,
        connection: Connection,
        *,
        grant_id: str,
        account_id: str,
        client_id: str,
        scope: Sequence[str],
        claims_request: dict[str, Any] | None,
        consented_claims: Sequence[str],
        vot: str | None,
        acr: str | None,
        auth_time: int,
        amr: Sequence[str],
        now: int,
    ) -> None:
        """Store a new grant."""
        self._add_grant.rowcount(
            connection,
            {
                "id": grant_id,
                "account_id": account_id,
                "client_id": client_id,
                "scope": " ".join(scope),
                "claims_request": claims_request,
                "consented_claims": sorted(set(consented_claims)),
                "vot": vot,
                "acr": acr,
                "auth_time": auth_time,
                "amr": list(amr),
                "created_at": now,
            },
        )

    def create_code(
        self,
        connection: Connection,
        *,
        code_hash: str,
        grant_id: str,
        client_id: str,
        redirect_uri: str,
        code_challenge: str,
        nonce: str | None,
        expires_at: int,
    ) -> None:
        """Store an authorization code (its digest) bound to the grant."""
        self._add_code.rowcount(
            connection,
            {
                "code_hash": code_hash,
                "grant_id": grant_id,
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "code_challenge": code_challenge,
                "nonce": nonce,
                "expires_at": expires_at,
            },
        )

    def code_with_grant(
        self, connection: Connection, code_hash: str
    ) -> tuple[CodeRecord, GrantRecord] | None:
        """The code with digest ``code_hash`` and its grant, if any (one statement)."""
        row = self._code_with_grant.first(connection, {"code_hash": code_hash})
        if row is None:
            return None
        code = CodeRecord(
            code_hash=row["code_hash"],
            grant_id=row["grant_id"],
            client_id=row["client_id"],
            redirect_uri=row["redirect_uri"],
            code_challenge=row["code_challenge"],
            nonce=row["nonce"],
            expires_at=row["expires_at"],
            used_at=row["used_at"],
        )
        return code, _grant(row)

    def use_code(self, connection: Connection, code_hash: str, now: int) -> bool:
        """Mark the code used; False if it already was (a concurrent exchange won)."""
        return self._use_code.rowcount(connection, {"code_hash": code_hash, "now": now}) == 1

    # tokens ------------------------------------------------------------------------------------

    def token_with_grant(
        self, connection: Connection, token_hash: str
    ) -> tuple[TokenRecord, GrantRecord] | None:
        """The token with digest ``token_hash`` and its grant, if any (one statement)."""
        row = self._token_with_grant.first(connection, {"token_hash": token_hash})
        return None if row is None else (_token(row), _grant(row))

    def add_tokens(
        self, connection: Connection, *, grant_id: str, client_id: str, new: Sequence[NewToken], now: int
    ) -> None:
        """Store new tokens of the grant (one statement)."""
        self._add_token.many(
            connection,
            [
                {
                    "token_hash": t.token_hash,
                    "grant_id": grant_id,
                    "kind": t.kind,
                    "client_id": client_id,
                    "created_at": now,
                    "expires_at": t.expires_at,
                }
                for t in new
            ],
        )

    def use_refresh_token(self, connection: Connection, token_hash: str, now: int) -> bool:
        """Mark a refresh token used (rotation); False if it already was (a concurrent use won)."""
        return self._use_refresh.rowcount(connection, {"token_hash": token_hash, "now": now}) == 1

    def revoke_grant(self, connection: Connection, grant_id: str, now: int) -> None:
        """Revoke the grant and every token issued from it (RFC 6749 §4.1.2, §10.4; RFC 7009 §2.1)."""
        connection.execute(
            update(grants)
            .where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        connection.execute(
            update(tokens)
            .where(tokens.c.grant_id == grant_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def revoke_client_grants(self, connection: Connection, account_id: str, client_id: str, now: int) -> int:
        """Revoke every grant the citizen gave the client, and every access and refresh token issued
        from them (the citizen withdrew their consent), in the caller's transaction; returns how
        many grants were live."""
        of_client = (grants.c.account_id == account_id, grants.c.client_id == client_id)
        revoked = connection.execute(
            update(grants).where(*of_client, grants.c.revoked_at.is_(None)).values(revoked_at=now)
        ).rowcount
        connection.execute(
            update(tokens)
            .where(
                tokens.c.grant_id.in_(select(grants.c.id).where(*of_client).scalar_subquery()),
                tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return int(revoked)

    def revoke_token(self, connection: Connection, token_hash: str, now: int) -> None:
        """Revoke one token."""
        connection.execute(
            update(tokens)
            .where(tokens.c.token_hash == token_hash, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    # client assertions -------------------------------------------------------------------------

    def record_assertion(self, connection: Connection, key_hash: str, expires_at: int, now: int) -> bool:
        """Remember a client assertion until ``expires_at``; False if it is already remembered and
        unexpired (a replay, RFC 7523 §3 item 7). One statement: an expired entry is reused.
        RETURNING, not the row count: psycopg reports none for INSERT ... ON CONFLICT."""
        values = {"key_hash": key_hash, "expires_at": expires_at, "now": now}
        return self._remember.first(connection, values) is not None

    def purge_assertions(self, connection: Connection, now: int) -> int:
        """Forget client assertions that have expired; returns how many."""
        return int(
            connection.execute(delete(client_assertions).where(client_assertions.c.expires_at < now)).rowcount
        )

    # releases ----------------------------------------------------------------------------------

    def record_release(self, connection: Connection, release: ReleaseRecord) -> None:
        """Record a release of claims to a client."""
        self._add_release.rowcount(
            connection,
            {
                "account_id": release.account_id,
                "client_id": release.client_id,
                "organization_name": release.organization_name,
                "channel": release.channel,
                "claims": list(release.claims),
                "level": release.level,
                "released_at": release.released_at,
            },
        )

    def releases_of(self, account_id: str) -> list[ReleaseRecord]:
        """The account's releases, oldest first."""
        with self.reading() as connection:
            rows = connection.execute(
                select(releases)
                .where(releases.c.account_id == account_id)
                .order_by(releases.c.released_at, releases.c.id)
            ).all()
        return [
            ReleaseRecord(
                account_id=row.account_id,
                client_id=row.client_id,
                organization_name=row.organization_name,
                channel=row.channel,
                claims=tuple(row.claims),
                level=row.level,
                released_at=row.released_at,
            )
            for row in rows
        ]
