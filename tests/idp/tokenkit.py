"""Helpers for the token side's tests: codes without the browser pages (``issue_code`` directly),
client assertions (RFC 7523), token requests, ID token verification, and a module-scoped provider.

A provider costs about a second to start, so the token tests share one per module and database
(:func:`module_kit`); each test makes its own account, and a test that moves the clock far puts
it back (:func:`later`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
from joserfc.jwk import KeySet

from federation.jose import AlgorithmPolicy, AnyKey, sign_jwt, verify_jws
from federation.keys import generate_key
from idp.core.client_auth import ASSERTION_TYPE
from idp.core.clients import Client
from idp.core.discovery import SCOPE_CLAIMS
from idp.core.grants import issue_code, s256
from idp.core.requests import AuthorizationRequest
from idp.core.seed import PERSONAS, seed_development_accounts
from idp.store.accounts import Account
from schemas.requests import ClaimsRequest, requested_claim_names
from tests.dbkit import database
from tests.idp.idpkit import ISSUER, JWT_CLIENT, SECRET, SECRET_CLIENT, IdpKit, client_key, idp_kit

TOKEN = f"{ISSUER}/token"
USERINFO = f"{ISSUER}/userinfo"
REVOKE = f"{ISSUER}/revoke"
#: RFC 7636 Appendix B's verifier.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
NONCE = "n-0S6_WzA2Mj"
REDIRECTS = {
    SECRET_CLIENT: "https://static.example/callback",
    JWT_CLIENT: "https://static-jwt.example/callback",
}
ID_TOKEN_POLICY = AlgorithmPolicy(("ES256", "PS256", "RS256"))


def module_kit() -> Any:
    """A ``kit`` fixture shared by the tests of one module, on SQLite and on PostgreSQL.

    Use as ``kit = module_kit()`` at module level."""

    @pytest.fixture(scope="module", params=["sqlite", "postgresql"], name="kit")
    def _kit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpKit]:
        directory: Path = tmp_path_factory.mktemp("idp")
        with database(request.param, directory) as url, idp_kit(url, directory) as running:
            yield running

    return _kit


@contextmanager
def later(kit: IdpKit, seconds: float) -> Iterator[None]:
    """Move the clock forward for the block, then back (the module's kit is shared)."""
    kit.advance(seconds)
    try:
        yield
    finally:
        kit.advance(-seconds)


def new_account(kit: IdpKit, claims: dict[str, Any] | None = None) -> Account:
    """A fresh account (unique username) with ``claims``."""
    return kit.account(f"{uuid.uuid4().hex[:12]}@example.test", claims or {})


def persona(kit: IdpKit, level: str) -> Account:
    """The seeded development account proven to ``level`` (seeding it if needed)."""
    seed_development_accounts(kit.services.accounts, kit.services.passwords)
    username = next(p.username for p in PERSONAS if p.expected_level == level)
    found = kit.services.accounts.by_username(username)
    assert found is not None
    return found


def client(kit: IdpKit, client_id: str = SECRET_CLIENT) -> Client:
    """A static client."""
    return kit.services.clients.static[client_id]


def consent_names(request: AuthorizationRequest) -> list[str]:
    """Every claim the request names (scope claims and the claims parameter): all consented."""
    names = [n for scope in request.scope for n in SCOPE_CLAIMS.get(scope, ())]
    if request.claims is not None:
        names += sorted(requested_claim_names(ClaimsRequest.model_validate(request.claims)))
    return names


def code_for(
    kit: IdpKit,
    account: Account,
    *,
    client_id: str = SECRET_CLIENT,
    scope: Sequence[str] = ("openid",),
    claims: dict[str, Any] | None = None,
    consented: Sequence[str] | None = None,
    nonce: str | None = NONCE,
    vot: str | None = "Cl",
    acr: str | None = None,
    verifier: str = VERIFIER,
) -> str:
    """An authorization code as the authorization endpoint would issue it after consent."""
    request = AuthorizationRequest(
        client_id=client_id,
        redirect_uri=REDIRECTS[client_id],
        scope=tuple(scope),
        code_challenge=s256(verifier),
        state="af0ifjsldkj",
        nonce=nonce,
        claims=claims,
    )
    return issue_code(
        kit.services,
        client=client(kit, client_id),
        request=request,
        account_id=account.id,
        auth_time=kit.now() - 5,
        amr=["pwd"],
        consented_claims=consent_names(request) if consented is None else consented,
        vot=vot,
        acr=acr,
    )


def basic(client_id: str = SECRET_CLIENT, secret: str = SECRET) -> dict[str, str]:
    """``Authorization: Basic`` for a client secret (RFC 6749 §2.3.1: form-urlencoded, then base64)."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def assertion(
    kit: IdpKit,
    *,
    client_id: str = JWT_CLIENT,
    aud: Any = TOKEN,
    key: AnyKey | None = None,
    alg: str = "ES256",
    lifetime: int = 60,
    jti: str | None = None,
    claims: dict[str, Any] | None = None,
    drop: Sequence[str] = (),
) -> str:
    """A ``private_key_jwt`` client assertion (RFC 7523 §3), signed by the JWT client's key."""
    now = kit.now()
    body: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "iat": now,
        "exp": now + lifetime,
        "jti": jti or uuid.uuid4().hex,
        **(claims or {}),
    }
    for name in drop:
        body.pop(name, None)
    return sign_jwt(body, key or client_key(), "JWT", alg=alg)


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A compact JWS with any header and signature bytes (for ``alg: none`` and HMAC tests)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = part(json.dumps(header).encode()) + "." + part(json.dumps(claims).encode())
    return signing_input + "." + part(signature)


