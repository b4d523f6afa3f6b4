"""Administration API, members: onboard (``POST /admin/subordinates``), show, update, suspend,
reinstate, refresh keys and remove subordinates. Each change is audited (see ``_admin``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from trust_registry.core import members
from trust_registry.core.members import ACTIVE, SUSPENDED, MemberOptions
from trust_registry.endpoints._admin import NewSubordinate, actor, member_view, subordinate
from trust_registry.endpoints._http import json_body, json_response, services

__all__ = ["router"]


def router() -> APIRouter:
    """The admin routes."""
    routes = APIRouter(prefix="/admin")

    @routes.post("/subordinates", status_code=201)
    async def add_subordinate(request: Request) -> Response:
        who = actor(request)
        body = await json_body(request, NewSubordinate)
        found = services(request)
        options = MemberOptions.model_validate(body.model_dump(exclude={"entity_id"}))
        member = await members.add_subordinate(found.registry, found.fetcher, who, body.entity_id, options)
        return json_response(member_view(member), 201)

    @routes.get("/subordinates")
    async def list_subordinates(request: Request) -> Response:
        actor(request)
        return json_response([member_view(m) for m in services(request).registry.store.members()])

    @routes.get("/subordinate")
    async def show_subordinate(request: Request) -> Response:
        actor(request)
        return json_response(member_view(members.existing(services(request).registry, subordinate(request))))

    @routes.put("/subordinate")
    async def update_subordinate(request: Request) -> Response:
        who = actor(request)
        sub = subordinate(request)
        options = await json_body(request, MemberOptions)
        found = services(request)
        return json_response(
            member_view(await members.update_subordinate(found.registry, found.fetcher, who, sub, options))
        )

    @routes.delete("/subordinate")
    async def remove_subordinate(request: Request) -> Response:
        who = actor(request)
        return json_response(
            member_view(members.remove_subordinate(services(request).registry, who, subordinate(request)))
        )

    @routes.post("/subordinate/suspend")
    async def suspend(request: Request) -> Response:
        who = actor(request)
        member = members.set_status(services(request).registry, who, subordinate(request), SUSPENDED)
        return json_response(member_view(member))

    @routes.post("/subordinate/reinstate")
    async def reinstate(request: Request) -> Response:
        who = actor(request)
        return json_response(
            member_view(members.set_status(services(request).registry, who, subordinate(request), ACTIVE))
        )

    @routes.post("/subordinate/refresh-keys")
    async def refresh_keys(request: Request) -> Response:
        who = actor(request)
        found = services(request)
        return json_response(
            member_view(await members.refresh_keys(found.registry, found.fetcher, who, subordinate(request)))
        )

    return routes
