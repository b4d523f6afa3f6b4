"""Token revocation (RFC 7009 §2): POST ``token`` (and an optional ``token_type_hint``, not needed
to find the token and so ignored, §2.1) after client authentication. A refresh token is revoked
with its whole grant (every access token issued from it), an access token alone. An unknown
token, or one issued to another client, gets 200 and nothing is revoked (§2.2)."""

from __future__ import annotations

from functools import partial

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from idp.core.client_auth import authenticate_client
from idp.core.grants import revoke_token
from idp.endpoints._http import NO_STORE, Routes, read_form, services

__all__ = ["router"]

_PARAMS = frozenset(
    {"token", "token_type_hint", "client_id", "client_secret", "client_assertion", "client_assertion_type"}
)


def router() -> Routes:
    """The revocation route."""
    routes = Routes()

    @routes.post("/revoke", summary="Token revocation (RFC 7009 §2)")
    async def revoke(request: Request) -> Response:
        found = services(request)
        params = await read_form(request, allowed=_PARAMS)
        token = params.require("token")
        client = await authenticate_client(
            found,
            params.as_dict(),
            request.headers.get("authorization"),
            endpoint=found.config.endpoints.revocation,
        )
        call = partial(revoke_token, found, client, token)
        if found.grants.network_database:
            await run_in_threadpool(call)
        else:
            call()
        return Response(status_code=200, headers=NO_STORE)

    return routes
