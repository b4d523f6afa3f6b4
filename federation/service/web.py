"""ASGI pieces every service uses: default security headers on every response, and the error
responses for what the framework itself rejects."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from federation.service.observability import current_request_id

__all__ = [
    "DEFAULT_SECURITY_HEADERS",
    "SecurityHeaders",
    "error_response",
    "install_framework_error_handlers",
]

#: Sent with every response unless the endpoint set the header itself: no framing (clickjacking),
#: no MIME sniffing, no referrer leaking codes or state to other sites.
DEFAULT_SECURITY_HEADERS: Mapping[str, str] = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    """Pure ASGI middleware adding :data:`DEFAULT_SECURITY_HEADERS` where missing (cheap: no body copy)."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str] = DEFAULT_SECURITY_HEADERS) -> None:
        self.app = app
        self._headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self._headers if k not in present]
                if extra:
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def error_response(
    status: int, error: str, description: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The OAuth / OpenID Federation error body ``{"error", "error_description"}`` with ``status``."""
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def install_framework_error_handlers(
    app: FastAPI, *, log: logging.Logger, who: str, headers: Mapping[str, str] | None = None
) -> None:
    """Answer what the framework itself rejects in the protocol error format: a request it cannot
    parse (``invalid_request``), no route (404 ``not_found``), a wrong method (405), and anything
    unexpected (logged, 500 ``server_error`` naming ``who`` but no internals). ``headers`` go on each."""
    extra = dict(headers or {})

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(400, "invalid_request", f"{where}: {first.get('msg')}", extra)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_response(404, "not_found", f"no endpoint at {request.url.path[:200]}", extra)
        if exc.status_code == 405:
            return error_response(
                405, "invalid_request", f"method {request.method} is not allowed here", extra
            )
        return error_response(exc.status_code, "invalid_request", str(exc.detail)[:200], extra)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        description = f"the {who} met an unexpected condition; it has been logged"
        request_id = current_request_id()  # the error handler runs outside the observability middleware
        found = {**extra, "X-Request-ID": request_id} if request_id else extra
        return error_response(500, "server_error", description, found)
