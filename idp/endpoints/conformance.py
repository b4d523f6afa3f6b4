"""The conformance API (development only, ``UKID_IDP_CONFORMANCE``): ``ukid check rp`` arms one broken
answer for one client's next login and reads back what the relying party did with it
(:mod:`idp.core.conformance`).

- ``GET /conformance``: the cases, each with what it breaks and whether a correct RP accepts it;
- ``POST /conformance/scenarios`` with JSON ``{"client_id", "case"}``: arm; 201 with the scenario;
- ``GET /conformance/scenarios/{id}``: the scenario and its events (``authorized``, ``token``,
  ``userinfo``: how far the RP took the login).

Errors are OAuth-style JSON (``error``, ``error_description``): ``invalid_request`` for a bad
body, ``not_found`` for an unknown scenario.
"""

from __future__ import annotations

import json
from typing import ClassVar

from fastapi import Request
from fastapi.responses import Response

from idp.core.conformance import CASES, Conformance
from idp.core.errors import InvalidRequest, OAuthError
from idp.endpoints._http import NO_STORE, Routes, json_response, services

__all__ = ["router"]

_MAX_BODY = 4096


class NotFound(OAuthError):
    """No such scenario (it was never armed, or is one of the oldest forgotten)."""

    error: ClassVar[str] = "not_found"
    status_code: ClassVar[int] = 404


def _mode(request: Request) -> Conformance:
    found = services(request).conformance
    if found is None:  # pragma: no cover - the routes exist only in conformance mode
        raise NotFound("conformance mode is off")
    return found


async def _arm_body(request: Request) -> tuple[str, str]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise InvalidRequest("send the scenario as application/json")
    raw = await request.body()
    if len(raw) > _MAX_BODY:
        raise InvalidRequest(f"the body is larger than {_MAX_BODY} bytes")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("the body is not JSON") from None
    if not isinstance(body, dict) or set(body) != {"client_id", "case"}:
        raise InvalidRequest('the body must be {"client_id": ..., "case": ...} and nothing else')
    client_id, case = body["client_id"], body["case"]
    if not isinstance(client_id, str) or not 0 < len(client_id) <= 255:
        raise InvalidRequest("client_id must be a string of 1 to 255 characters")
    if not isinstance(case, str) or case not in CASES:
        shown = case[:64] if isinstance(case, str) else type(case).__name__
        raise InvalidRequest(f"unknown case {shown!r}: one of {', '.join(CASES)}")
    return client_id, case


def router() -> Routes:
    """The conformance routes (installed only in conformance mode)."""
    routes = Routes()

    @routes.get("/conformance", summary="Conformance cases (development only)")
    async def cases(request: Request) -> Response:
        _mode(request)
        listed = [
            {"case": c.id, "title": c.title, "expect": c.expect, "stage": c.stage} for c in CASES.values()
        ]
        return json_response({"cases": listed}, headers=NO_STORE)

    @routes.post("/conformance/scenarios", summary="Arm a conformance case for a client's next login")
    async def arm(request: Request) -> Response:
        mode = _mode(request)
        try:
            client_id, case = await _arm_body(request)
        except OAuthError as exc:
            return json_response(exc.to_dict(), exc.status_code, headers=NO_STORE)
        return json_response(mode.arm(client_id, case).to_json(), 201, headers=NO_STORE)

    @routes.get("/conformance/scenarios/{scenario_id}", summary="What happened to an armed case")
    async def scenario(request: Request) -> Response:
        found = _mode(request).scenario(str(request.path_params["scenario_id"])[:64])
        if found is None:
            error = NotFound("no such scenario: arm one with POST /conformance/scenarios")
            return json_response(error.to_dict(), error.status_code, headers=NO_STORE)
        return json_response(found.to_json(), headers=NO_STORE)

    return routes
