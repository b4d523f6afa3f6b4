"""Trust mark endpoint: ``GET /trust-mark?trust_mark_type=&sub=`` returns the ``trust-mark+jwt``
(§8.6); 404 ``not_found`` when ``sub`` holds no valid mark of that type from this registry.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from federation.http import TRUST_MARK_MEDIA_TYPE
from trust_registry.core import marks
from trust_registry.endpoints._http import Query, jwt_response, services

__all__ = ["router"]


def router() -> APIRouter:
    """The trust mark route."""
    routes = APIRouter()

    @routes.get("/trust-mark", summary="A trust mark held by sub (§8.6)")
    async def trust_mark(request: Request) -> Response:
        query = Query(request, ("trust_mark_type", "sub"))
        mark_type = query.required("trust_mark_type")
        sub = query.entity_id("sub")
        assert sub is not None
        return jwt_response(
            marks.trust_mark(services(request).registry, mark_type, sub), TRUST_MARK_MEDIA_TYPE
        )

    return routes
