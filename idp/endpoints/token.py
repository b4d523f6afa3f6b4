"""Token endpoint (OpenID Connect Core §3.1.3, RFC 6749 §4.1.3 and §6): the authorization code and
refresh token grants, after client authentication (RFC 7523 ``private_key_jwt``, or a client
secret for static development clients).

Strict form parsing (each parameter once, RFC 6749 §3.2); responses are never cached (§5.1).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from idp.core.client_auth import verify_client
from idp.core.errors import UnauthorizedClient, UnsupportedGrantType
from idp.core.grants import TokenResponse, exchange_code, refresh_tokens
from idp.endpoints._http import NO_STORE, Routes, json_response, read_form, services

__all__ = ["router"]

_PARAMS = frozenset(
    {
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "refresh_token",
        "scope",
        "client_id",
        "client_secret",
        "client_assertion",
        "client_assertion_type",
    }
)
GRANT_TYPES = ("authorization_code", "refresh_token")


def router() -> Routes:
    """The token route."""
    routes = Routes()

    @routes.post("/token", summary="Token endpoint (Core §3.1.3, RFC 6749 §4.1.3, §6)")
    async def token(request: Request) -> Response:
        found = services(request)
        params = await read_form(request, allowed=_PARAMS)
        auth = await verify_client(
            found,
            params.as_dict(),
            request.headers.get("authorization"),
            endpoint=found.config.endpoints.token,
        )
        grant_type = params.require("grant_type")
        if grant_type not in GRANT_TYPES:
            raise UnsupportedGrantType(
                f"grant_type {grant_type[:100]!r} is not supported (authorization_code, refresh_token)"
            )
        if grant_type not in auth.client.grant_types:
            raise UnauthorizedClient(f"this client may not use the {grant_type} grant")
        call: Callable[[], TokenResponse]
        if grant_type == "authorization_code":
            call = partial(
                exchange_code,
                found,
                auth.client,
                code=params.require("code"),
                redirect_uri=params.require("redirect_uri"),
                code_verifier=params.require("code_verifier"),
                assertion=auth.assertion,
            )
        else:
            call = partial(
                refresh_tokens,
                found,
                auth.client,
                refresh_token=params.require("refresh_token"),
                scope=params.get("scope"),
                assertion=auth.assertion,
            )
        # PostgreSQL: wait in a worker thread so the event loop serves other requests meanwhile;
        # SQLite: a local write, cheaper than the thread hop.
        result = await run_in_threadpool(call) if found.grants.network_database else call()
        body = result.to_json()
        if found.conformance is not None:
            body = found.conformance.token_response(auth.client.client_id, body)
        return json_response(body, headers=NO_STORE)

    return routes
