"""ASGI pieces every service uses: default security headers on every response."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_SECURITY_HEADERS", "SecurityHeaders"]

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
