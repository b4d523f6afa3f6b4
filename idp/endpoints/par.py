"""The pushed authorization request endpoint (RFC 9126 §2).

The client authenticates as at the token endpoint (§2: ``private_key_jwt`` for federation
clients, RFC 7523), and the request is checked exactly as the authorization endpoint checks it
(:func:`idp.core.authorization.check_request`), except that every error is a JSON error response
(§2.3), never a redirect. A valid request is stored under a one-time ``request_uri`` for
``par_lifetime`` seconds (§2.2), in the same transaction that remembers the client assertion's
``jti``: a rejected request writes nothing.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from idp.core.authorization import PARAMETERS, check_request, trusted_redirect_uri
from idp.core.client_auth import record_assertion, verify_client
from idp.core.errors import InvalidRequest
from idp.endpoints._http import NO_STORE, Routes, json_response, read_form, services

__all__ = ["router"]

#: Client authentication parameters (RFC 6749 §2.3.1, RFC 7523 §2.2), besides the request's own.
AUTHENTICATION = ("client_secret", "client_assertion", "client_assertion_type")


def router() -> Routes:
    """``POST /par``."""
    routes = Routes()

    @routes.post("/par", summary="Pushed authorization request (RFC 9126 §2)")
    async def push(request: Request) -> Response:
        found = services(request)
        params = await read_form(request, allowed=(*PARAMETERS, *AUTHENTICATION))
        authenticated = await verify_client(
            found,
            params.as_dict(),
            request.headers.get("authorization"),
            endpoint=found.config.endpoints.pushed_authorization_request,
        )
        client = authenticated.client
        client_id = params.get("client_id")
        if client_id is not None and client_id != client.client_id:
            raise InvalidRequest("client_id does not match the authenticated client")
        redirect_uri = trusted_redirect_uri(client, params.get("redirect_uri"))
        checked = check_request(
            {k: v for k, v in params.as_dict().items() if k not in AUTHENTICATION},
            client,
            redirect_uri,
            pushed=True,
        )
        lifetime = found.config.par_lifetime
        with found.grants.transaction() as connection:
            if authenticated.assertion is not None:
                record_assertion(found, connection, authenticated.assertion)
            request_uri = found.interactions.push(
                client.client_id, checked.to_json(), lifetime, connection=connection
            )
        return json_response({"request_uri": request_uri, "expires_in": lifetime}, 201, headers=NO_STORE)

    return routes
