"""What every service tells its operators: a request ID, one structured access line per request and
Prometheus metrics.

- :class:`RequestObservability`, a pure ASGI middleware (no body buffering): takes the request ID from
  a sane incoming ``X-Request-ID`` (1-128 of ``[A-Za-z0-9._-]``) or makes one, echoes it on the
  response, holds it in a context variable for the request's other log lines
  (:class:`RequestIdFilter`), logs one JSON line on :data:`ACCESS_LOGGER` and counts the request.
  The access line never holds the query string (it can carry codes and tokens), cookies or
  credentials: only the path.
- :class:`ServiceMetrics`: a per-app :class:`~prometheus_client.CollectorRegistry` (several apps
  share one test process) with ``ukid_http_requests_total``, ``ukid_http_request_duration_seconds``
  (labelled with the route template, never the raw path, so the label set stays bounded) and
  ``ukid_logins_total``; served as ``GET {prefix}/metrics`` in the Prometheus text format
  (https://prometheus.io/docs/instrumenting/exposition_formats/).
- :func:`configure_logging`: JSON lines on stderr, for the ``ukid ... serve`` commands only (never
  at import time).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import TextIO

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "ACCESS_LOGGER",
    "REQUEST_ID_HEADER",
    "UNMATCHED",
    "JsonFormatter",
    "RequestIdFilter",
    "RequestObservability",
    "ServiceMetrics",
    "app_metrics",
    "configure_logging",
    "current_request_id",
    "install_observability",
    "metrics_of",
    "rfc3339",
    "sane_request_id",
]

#: The logger of the one line per request.
ACCESS_LOGGER = "ukid.access"
REQUEST_ID_HEADER = "X-Request-ID"
#: The ``route`` label of a request no route matched.
UNMATCHED = "unmatched"
_HEADER = REQUEST_ID_HEADER.lower().encode("latin-1")
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
#: Methods kept as a label value; any other token a client sends is counted as ``other``.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_MAX_PATH = 2048
#: Latency buckets (seconds): the protocol endpoints answer in about a millisecond, a sign-in with
#: the standard argon2id cost in a few hundred.
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_request_id: ContextVar[str | None] = ContextVar("ukid_request_id", default=None)


def current_request_id() -> str | None:
    """The ID of the request being served in this context, if any."""
    return _request_id.get()


def sane_request_id(value: str | None) -> str | None:
    """``value`` when it is usable as a request ID (1-128 of ``[A-Za-z0-9._-]``), else None: a hostile
    value (log injection, huge, control characters) is replaced, never echoed or logged."""
    return value if value is not None and _SANE_ID.fullmatch(value) else None


@functools.lru_cache(maxsize=4)
def _whole_second(whole: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def rfc3339(seconds: float) -> str:
    """``seconds`` since the epoch as an RFC 3339 UTC timestamp with milliseconds (``...T...Z``)."""
    whole = int(seconds)
    millis = min(999, int((seconds - whole) * 1000))
    return f"{_whole_second(whole)}.{millis:03d}Z"


def _incoming_id(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == _HEADER:
            return sane_request_id(value.decode("latin-1"))
    return None


def _template(route: object) -> str | None:
    template = getattr(route, "path_format", None)
    return template if isinstance(template, str) else None


class _RouteTemplates:
    """The template of the route that matched a request (``/ta/admin/subordinates/{entity_id}``).

    FastAPI's routes put themselves in the scope (``scope["route"]``), but a route of an included
    router has there its path inside that router: FastAPI (0.16x) keeps the full one in its
    effective route context, read first. A plain Starlette route or mount under FastAPI's router
    leaves only its endpoint (``scope["endpoint"]``), so the routes holding each endpoint are looked
    up once, on its first request, and kept."""

    def __init__(self) -> None:
        self._by_endpoint: dict[object, tuple[BaseRoute, ...]] = {}

    def of(self, scope: Scope) -> str | None:
        framework = scope.get("fastapi")
        if isinstance(framework, dict):
            template = _template(framework.get("effective_route_context"))
            if template:
                return template
        route = scope.get("route")
        if route is not None:
            return _template(route)
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return None  # nothing matched
        routes = self._by_endpoint.get(endpoint)
        if routes is None:
            found = getattr(scope.get("router"), "routes", ())
            routes = tuple(
                r
                for r in found
                if getattr(r, "endpoint", None) is endpoint or getattr(r, "app", None) is endpoint
            )
            self._by_endpoint[endpoint] = routes
        if len(routes) == 1:
            return _template(routes[0])
        # one endpoint behind several paths: the one that matches
        return next((_template(r) for r in routes if r.matches(scope)[0] != Match.NONE), None)


class ServiceMetrics:
    """One service's Prometheus metrics, in their own registry."""

    def __init__(self, service: str, *, authorization_server: bool = False) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ukid_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ("service", "method", "route", "status"),
            registry=self.registry,
        )
        self.durations = Histogram(
            "ukid_http_request_duration_seconds",
            "Time from the request to the end of its response, by method and route template.",
            ("service", "method", "route"),
            registry=self.registry,
            buckets=DURATION_BUCKETS,
        )
        self.logins = Counter(
            "ukid_logins",
            "Logins by outcome (a relying party: accepted, refused or the refusal code; an identity "
            "provider: the sign-in step's outcome).",
            ("service", "outcome"),
            registry=self.registry,
        )
        self.codes: Counter | None = None
        if authorization_server:
            self.codes = Counter(
                "ukid_authorization_codes",
                "Authorization codes issued (OpenID Connect Core 1.0 §3.1.2.5).",
                ("service",),
                registry=self.registry,
            )
        self._http: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def login(self, outcome: str) -> None:
        """Count a login with ``outcome`` (one of a fixed set of codes: the label must stay bounded)."""
        self.logins.labels(self.service, outcome).inc()

    def code_issued(self) -> None:
        """Count an authorization code issued (an authorization server only)."""
        if self.codes is not None:
            self.codes.labels(self.service).inc()

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count a request answered (the label children are looked up once per combination)."""
        key = (method, route, status)
        children = self._http.get(key)
        if children is None:
            children = (
                self.requests.labels(self.service, method, route, str(status)),
                self.durations.labels(self.service, method, route),
            )
            self._http[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def exposition(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)


class RequestObservability:
    """Pure ASGI middleware: the request ID, the access line and the request metrics (module docs).

    The status logged is the one sent; an exception before the response started is logged as 500
    (what the server error handler answers), and the request ID stays set for that handler's log line.
    """

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self.log = logging.getLogger(ACCESS_LOGGER)
        self.routes = _RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _incoming_id(scope["headers"]) or secrets.token_hex(16)
        token = _request_id.set(request_id)
        header = (_HEADER, request_id.encode("latin-1"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, request_id, status, time.perf_counter() - start)
        _request_id.reset(token)

    def _record(self, scope: Scope, request_id: str, status: int, seconds: float) -> None:
        route = self.routes.of(scope)
        method: str = scope["method"]
        self.metrics.request(method if method in _METHODS else "other", route or UNMATCHED, status, seconds)
        if not self.log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        line = {
            "time": rfc3339(time.time()),
            "service": self.metrics.service,
            "request_id": request_id,
            "method": method[:32],
            "path": scope["path"][:_MAX_PATH],
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "client": client[0] if client else None,
        }
        # the record made here, not by Logger.info: no caller lookup (a few µs a request)
        self.log.handle(
            logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 0, json.dumps(line), None, None)
        )


def install_observability(app: Starlette, metrics: ServiceMetrics, *, prefix: str) -> None:
    """Add :class:`RequestObservability` to ``app``, ``GET {prefix}/metrics``, and ``metrics`` to the
    app's state (:func:`metrics_of`)."""
    app.state.metrics = metrics

    async def exposition(_request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    app.add_route(f"{prefix}/metrics", exposition, methods=["GET"], include_in_schema=False)
    app.add_middleware(RequestObservability, metrics=metrics)


def app_metrics(app: Starlette) -> ServiceMetrics | None:
    """The metrics :func:`install_observability` gave ``app`` (None when it has none)."""
    found = getattr(app.state, "metrics", None)
    return found if isinstance(found, ServiceMetrics) else None


def metrics_of(request: Request) -> ServiceMetrics | None:
    """The metrics of the app serving ``request`` (None when the app has none installed)."""
    return app_metrics(request.app)


class RequestIdFilter(logging.Filter):
    """Puts the current request's ID on every record as ``request_id`` (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (RFC 3339 UTC), ``service``, ``level``, ``logger``,
    ``message``, ``request_id`` (within a request) and ``exception``; an access line is already JSON
    and is written as it is."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        if record.name == ACCESS_LOGGER:
            return record.getMessage()
        line: dict[str, object] = {
            "time": rfc3339(record.created),
            "service": self.service,
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


def configure_logging(service: str, *, level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Send every log record (access lines, uvicorn's and the services' own) to ``stream`` (stderr) as
    JSON lines; replaces the root logger's handlers. For a service's process only (``ukid ... serve``)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):  # uvicorn.access stays off (access_log=False)
        found = logging.getLogger(name)
        found.handlers.clear()
        found.propagate = True
    # httpx logs each outgoing request's URL, query string included, at INFO: warnings only
    logging.getLogger("httpx").setLevel(logging.WARNING)
