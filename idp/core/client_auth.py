"""Client authentication at the token, revocation and PAR endpoints.

- ``private_key_jwt`` (RFC 7523 §2.2, §3; OpenID Connect Core §9): a JWT signed by a key in the
  client's (resolved) JWKS, ``iss`` = ``sub`` = client ID, ``aud`` naming this provider, ``exp``,
  a single-use ``jti``; asymmetric algorithms from the allow-list only, never ``none`` or HMAC.
- ``client_secret_basic`` (RFC 6749 §2.3.1: ``client_id:client_secret``, each form-urlencoded,
  then base64) and ``client_secret_post``: only for static development clients registered so.

A client must use exactly its registered method, and one method per request (RFC 6749 §2.3).
Every failure is ``invalid_client`` saying precisely why (RFC 6749 §5.2; RFC 7521 §4.2.1); more
than one method in a request is ``invalid_request``. Nothing is written unless every check
passed: the ``jti`` is remembered last.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from sqlalchemy import Connection

from federation.errors import Check, InvalidJwt
from federation.jose import AlgorithmPolicy, decode_unverified, verify_jws
from idp.core.clients import Client, ClientKind
from idp.core.errors import InvalidClient, InvalidRequest
from idp.services import IdpServices

__all__ = [
    "ASSERTION_TYPE",
    "AssertionUse",
    "ClientAuthentication",
    "authenticate_client",
    "record_assertion",
    "verify_client",
]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Clock skew allowed on ``exp``, ``iat`` and ``nbf`` (seconds).
LEEWAY = 60
#: The longest an assertion may live: its ``jti`` is remembered until it expires. One hour is the
#: default of common client libraries; five minutes more for skew.
MAX_LIFETIME = 3600 + 300
MAX_JTI = 256
_TYPS = ("JWT", "client-authentication+jwt", None)
_SECRET_METHODS = ("client_secret_basic", "client_secret_post")
_purge_counter = itertools.count()


@dataclass(frozen=True, slots=True)
class AssertionUse:
    """A verified client assertion's ``jti`` still to be remembered (digest of client ID and jti)."""

    key_hash: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class ClientAuthentication:
    """An authenticated client, the method it used, and the assertion to record (if any)."""

    client: Client
    method: str
    assertion: AssertionUse | None


def _basic(authorization: str) -> tuple[str, str]:
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient(
            f"the Authorization header uses the {scheme[:20]!r} scheme; clients authenticate with Basic "
            "(client_secret_basic) or a client assertion (private_key_jwt)"
        )
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("the Basic credentials are not base64-encoded UTF-8") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise InvalidClient("the Basic credentials are not client_id:client_secret")
    return unquote_plus(client_id), unquote_plus(secret)


def _check_method(client: Client, method: str) -> None:
    if client.token_endpoint_auth_method != method:
        raise InvalidClient(
            f"client {client.client_id[:200]!r} must authenticate with {client.token_endpoint_auth_method}, "
            f"not {method}"
        )
    if method in _SECRET_METHODS and (client.kind is not ClientKind.STATIC or client.secret_sha256 is None):
        raise InvalidClient("client secrets are accepted only from static development clients")


async def _secret(services: IdpServices, client_id: str, secret: str, method: str) -> ClientAuthentication:
    client = await services.clients.get(client_id)
    _check_method(client, method)
    if not client.secret_matches(secret):
        raise InvalidClient(f"the client secret of {client_id[:200]!r} is wrong")
    return ClientAuthentication(client, method, None)


def _audience_ok(aud: Any, accepted: frozenset[str]) -> bool:
    if isinstance(aud, str):
        return aud in accepted
    return isinstance(aud, list) and any(isinstance(a, str) and a in accepted for a in aud)


