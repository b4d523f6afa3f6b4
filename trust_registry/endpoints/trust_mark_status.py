"""Trust mark status: ``POST /trust-mark-status`` with the form parameter ``trust_mark`` (§8.4).

Answers a signed ``trust-mark-status-response+jwt`` whose ``status`` is ``active``, ``expired``,
``revoked`` or ``invalid`` (a mark whose claims match one issued here but whose signature does
not verify); a mark this registry never issued gets 404 ``not_found`` (§8.4.2).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response

from federation.errors import Check, InvalidRequest
from federation.http import TRUST_MARK_STATUS_MEDIA_TYPE
from trust_registry.core import marks
from trust_registry.endpoints._http import MAX_BODY_BYTES, jwt_response, services

__all__ = ["router"]


async def form(request: Request) -> dict[str, list[str]]:
    """An ``application/x-www-form-urlencoded`` body of at most 64 KiB."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise InvalidRequest("the body must be application/x-www-form-urlencoded", check=Check.FORMAT)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise InvalidRequest(f"the body is larger than {MAX_BODY_BYTES} bytes", check=Check.TOO_LARGE)
    try:
        return parse_qs(bytes(body).decode("ascii"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("the body is not a valid form", check=Check.FORMAT) from None


def router() -> APIRouter:
    """The trust mark status route."""
    routes = APIRouter()

    @routes.post("/trust-mark-status", summary="Status of a trust mark issued here (§8.4)")
    async def trust_mark_status(request: Request) -> Response:
        values = (await form(request)).get("trust_mark", [])
        if len(values) != 1 or not values[0]:
            raise InvalidRequest("the form needs exactly one trust_mark", check=Check.FORMAT)
        token = marks.trust_mark_status(services(request).registry, values[0])
        return jwt_response(token, TRUST_MARK_STATUS_MEDIA_TYPE)

    return routes
