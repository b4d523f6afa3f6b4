"""Resolve endpoint: ``GET /resolve?sub=&trust_anchor=&entity_type=`` (§8.3).

Answers a ``resolve-response+jwt`` with the resolved metadata, the trust chain from ``sub`` to the
trust anchor and the trust marks that verified. Unknown anchor: 404 ``invalid_trust_anchor``; an
entity that cannot be reached: 404 ``invalid_subject``; no valid chain: 400 ``invalid_trust_chain``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from federation.http import RESOLVE_RESPONSE_MEDIA_TYPE
from trust_registry.endpoints._http import Query, jwt_response, services

__all__ = ["router"]


def router() -> APIRouter:
    """The resolve route."""
    routes = APIRouter()

    @routes.get("/resolve", summary="Resolved metadata and trust chain of sub (§8.3)")
    async def resolve(request: Request) -> Response:
        query = Query(request, ("sub", "trust_anchor", "entity_type"))
        sub = query.entity_id("sub")
        assert sub is not None
        anchors = query.entity_ids("trust_anchor", required=True)
        token = await services(request).resolver.resolve(sub, anchors, query.many("entity_type"))
        return jwt_response(token, RESOLVE_RESPONSE_MEDIA_TYPE)

    return routes