def _number(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidClient(f"client assertion {name} must be a number (seconds since the epoch)")
    return int(value)


def _verify_signature(services: IdpServices, client: Client, token: str, header: Mapping[str, Any]) -> None:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise InvalidClient("unsigned client assertions (alg 'none') are never accepted")
    if alg.upper().startswith("HS"):
        raise InvalidClient(
            f"client assertions signed with HMAC ({alg[:10]!r}) are never accepted: sign with the private "
            "key of a key in the client's JWKS"
        )
    allowed = services.config.client_assertion_algorithms
    if alg not in allowed:
        raise InvalidClient(
            f"client assertion algorithm {alg[:20]!r} is not accepted (accepted: {', '.join(allowed)})"
        )
    if client.jwks is None:
        raise InvalidClient(f"client {client.client_id[:200]!r} has no public keys to verify its assertion")
    try:
        verify_jws(token, client.jwks, _TYPS, policy=AlgorithmPolicy(allowed), require_kid=False)
    except InvalidJwt as exc:
        if exc.check is Check.SIGNATURE:
            raise InvalidClient(
                "client assertion signature does not verify with the client's keys", detail=exc.description
            ) from None
        if exc.check is Check.KID:
            kid = header.get("kid")
            if kid is None:
                raise InvalidClient(f"the client's JWKS has no key for {alg} assertions") from None
            raise InvalidClient(
                f"client assertion key {str(kid)[:100]!r} is not in the client's JWKS"
            ) from None
        if exc.check is Check.TYP:
            raise InvalidClient(f"client assertion typ {header.get('typ')!r} is not JWT") from None
        raise InvalidClient(f"client assertion rejected: {exc.description}") from None


def _check_claims(
    services: IdpServices, client_id: str, claims: Mapping[str, Any], endpoint: str
) -> AssertionUse:
    now = services.now()
    endpoints = services.config.endpoints
    accepted = frozenset({services.config.issuer, endpoints.token, endpoint})
    aud = claims.get("aud")
    if not _audience_ok(aud, accepted):
        raise InvalidClient(f"client assertion audience {json.dumps(aud)[:300]} is not this provider")
    exp = _number(claims, "exp")
    if exp is None:
        raise InvalidClient("client assertion has no exp")
    if exp + LEEWAY < now:
        raise InvalidClient("client assertion is expired")
    if exp > now + MAX_LIFETIME:
        raise InvalidClient(f"client assertion expires more than {MAX_LIFETIME} seconds from now")
    iat = _number(claims, "iat")
    if iat is not None and iat > now + LEEWAY:
        raise InvalidClient("client assertion was issued in the future (iat)")
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf > now + LEEWAY:
        raise InvalidClient("client assertion is not valid yet (nbf)")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise InvalidClient("client assertion has no jti")
    if len(jti) > MAX_JTI:
        raise InvalidClient(f"client assertion jti is longer than {MAX_JTI} characters")
    key_hash = hashlib.sha256(f"{client_id}\n{jti}".encode()).hexdigest()
    return AssertionUse(key_hash=key_hash, expires_at=exp + LEEWAY)


async def _assertion(services: IdpServices, params: Mapping[str, str], endpoint: str) -> ClientAuthentication:
    kind = params.get("client_assertion_type")
    if kind != ASSERTION_TYPE:
        raise InvalidClient(f"client_assertion_type must be {ASSERTION_TYPE}")
    token = params.get("client_assertion")
    if token is None:
        raise InvalidClient("client_assertion is required with client_assertion_type")
    try:
        header, claims = decode_unverified(token)
    except InvalidJwt as exc:
        raise InvalidClient(f"client assertion is not a JWT: {exc.description}") from None
    iss, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(iss, str) or not iss or iss != sub:
        raise InvalidClient("client assertion iss and sub must both be the client_id")
    given = params.get("client_id")
    if given is not None and given != iss:
        raise InvalidClient("client_id does not match the client assertion's iss")
    client = await services.clients.get(iss)
    _check_method(client, "private_key_jwt")
    _verify_signature(services, client, token, header)
    use = _check_claims(services, client.client_id, claims, endpoint)
    return ClientAuthentication(client, "private_key_jwt", use)


async def verify_client(
    services: IdpServices, params: Mapping[str, str], authorization: str | None, *, endpoint: str
) -> ClientAuthentication:
    """Authenticate the client of a request WITHOUT writing anything: the caller records the
    assertion's ``jti`` (:func:`record_assertion`) in its own transaction.

    ``endpoint`` is the URL of the endpoint called, accepted as the assertion's ``aud`` besides
    the issuer and the token endpoint (RFC 9126 §2).
    """
    presented = [
        name
        for name, present in (
            ("client_secret_basic", authorization is not None),
            ("private_key_jwt", "client_assertion" in params or "client_assertion_type" in params),
            ("client_secret_post", "client_secret" in params),
        )
        if present
    ]
    if len(presented) > 1:
        raise InvalidRequest(
            f"the request uses more than one client authentication method ({', '.join(presented)})"
        )
    if not presented:
        raise InvalidClient("client authentication is required (private_key_jwt)")
    method = presented[0]
    if method == "private_key_jwt":
        return await _assertion(services, params, endpoint)
    if method == "client_secret_basic":
        assert authorization is not None
        client_id, secret = _basic(authorization)
        given = params.get("client_id")
        if given is not None and given != client_id:
            raise InvalidClient("client_id does not match the Basic credentials")
    else:
        given = params.get("client_id")
        if given is None:
            raise InvalidClient("client_secret_post needs client_id")
        client_id, secret = given, params["client_secret"]
    return await _secret(services, client_id, secret, method)


def record_assertion(services: IdpServices, connection: Connection, use: AssertionUse) -> None:
    """Remember the assertion's ``jti`` in the caller's transaction; ``invalid_client`` if it was
    used before (RFC 7523 §3 item 7). Expired entries are purged now and then."""
    now = services.now()
    if not services.grants.record_assertion(connection, use.key_hash, use.expires_at, now):
        raise InvalidClient("client assertion jti has been used before")
    if next(_purge_counter) % 1000 == 999:
        services.grants.purge_assertions(connection, now)


async def authenticate_client(
    services: IdpServices, params: Mapping[str, str], authorization: str | None, *, endpoint: str
) -> Client:
    """The authenticated client; ``invalid_client`` (or ``invalid_request`` for more than one
    method) saying why not. A client assertion's ``jti`` is remembered once everything passed."""
    found = await verify_client(services, params, authorization, endpoint=endpoint)
    if found.assertion is not None:
        with services.grants.transaction() as connection:
            record_assertion(services, connection, found.assertion)
    return found.client
