"""Subordinate listing: ``GET /list`` with ``entity_type`` (repeatable: any of them), ``trust_marked``,
``trust_mark_type`` and ``intermediate`` filters (§8.2). Any other parameter: 400 ``unsupported_parameter``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from trust_registry.core.profile import resolve_type
from trust_registry.endpoints._http import Query, json_response, services

__all__ = ["router"]

PARAMETERS = ("entity_type", "trust_marked", "trust_mark_type", "intermediate")


def router() -> APIRouter:
    """The list route."""
    routes = APIRouter()

    @routes.get("/list", summary="Immediate subordinates (§8.2)")
    async def subordinate_listing(request: Request) -> Response:
        query = Query(request, PARAMETERS, unknown_unsupported=True)
        registry = services(request).registry
        mark_type = query.one("trust_mark_type")
        return json_response(
            registry.list_subordinates(
                entity_types=query.many("entity_type"),
                trust_marked=bool(query.flag("trust_marked")),
                trust_mark_type=resolve_type(registry.config.type_base, mark_type) if mark_type else None,
                intermediate=query.flag("intermediate"),
            )
        )

    return routes
