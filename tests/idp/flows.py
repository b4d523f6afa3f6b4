"""Drive the provider's authorization code flow as a browser would, with the kit's ``TestClient``.

``authorize_code(kit, ...)`` runs authorize → sign-in page → consent page → redirect with the code
and returns an :class:`Authorized` (code, PKCE verifier, the request's state and nonce). The steps
are also available one by one (``start``, ``page``, ``sign_in``, ``decide``), with assertions for
the error answers: an error page (``assert_error_page``, ``assert_problem_page``) and an error
redirect to the client (``assert_redirect_error``). Redirects are never followed automatically:
a redirect to the client must not reach the provider's app.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlsplit

import httpx
import pytest

from federation.jose import sign_jwt
from idp.store.accounts import Account
from tests.dbkit import database
from tests.idp.idpkit import ISSUER, JWT_CLIENT, PASSWORD, SECRET, SECRET_CLIENT, IdpKit, client_key, idp_kit
from tests.trust_registry.htmlpage import Node, page

__all__ = [
    "REDIRECT_URIS",
    "Authorized",
    "assert_error_page",
    "assert_problem_page",
    "assert_redirect_error",
    "authorization_params",
    "authorize_code",
    "basic_auth",
    "citizen",
    "client_assertion",
    "decide",
    "form_fields",
    "pkce",
    "push",
    "redirect_query",
    "shared_kit",
    "sign_in",
    "start",
]

#: The static test clients' redirect URIs.
REDIRECT_URIS = {
    SECRET_CLIENT: "https://static.example/callback",
    JWT_CLIENT: "https://static-jwt.example/callback",
}
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


@contextmanager
def shared_kit(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpKit]:
    """A provider on a fresh database of ``kind`` for a whole test module (tests that share it use
    their own accounts, see :func:`citizen`, and clear the browser's cookies)."""
    tmp = tmp_path_factory.mktemp("idp")
    with database(kind, tmp) as url, idp_kit(url, tmp) as running:
        yield running


def citizen(kit: IdpKit, claims: Mapping[str, Any] | None = None) -> Account:
    """A new account with a unique username (password :data:`PASSWORD`)."""
    return kit.account(f"citizen-{uuid.uuid4().hex[:12]}@example.org", dict(claims or {}))


def pkce() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge (RFC 7636 §4.1-§4.2)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class Authorized:
    """A successful authorization: the code, and what the token request needs with it."""

    code: str
    verifier: str
    client_id: str
    redirect_uri: str
    state: str | None
    nonce: str | None
    #: Every parameter of the authorization response (code, state, iss).
    response: dict[str, str] = field(default_factory=dict)


def authorization_params(
    *,
    client_id: str = SECRET_CLIENT,
    redirect_uri: str | None = None,
    scope: str = "openid",
    challenge: str | None = None,
    state: str | None = "af0ifjsldkj",
    nonce: str | None = "n-0S6_WzA2Mj",
    claims: Mapping[str, Any] | str | None = None,
    vtr: list[str] | str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The parameters of an authorization request (Core §3.1.2.1) with an S256 challenge;
    ``extra`` adds or replaces parameters (a value of ``""`` sends the parameter empty)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri or REDIRECT_URIS.get(client_id, f"{client_id}/callback"),
        "scope": scope,
        "code_challenge": challenge or pkce()[1],
        "code_challenge_method": "S256",
    }
    if state is not None:
        params["state"] = state
    if nonce is not None:
        params["nonce"] = nonce
    if claims is not None:
        params["claims"] = claims if isinstance(claims, str) else json.dumps(claims)
    if vtr is not None:
        params["vtr"] = vtr if isinstance(vtr, str) else json.dumps(vtr)
    params.update(extra or {})
    return params


def start(kit: IdpKit, params: Mapping[str, str], *, method: str = "GET") -> httpx.Response:
    """The authorization request (GET query, or POST form), redirects not followed."""
    response: httpx.Response
    if method == "POST":
        response = kit.client.post("/authorize", data=dict(params), follow_redirects=False)
    else:
        response = kit.client.get("/authorize", params=dict(params), follow_redirects=False)
    return response


def follow(kit: IdpKit, response: httpx.Response) -> httpx.Response:
    """GET the provider page a 303 points to."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/") or location.startswith(ISSUER), location
    page_response: httpx.Response = kit.client.get(location, follow_redirects=False)
    return page_response


def form_fields(response: httpx.Response) -> dict[str, str]:
    """The hidden fields of the page's form (interaction, csrf_token ...)."""
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(response.text)}


def sign_in(
    kit: IdpKit, login_page: httpx.Response, username: str, password: str = PASSWORD
) -> httpx.Response:
    """Submit the sign-in form of ``login_page``."""
    data = {**form_fields(login_page), "username": username, "password": password}
    response: httpx.Response = kit.client.post("/login", data=data, follow_redirects=False)
    return response


