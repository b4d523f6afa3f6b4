"""Shared request parsing and response rendering for the provider's endpoints.

Form and query parameters are read strictly (OAuth 2.0 RFC 6749 §3.1: parameters sent without a
value are treated as omitted, and request and response parameters must not be included more than
once); each value is bounded in length and free of control characters. Every problem is an
``invalid_request``; nothing reaches the core unchecked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import Response

from idp.core.errors import InvalidRequest
from idp.services import IdpServices

__all__ = ["NO_STORE", "Endpoint", "Params", "Routes", "json_response", "read_form", "services"]

MAX_VALUE_CHARS = 8192
MAX_BODY_BYTES = 64 * 1024
#: RFC 6749 §5.1: responses with tokens or credentials are never cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: Control characters other than tab, line feed and carriage return (a regex: the hot path).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    """One route: its path (under the issuer's), methods, handler and what it is (the spec section)."""

    path: str
    methods: tuple[str, ...]
    handler: Handler
    summary: str


@dataclass
class Routes:
    """A module's endpoints, installed as plain Starlette routes.

    Every handler takes the request and returns its response, parsing and checking parameters itself
    (:class:`Params`); FastAPI's per-request dependency solving and response handling (about 25 µs a
    request, measured) would buy nothing here. The routes stay out of the OpenAPI document.
    """

    endpoints: list[Endpoint] = field(default_factory=list)

    def route(
        self, path: str, methods: tuple[str, ...], *, summary: str = ""
    ) -> Callable[[Handler], Handler]:
        """Register the decorated handler for ``methods`` on ``path``."""

        def register(handler: Handler) -> Handler:
            self.endpoints.append(Endpoint(path, methods, handler, summary))
            return handler

        return register

    def get(self, path: str, *, summary: str = "") -> Callable[[Handler], Handler]:
        """Register the decorated handler for GET (and HEAD) on ``path``."""
        return self.route(path, ("GET",), summary=summary)

    def post(self, path: str, *, summary: str = "") -> Callable[[Handler], Handler]:
        """Register the decorated handler for POST on ``path``."""
        return self.route(path, ("POST",), summary=summary)

    def install(self, app: FastAPI, prefix: str) -> None:
        """Add the routes to ``app`` under ``prefix``."""
        for endpoint in self.endpoints:
            app.add_route(
                prefix + endpoint.path,
                endpoint.handler,
                methods=list(endpoint.methods),
                name=endpoint.handler.__name__,
                include_in_schema=False,
            )


def services(request: Request) -> IdpServices:
    """The running provider's services."""
    found: IdpServices = request.app.state.services
    return found


def json_response(
    value: Any,
    status_code: int = 200,
    *,
    headers: dict[str, str] | None = None,
    media_type: str | None = None,
) -> Response:
    """JSON, encoded once."""
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return Response(
        content=body, status_code=status_code, media_type=media_type or "application/json", headers=headers
    )


class Params:
    """Request parameters (query or form), read strictly: each name at most once, bounded values."""

    def __init__(self, items: Iterable[tuple[str, str]], *, allowed: Collection[str] | None = None) -> None:
        self._values: dict[str, str] = {}
        for name, value in items:
            if allowed is not None and name not in allowed:
                continue  # RFC 6749 §3.1: unrecognized parameters are ignored
            if len(value) > MAX_VALUE_CHARS:
                raise InvalidRequest(f"{name[:64]} is longer than {MAX_VALUE_CHARS} characters")
            if _CONTROL.search(value):
                raise InvalidRequest(f"{name[:64]} contains control characters")
            if name in self._values:
                raise InvalidRequest(f"{name[:64]} is included more than once")
            if value != "":
                self._values[name] = value

    def get(self, name: str) -> str | None:
        """The parameter's value, or None when absent or empty."""
        return self._values.get(name)

    def require(self, name: str) -> str:
        """The parameter's value; ``invalid_request`` when it is missing."""
        value = self._values.get(name)
        if value is None:
            raise InvalidRequest(f"{name} is required")
        return value

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def as_dict(self) -> dict[str, str]:
        """Every parameter read."""
        return dict(self._values)


async def read_form(request: Request, *, allowed: Collection[str] | None = None) -> Params:
    """The ``application/x-www-form-urlencoded`` body (RFC 6749 Appendix B), read strictly."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise InvalidRequest("the body must be application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise InvalidRequest(f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("the body is not UTF-8") from None
    try:
        items = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except ValueError:
        raise InvalidRequest("the body is not a well-formed form") from None
    return Params(items, allowed=allowed)
