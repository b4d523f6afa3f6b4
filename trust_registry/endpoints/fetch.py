"""Fetch endpoint: ``GET /fetch?sub=`` returns the subordinate statement about ``sub`` (§8.1).

Unknown or suspended ``sub``: 404 ``not_found``; ``sub`` is the registry itself: 400 ``invalid_request``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from federation.http import ENTITY_STATEMENT_MEDIA_TYPE
from trust_registry.endpoints._http import Query, jwt_response, services

__all__ = ["router"]


def router() -> APIRouter:
    """The fetch route."""
    routes = APIRouter()

    @routes.get("/fetch", summary="Subordinate statement about sub (§8.1)")
    async def fetch(request: Request) -> Response:
        sub = Query(request, ("sub",)).entity_id("sub")
        assert sub is not None
        registry = services(request).registry
        if registry.store.network_database:
            # A database across the network: wait for it in a worker thread, so that the event
            # loop serves other requests meanwhile (several reads are in flight at once).
            token = await run_in_threadpool(registry.fetch, sub)
        else:
            token = registry.fetch(sub)  # SQLite: a local read, cheaper than a thread hop
        return jwt_response(token, ENTITY_STATEMENT_MEDIA_TYPE)

    return routes
