"""OpenID Provider metadata (OpenID Connect Discovery 1.0 §4), JWKS (``jwks_uri``) and the Vectors of
Trust trustmark document (``vtm``, RFC 8485 §5)."""

from __future__ import annotations

import json

from fastapi import Request
from fastapi.responses import Response

from idp.core.discovery import trustmark_document
from idp.endpoints._http import Routes, json_response, services

__all__ = ["router"]

_CACHE = {"Cache-Control": "public, max-age=300"}


def router() -> Routes:
    """Discovery, JWKS and trustmark routes."""
    routes = Routes()
    encoded: list[bytes] = []  # the metadata never changes while the process runs: encode it once

    @routes.get("/.well-known/openid-configuration", summary="OpenID Provider metadata (Discovery §4)")
    async def discovery(request: Request) -> Response:
        if not encoded:
            encoded.append(json.dumps(services(request).provider_metadata, separators=(",", ":")).encode())
        return Response(encoded[0], media_type="application/json", headers=_CACHE)

    @routes.get("/jwks", summary="ID token signing keys (jwks_uri)")
    async def jwks(request: Request) -> Response:
        body = services(request).protocol_keys.jwks_json()
        return Response(body, media_type="application/json", headers={"Cache-Control": "max-age=60"})

    @routes.get("/trustmark", summary="Vectors of Trust trustmark (RFC 8485 §5)")
    async def trustmark(request: Request) -> Response:
        return json_response(trustmark_document(services(request).config), headers=_CACHE)

    return routes
