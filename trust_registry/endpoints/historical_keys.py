"""Historical keys: ``GET /historical-keys`` returns a signed ``jwk-set+jwt`` (§8.7)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from federation.http import JWK_SET_MEDIA_TYPE
from trust_registry.endpoints._http import jwt_response, services

__all__ = ["router"]


def router() -> APIRouter:
    """The historical keys route."""
    routes = APIRouter()

    @routes.get("/historical-keys", summary="Every federation key with its life cycle (§8.7)")
    async def historical_keys(request: Request) -> Response:
        return jwt_response(services(request).registry.historical_keys(), JWK_SET_MEDIA_TYPE)

    return routes
