"""UserInfo endpoint (OpenID Connect Core §5.3): GET or POST with a bearer access token in the
``Authorization`` header (RFC 6750 §2.1). Tokens in a form body or the query (§2.2, §2.3) are not
accepted. Missing, unknown, expired or revoked tokens: 401 ``invalid_token`` with a
``WWW-Authenticate: Bearer`` challenge (RFC 6750 §3). Responses are never cached.
"""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from idp.core.claims import userinfo
from idp.core.errors import InvalidClient, InvalidToken
from idp.core.grants import access_grant
from idp.endpoints._http import NO_STORE, Routes, json_response, services

__all__ = ["bearer_token", "router"]

#: RFC 6750 §2.1 b64token.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_MAX_TOKEN = 512


def bearer_token(authorization: str | None) -> str:
    """The access token of an ``Authorization: Bearer`` header; ``invalid_token`` if there is none."""
    if authorization is None:
        raise InvalidToken("an access token is required: send it as Authorization: Bearer <token>")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("the Authorization header must be Bearer <access token> (RFC 6750 section 2.1)")
    if len(token) > _MAX_TOKEN or not _B64TOKEN.fullmatch(token):
        raise InvalidToken("the access token is malformed")
    return token


def router() -> Routes:
    """The UserInfo route."""
    routes = Routes()

    @routes.route("/userinfo", ("GET", "POST"), summary="UserInfo (Core §5.3)")
    async def userinfo_endpoint(request: Request) -> Response:
        found = services(request)
        token = bearer_token(request.headers.get("authorization"))
        if found.grants.network_database:
            grant = await run_in_threadpool(access_grant, found, token)
        else:
            grant = access_grant(found, token)
        try:
            client = await found.clients.get(grant.client_id)
        except InvalidClient as exc:
            raise InvalidToken(
                "the client this access token was issued to is no longer trusted", detail=exc.description
            ) from None
        if found.grants.network_database:
            body = await run_in_threadpool(userinfo, found, client, grant)
        else:
            body = userinfo(found, client, grant)
        if found.conformance is not None:
            body = found.conformance.userinfo(client.client_id, body)
        return json_response(body, headers=NO_STORE)

    return routes