def decide(kit: IdpKit, consent_page: httpx.Response, decision: str = "agree") -> httpx.Response:
    """Submit the consent form of ``consent_page`` (``agree`` or ``cancel``)."""
    data = {**form_fields(consent_page), "decision": decision}
    response: httpx.Response = kit.client.post("/consent", data=data, follow_redirects=False)
    return response


def redirect_query(response: httpx.Response, redirect_uri: str) -> dict[str, str]:
    """The parameters of a 303 redirect to ``redirect_uri`` (asserting it goes there)."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == redirect_uri, location
    return dict(parse_qsl(parts.query, keep_blank_values=True))


def authorize_code(
    kit: IdpKit,
    *,
    client_id: str = SECRET_CLIENT,
    redirect_uri: str | None = None,
    scope: str = "openid",
    claims: Mapping[str, Any] | None = None,
    vtr: list[str] | None = None,
    username: str = "citizen",
    password: str = PASSWORD,
    state: str | None = "af0ifjsldkj",
    nonce: str | None = "n-0S6_WzA2Mj",
    extra: Mapping[str, str] | None = None,
    request_uri: tuple[str, str] | None = None,
) -> Authorized:
    """A complete browser login ending in a code; the account ``username`` must exist.

    ``request_uri``: ``(request_uri, verifier)`` of a pushed request (see :func:`push`), sent with
    ``client_id`` alone (RFC 9126 §4). Signs in and consents as the pages ask (neither page is
    shown again when a session and a remembered consent cover the request).
    """
    if request_uri is not None:
        params = {"client_id": client_id, "request_uri": request_uri[0]}
        verifier = request_uri[1]
    else:
        verifier, challenge = pkce()
        params = authorization_params(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            challenge=challenge,
            state=state,
            nonce=nonce,
            claims=claims,
            vtr=vtr,
            extra=extra,
        )
    target = redirect_uri or REDIRECT_URIS.get(client_id, f"{client_id}/callback")
    response = start(kit, params)
    for _step in range(4):
        assert response.status_code == 303, response.text
        path = urlsplit(response.headers["location"]).path
        if path.endswith("/login"):
            response = sign_in(kit, follow(kit, response), username, password)
        elif path.endswith("/consent"):
            response = decide(kit, follow(kit, response))
        else:
            break
    query = redirect_query(response, target)
    assert "code" in query, query
    return Authorized(
        code=query["code"],
        verifier=verifier,
        client_id=client_id,
        redirect_uri=target,
        state=query.get("state"),
        nonce=nonce if request_uri is None else None,
        response=query,
    )


def basic_auth(client_id: str = SECRET_CLIENT, secret: str = SECRET) -> dict[str, str]:
    """``client_secret_basic`` (RFC 6749 §2.3.1: each part form-urlencoded, then base64)."""
    token = base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def client_assertion(
    client_id: str = JWT_CLIENT, audience: str = ISSUER, *, key: Any = None, now: int | None = None
) -> dict[str, str]:
    """``private_key_jwt`` form fields (RFC 7523 §2.2) signed with the client's key."""
    issued = int(time.time()) if now is None else now
    claims: dict[str, Any] = {"iss": client_id, "sub": client_id, "aud": audience, "jti": str(uuid.uuid4())}
    claims |= {"iat": issued, "exp": issued + 60}
    return {
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": sign_jwt(claims, key or client_key(), "JWT"),
    }


def push(
    kit: IdpKit, params: Mapping[str, str], *, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """POST a pushed authorization request (RFC 9126 §2.1); client authentication in ``params``
    (an assertion) or ``headers`` (Basic)."""
    response: httpx.Response = kit.client.post("/par", data=dict(params), headers=dict(headers or {}))
    return response


def assert_error_page(response: httpx.Response, error: str, description: str, *, status: int = 400) -> Node:
    """An error page naming the OAuth ``error`` and its description; no redirect (RFC 6749 §4.1.2.1)."""
    assert "location" not in response.headers, response.headers
    doc = page(response, status)
    assert doc.one(id="error-code").text() == error
    assert doc.one(id="problem").text() == description
    return doc


def assert_problem_page(response: httpx.Response, reason: str, *, status: int = 400) -> Node:
    """An error page of a browser step that cannot go on (``csrf``, ``expired``, ``completed`` ...)."""
    assert "location" not in response.headers, response.headers
    doc = page(response, status)
    assert doc.one(id="problem").attrs["data-reason"] == reason, doc.one(id="problem").text()
    return doc


def assert_redirect_error(
    response: httpx.Response, redirect_uri: str, error: str, description: str, state: str | None
) -> None:
    """An error response to the client (RFC 6749 §4.1.2.1) with ``state`` and ``iss`` (RFC 9207)."""
    query = redirect_query(response, redirect_uri)
    expected = {"error": error, "error_description": description, "iss": ISSUER}
    if state is not None:
        expected["state"] = state
    assert query == expected, query
