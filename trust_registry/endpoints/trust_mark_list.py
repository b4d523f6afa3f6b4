"""Trust marked entities listing: ``GET /trust-mark-list?trust_mark_type=[&sub=]`` (§8.5).

A JSON array of the entities holding a valid (unexpired, unrevoked) trust mark of the type issued here.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from trust_registry.core import marks
from trust_registry.endpoints._http import Query, json_response, services

__all__ = ["router"]


def router() -> APIRouter:
    """The trust mark list route."""
    routes = APIRouter()

    @routes.get("/trust-mark-list", summary="Entities holding a trust mark type (§8.5)")
    async def trust_mark_list(request: Request) -> Response:
        query = Query(request, ("trust_mark_type", "sub"))
        mark_type = query.required("trust_mark_type")
        sub = query.entity_id("sub", required=False)
        return json_response(marks.trust_marked_entities(services(request).registry, mark_type, sub))

    return routes
