"""Entity configuration: ``GET {entity_id}/.well-known/openid-federation`` (OpenID Federation 1.0 §9)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from federation.http import ENTITY_STATEMENT_MEDIA_TYPE, WELL_KNOWN_PATH
from trust_registry.endpoints._http import jwt_response, services

__all__ = ["router"]


def router() -> APIRouter:
    """The entity configuration route."""
    routes = APIRouter()

    @routes.get(WELL_KNOWN_PATH, include_in_schema=True, summary="Entity configuration (§9)")
    async def entity_configuration(request: Request) -> Response:
        return jwt_response(services(request).registry.entity_configuration(), ENTITY_STATEMENT_MEDIA_TYPE)

    return routes
