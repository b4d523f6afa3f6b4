"""The entity configuration: ``GET /.well-known/openid-federation`` (OpenID Federation 1.0 §9).

Answered ``application/entity-statement+jwt``; the statement is kept in memory and signed again
when half its lifetime has passed, the signing key changed or the held trust marks changed.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from federation.http import ENTITY_STATEMENT_MEDIA_TYPE, WELL_KNOWN_PATH
from idp.endpoints._http import Routes, services

__all__ = ["router"]


def router() -> Routes:
    """The entity configuration route."""
    routes = Routes()

    @routes.get(WELL_KNOWN_PATH, summary="Entity configuration (OpenID Federation 1.0 §9)")
    async def entity_configuration(request: Request) -> Response:
        found = services(request)
        token = await found.entity.configuration(found.provider_metadata)
        return Response(
            content=token, media_type=ENTITY_STATEMENT_MEDIA_TYPE, headers={"Cache-Control": "max-age=60"}
        )

    return routes
