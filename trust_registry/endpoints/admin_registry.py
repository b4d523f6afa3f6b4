"""Administration API, the registry's own acts: issue and revoke trust marks, delegate or install
delegations, rotate keys, and read the audit log. Each change is audited (see ``_admin``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from federation.errors import Check, InvalidRequest
from trust_registry.core import marks, members
from trust_registry.core.profile import resolve_type
from trust_registry.endpoints._admin import (
    InstallDelegation,
    IssueTrustMark,
    NewDelegation,
    Revoke,
    RotateKeys,
    actor,
    audit_view,
    mark_view,
)
from trust_registry.endpoints._http import Query, json_body, json_response, services

__all__ = ["router"]


def router() -> APIRouter:
    """The admin routes for trust marks, delegations, keys and the audit log."""
    routes = APIRouter(prefix="/admin")

    @routes.post("/trust-marks", status_code=201)
    async def issue_trust_mark(request: Request) -> Response:
        who = actor(request)
        body = await json_body(request, IssueTrustMark)
        mark = marks.issue_mark(
            services(request).registry,
            who,
            trust_mark_type=body.trust_mark_type,
            sub=body.sub,
            claims=body.claims,
            lifetime=body.lifetime,
        )
        return json_response(mark_view(mark), 201)

    @routes.get("/trust-marks")
    async def list_trust_marks(request: Request) -> Response:
        actor(request)
        query = Query(request, ("sub", "trust_mark_type"))
        registry = services(request).registry
        kind = query.one("trust_mark_type")  # a kind name (council) or a type URL
        found = registry.store.trust_marks(
            sub=query.entity_id("sub", required=False),
            trust_mark_type=resolve_type(registry.config.type_base, kind) if kind is not None else None,
        )
        return json_response([mark_view(m) for m in found])

    @routes.post("/trust-marks/revoke")
    async def revoke_trust_mark(request: Request) -> Response:
        who = actor(request)
        body = await json_body(request, Revoke)
        return json_response(
            mark_view(marks.revoke_mark(services(request).registry, who, body.id, body.reason))
        )

    @routes.post("/delegations", status_code=201)
    async def issue_delegation(request: Request) -> Response:
        who = actor(request)
        body = await json_body(request, NewDelegation)
        token = marks.issue_owner_delegation(
            services(request).registry,
            who,
            issuer=body.issuer,
            trust_mark_type=body.trust_mark_type,
            lifetime=body.lifetime,
        )
        return json_response({"delegation": token}, 201)

    @routes.put("/delegation")
    async def install_delegation(request: Request) -> Response:
        who = actor(request)
        body = await json_body(request, InstallDelegation)
        found = services(request)
        owner_jwks = await found.resolver.anchor_jwks(body.owner)
        type_url = marks.install_delegation(found.registry, who, body.delegation, owner_jwks)
        return json_response({"trust_mark_type": type_url})

    @routes.post("/keys/rotate")
    async def rotate_keys(request: Request) -> Response:
        who = actor(request)
        body = await json_body(request, RotateKeys)
        return json_response({"kids": members.rotate_keys(services(request).registry, who, body.overlap)})

    @routes.get("/audit")
    async def audit(request: Request) -> Response:
        actor(request)
        query = Query(request, ("after", "limit", "target"))
        after, limit = query.one("after") or "0", query.one("limit") or "100"
        whole = after.isascii() and after.isdigit() and limit.isascii() and limit.isdigit()
        if not whole or not 1 <= int(limit) <= 1000:
            raise InvalidRequest("after must be a whole number and limit 1..1000", check=Check.FORMAT)
        entries = services(request).registry.store.audit_entries(
            after_id=min(int(after), 2**31 - 1), limit=int(limit), target=query.one("target")
        )
        return json_response([audit_view(e) for e in entries])

    return routes
