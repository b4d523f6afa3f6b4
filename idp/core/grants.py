"""Grants, authorization codes and tokens: issuing a code, the token endpoint's two grants,
revocation and access token lookup.

- Codes (RFC 6749 §4.1.2, §10.5; OpenID Connect Core §3.1.3.2): random, stored as a digest, valid
  ``code_lifetime`` seconds, bound to the client, redirect URI, PKCE challenge (RFC 7636, S256) and
  nonce. A code used twice is refused AND the grant is revoked with every token issued from it
  (RFC 6749 §4.1.2, §10.5).
- Access tokens are opaque, random, stored as a digest (bearer, RFC 6750). Refresh tokens are
  issued to clients whose ``grant_types`` include ``refresh_token`` (no ``offline_access`` scope
  is needed: the client's registration decides), rotate on every use and are bound to the client;
  a rotated refresh token presented again revokes the whole grant (OAuth 2.0 Security BCP
  §4.14.2). A rotated refresh token keeps the original expiry: ``refresh_token_lifetime`` counts
  from the code exchange, so a grant does not live forever by being refreshed.
- Each token request is ONE transaction: the client assertion's ``jti``, the code or refresh
  token, the new tokens and the record of claims released commit together, and a rejected request
  rolls back whole (nothing changed). The exception is reuse detection, whose revocation commits
  before the error is returned.
- The refresh grant is the hot path: a join, an update and an insert, no other reads, unless the
  claims request asks for user claims in the ID token (then the account's identity is read too).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from idp.core.claims import has_id_token_claims, release_claims
from idp.core.client_auth import AssertionUse, record_assertion
from idp.core.clients import Client
from idp.core.errors import InvalidGrant, InvalidScope, InvalidToken
from idp.core.id_token import id_token
from idp.core.requests import AuthorizationRequest
from idp.services import IdpServices
from idp.store import digest
from idp.store.grants import ACCESS, REFRESH, GrantRecord, NewToken

__all__ = [
    "TokenResponse",
    "access_grant",
    "exchange_code",
    "issue_code",
    "refresh_tokens",
    "revoke_token",
    "s256",
]

#: RFC 7636 §4.1: 43 to 128 characters of the unreserved set.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def _secret() -> str:
    return secrets.token_urlsafe(32)


def s256(verifier: str) -> str:
    """The S256 code challenge of ``verifier`` (RFC 7636 §4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """A successful token response (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3)."""

    access_token: str
    expires_in: int
    id_token: str
    scope: str
    refresh_token: str | None

    def to_json(self) -> dict[str, Any]:
        """The response body."""
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "id_token": self.id_token,
            "scope": self.scope,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        return body


def issue_code(
    services: IdpServices,
    *,
    client: Client,
    request: AuthorizationRequest,
    account_id: str,
    auth_time: int,
    amr: Sequence[str],
    consented_claims: Sequence[str],
    vot: str | None,
    acr: str | None,
    connection: Connection | None = None,
) -> str:
    """Create a grant and its authorization code in one transaction (the caller's, when given
    ``connection``); returns the code."""
    code = _secret()
    now = services.now()
    grant_id = str(uuid.uuid4())
    store = services.grants
    with store.writing(connection) as writer:
        store.create_grant(
            writer,
            grant_id=grant_id,
            account_id=account_id,
            client_id=client.client_id,
            scope=request.scope,
            claims_request=request.claims,
            consented_claims=consented_claims,
            vot=vot,
            acr=acr,
            auth_time=auth_time,
            amr=amr,
            now=now,
        )
        store.create_code(
            writer,
            code_hash=digest(code),
            grant_id=grant_id,
            client_id=client.client_id,
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            nonce=request.nonce,
            expires_at=now + services.config.code_lifetime,
        )
    return code


def _issue(
    services: IdpServices,
    connection: Connection,
    client: Client,
    grant: GrantRecord,
    *,
    now: int,
    nonce: str | None,
    refresh_expires_at: int,
) -> TokenResponse:
    """New tokens for ``grant`` and the ID token (with its released claims), in the transaction."""
    config = services.config
    access = _secret()
    refresh = _secret() if "refresh_token" in client.grant_types else None
    new = [NewToken(digest(access), ACCESS, now + config.access_token_lifetime)]
    if refresh is not None:
        new.append(NewToken(digest(refresh), REFRESH, refresh_expires_at))
    services.grants.add_tokens(connection, grant_id=grant.id, client_id=client.client_id, new=new, now=now)
    claims: dict[str, Any] = {}
    if has_id_token_claims(grant):
        account = services.accounts.by_id(grant.account_id, connection=connection)
        if account is None:
            raise InvalidGrant("the account of this grant no longer exists")
        claims = release_claims(
            services,
            connection,
            client=client,
            grant=grant,
            account=account,
            channel="id_token",
            now=now,
        )
    token = id_token(services, client, grant, now=now, access_token=access, nonce=nonce, claims=claims)
    return TokenResponse(
        access_token=access,
        expires_in=config.access_token_lifetime,
        id_token=token,
        scope=" ".join(grant.scope),
        refresh_token=refresh,
    )


def _verifier_matches(verifier: str, challenge: str) -> bool:
    if not _VERIFIER.fullmatch(verifier):
        raise InvalidGrant(
            "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)"
        )
    return hmac.compare_digest(s256(verifier), challenge)


def exchange_code(
    services: IdpServices,
    client: Client,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    assertion: AssertionUse | None,
) -> TokenResponse:
    """The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.6, Core §3.1.3.2)."""
    store = services.grants
    now = services.now()
    reused: InvalidGrant | None = None
    with store.transaction() as connection:
        if assertion is not None:
            record_assertion(services, connection, assertion)
        found = store.code_with_grant(connection, digest(code))
        if found is None:
            raise InvalidGrant("the authorization code is not known")
        record, grant = found
        if record.client_id != client.client_id:
            raise InvalidGrant("the authorization code was issued to another client")
        if record.used_at is not None or not store.use_code(connection, record.code_hash, now):
            store.revoke_grant(connection, grant.id, now)
            reused = InvalidGrant(
                "the authorization code has already been used; the tokens issued with it are revoked"
            )
        else:
            if grant.revoked_at is not None:
                raise InvalidGrant("the authorization code's grant has been revoked")
            if record.expires_at <= now:
                raise InvalidGrant("the authorization code is expired")
            if redirect_uri != record.redirect_uri:
                raise InvalidGrant("redirect_uri is not the one of the authorization request")
            if not _verifier_matches(code_verifier, record.code_challenge):
                raise InvalidGrant("code_verifier does not match the code_challenge (RFC 7636 §4.6)")
            return _issue(
                services,
                connection,
                client,
                grant,
                now=now,
                nonce=record.nonce,
                refresh_expires_at=now + services.config.refresh_token_lifetime,
            )
    raise reused


def refresh_tokens(
    services: IdpServices,
    client: Client,
    *,
    refresh_token: str,
    scope: str | None,
    assertion: AssertionUse | None,
) -> TokenResponse:
    """The refresh token grant (RFC 6749 §6, Core §12), rotating (Security BCP §4.14.2)."""
    store = services.grants
    now = services.now()
    reused: InvalidGrant | None = None
    token_hash = digest(refresh_token)
    with store.transaction() as connection:
        if assertion is not None:
            record_assertion(services, connection, assertion)
        found = store.token_with_grant(connection, token_hash)
        if found is None or found[0].kind != REFRESH:
            raise InvalidGrant("the refresh token is not known")
        token, grant = found
        if token.client_id != client.client_id:
            raise InvalidGrant("the refresh token was issued to another client")
        if token.revoked_at is not None or grant.revoked_at is not None:
            raise InvalidGrant("the refresh token has been revoked")
        if token.used_at is not None or not store.use_refresh_token(connection, token_hash, now):
            store.revoke_grant(connection, grant.id, now)
            reused = InvalidGrant(
                "the refresh token has already been used; every token of this grant is revoked"
            )
        else:
            if token.expires_at <= now:
                raise InvalidGrant("the refresh token is expired")
            if scope is not None:
                asked = frozenset(scope.split())
                if not asked <= frozenset(grant.scope):
                    extra = " ".join(sorted(asked - frozenset(grant.scope)))
                    raise InvalidScope(f"scope {extra[:200]} was not granted (RFC 6749 §6)")
                if asked != frozenset(grant.scope):
                    raise InvalidScope("narrowing the scope on refresh is not supported: omit scope")
            return _issue(
                services, connection, client, grant, now=now, nonce=None, refresh_expires_at=token.expires_at
            )
    raise reused


def revoke_token(services: IdpServices, client: Client, token: str) -> bool:
    """Revoke ``token`` if it is ``client``'s (RFC 7009 §2.1): a refresh token with its whole grant,
    an access token alone. Returns whether anything was revoked; an unknown token, or another
    client's, is not an error (§2.2) and changes nothing."""
    store = services.grants
    now = services.now()
    with store.transaction() as connection:
        found = store.token_with_grant(connection, digest(token))
        if found is None or found[0].client_id != client.client_id:
            return False
        record, grant = found
        if record.kind == REFRESH:
            store.revoke_grant(connection, grant.id, now)
        else:
            store.revoke_token(connection, record.token_hash, now)
    return True


def access_grant(services: IdpServices, access_token: str) -> GrantRecord:
    """The grant behind a bearer access token; ``invalid_token`` if it is unknown, expired or
    revoked (RFC 6750 §3.1)."""
    now = services.now()
    with services.grants.transaction() as connection:
        found = services.grants.token_with_grant(connection, digest(access_token))
    if found is None or found[0].kind != ACCESS:
        raise InvalidToken("the access token is not known")
    token, grant = found
    if token.revoked_at is not None or grant.revoked_at is not None:
        raise InvalidToken("the access token has been revoked")
    if token.expires_at <= now:
        raise InvalidToken("the access token is expired")
    return grant