def hmac_assertion(kit: IdpKit, secret: bytes = SECRET.encode()) -> str:
    """An HS256 client assertion keyed with the client secret (never accepted)."""
    now = kit.now()
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"iss": JWT_CLIENT, "sub": JWT_CLIENT, "aud": TOKEN, "exp": now + 60, "jti": uuid.uuid4().hex}
    token = unsigned(header, claims)
    signing_input = token.rsplit(".", 1)[0]
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return unsigned(header, claims, signature)


def jwt_auth(token: str) -> dict[str, str]:
    """Form fields authenticating with a client assertion."""
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": token}


def post(
    kit: IdpKit, url: str, data: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    """POST a form."""
    response: httpx.Response = kit.client.post(url, data=data, headers=headers or {})
    return response


def exchange(
    kit: IdpKit,
    code: str,
    *,
    client_id: str = SECRET_CLIENT,
    verifier: str | None = VERIFIER,
    redirect_uri: str | None = None,
    auth: dict[str, str] | None = None,
) -> httpx.Response:
    """The authorization code grant, authenticated as ``client_id`` (secret, or a fresh assertion)."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri or REDIRECTS[client_id],
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    return _authenticated(kit, data, client_id, auth)


def refresh(
    kit: IdpKit,
    token: str,
    *,
    client_id: str = SECRET_CLIENT,
    auth: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
) -> httpx.Response:
    """The refresh token grant, authenticated as ``client_id``."""
    return _authenticated(
        kit, {"grant_type": "refresh_token", "refresh_token": token, **(extra or {})}, client_id, auth
    )


def _authenticated(
    kit: IdpKit, data: dict[str, str], client_id: str, auth: dict[str, str] | None
) -> httpx.Response:
    if auth is not None:
        headers = {k: v for k, v in auth.items() if k == "Authorization"}
        data = {**data, **{k: v for k, v in auth.items() if k != "Authorization"}}
        return post(kit, TOKEN, data, headers)
    if client_id == JWT_CLIENT:
        return post(kit, TOKEN, {**data, **jwt_auth(assertion(kit))})
    return post(kit, TOKEN, data, basic(client_id))


def tokens(kit: IdpKit, account: Account, **options: Any) -> dict[str, Any]:
    """A successful code exchange's response body (options go to :func:`code_for`)."""
    client_id = options.get("client_id", SECRET_CLIENT)
    response = exchange(kit, code_for(kit, account, **options), client_id=client_id)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def verify_id_token(kit: IdpKit, token: str) -> dict[str, Any]:
    """The claims of an ID token whose signature verifies with the provider's published keys."""
    keys = KeySet.import_key_set(kit.client.get("/jwks").json())
    return verify_jws(token, keys, ("JWT",), policy=ID_TOKEN_POLICY).claims


def userinfo(kit: IdpKit, access_token: str, *, method: str = "GET") -> httpx.Response:
    """Call the UserInfo endpoint with a bearer token."""
    response: httpx.Response = kit.client.request(
        method, USERINFO, headers={"Authorization": f"Bearer {access_token}"}
    )
    return response


@cache
def other_key() -> AnyKey:
    """An ES256 key the JWT client never registered."""
    return generate_key("ES256")
