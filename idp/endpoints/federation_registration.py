"""Explicit registration: ``POST /federation/register`` (OpenID Federation 1.0 §12.2).

The body is the RP's entity configuration (``application/entity-statement+jwt``) or a trust chain
(``application/trust-chain+json``); the answer is an ``application/explicit-registration-response+jwt``.
Errors are federation errors (§8.9), rendered by the application's handler.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from federation.errors import Check, InvalidRequest, InvalidTrustAnchor
from federation.http import EXPLICIT_REGISTRATION_MEDIA_TYPE
from idp.core.registration import parse_request, register
from idp.endpoints._http import NO_STORE, Routes, services

__all__ = ["router"]

#: A trust chain of ten statements with a few keys each fits easily.
MAX_BODY_BYTES = 256 * 1024


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > MAX_BODY_BYTES:
        raise InvalidRequest(f"the request body is larger than {MAX_BODY_BYTES} bytes", check=Check.TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise InvalidRequest(
                f"the request body is larger than {MAX_BODY_BYTES} bytes", check=Check.TOO_LARGE
            )
        chunks.append(chunk)
    return b"".join(chunks)


def router() -> Routes:
    """The explicit registration route."""
    routes = Routes()

    @routes.post("/federation/register", summary="Explicit registration (OpenID Federation 1.0 §12.2)")
    async def federation_register(request: Request) -> Response:
        found = services(request)
        relying_parties = found.clients.relying_parties
        if relying_parties is None:
            raise InvalidTrustAnchor(
                "this provider trusts no trust anchor, so it registers no federation clients",
                check=Check.TRUST_ANCHOR,
            )
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        body = await _body(request)
        parsed = parse_request(body, media_type, issuer=found.config.issuer, now=found.clock())
        token = await register(
            parsed,
            relying_parties=relying_parties,
            store=found.registrations,
            clients=found.clients,
            keys=found.federation_keys,
            issuer=found.config.issuer,
        )
        return Response(content=token, media_type=EXPLICIT_REGISTRATION_MEDIA_TYPE, headers=NO_STORE)

    return routes
