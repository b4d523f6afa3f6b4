"""``create_app(settings)``: the trust registry as a FastAPI application.

All routes live under the path of the entity ID (``https://host/ta`` serves ``/ta/fetch``...).
Errors are rendered by one set of handlers in the OpenID Federation format (§8.9): a typed
:class:`FederationError` becomes ``{"error", "error_description"}`` with its status; a request
FastAPI cannot route or parse becomes ``not_found`` / ``invalid_request``; anything unexpected is
logged and answered ``server_error`` without internals. Every response carries an ``X-Request-ID``;
``/metrics`` serves Prometheus metrics (:mod:`federation.service.observability`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from federation.errors import FederationError
from federation.http import FetchPolicy
from federation.service.observability import ServiceMetrics, install_observability
from federation.service.web import error_response, install_framework_error_handlers
from trust_registry.endpoints import (
    admin_members,
    admin_registry,
    entity_configuration,
    fetch,
    historical_keys,
    pages,
    resolve,
    subordinate_listing,
    trust_mark,
    trust_mark_list,
    trust_mark_status,
)
from trust_registry.services import RegistryServices, open_services
from trust_registry.settings import RegistrySettings

__all__ = ["create_app"]

log = logging.getLogger("trust_registry")


def _error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return error_response(status, error, description, headers)


def install_error_handlers(app: FastAPI) -> None:
    """Render every error in the federation error format (§8.9)."""

    @app.exception_handler(FederationError)
    async def federation_error(request: Request, exc: FederationError) -> Response:
        if exc.detail:
            log.info("%s %s: %s (%s)", request.method, request.url.path, exc.error, exc.detail)
        headers = (
            {"WWW-Authenticate": 'Bearer realm="ukid-registry-admin"'} if exc.status_code == 401 else None
        )
        return _error(exc.status_code, exc.error, exc.description, headers)

    install_framework_error_handlers(app, log=log, who="registry")


def create_app(
    settings: RegistrySettings,
    *,
    clock: Callable[[], float] = time.time,
    fetch_policy: FetchPolicy | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> FastAPI:
    """The registry application; opens the store and keys now, so start-up problems surface here.

    ``http_client`` carries the registry's outgoing federation requests (tests pass a mock transport).
    """
    opened = open_services(settings, clock=clock, fetch_policy=fetch_policy, http_client=http_client)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await opened.aclose()

    role = settings.role.value
    app = FastAPI(
        title=f"ukid-interop trust registry ({role})",
        summary="OpenID Federation 1.0 trust anchor / intermediate",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = opened
    install_error_handlers(app)
    prefix = urlsplit(settings.entity_id).path.rstrip("/")
    routes = APIRouter(prefix=prefix)
    for module in (
        entity_configuration,
        fetch,
        subordinate_listing,
        resolve,
        trust_mark_status,
        trust_mark_list,
        trust_mark,
        historical_keys,
        admin_members,
        admin_registry,
    ):
        routes.include_router(module.router())
    assets = pages.locate_assets(settings)
    routes.include_router(pages.router(assets))

    @routes.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return JSONResponse({"status": "ok"})

    @routes.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        found: RegistryServices = request.app.state.services
        found.registry.store.member_count()
        return JSONResponse({"status": "ready", "role": role, "entity_id": settings.entity_id})

    app.include_router(routes)
    pages.mount_assets(app, assets)
    install_observability(app, ServiceMetrics(f"registry-{role}"), prefix=prefix)
    return app
