"""``create_app(settings)``: a sample relying-party service (the council or the GP practice) as a
FastAPI application.

Each sample is a module (:mod:`relying_party.services.council`, :mod:`relying_party.services.gp`)
providing its ``policies()``, its own ``MIGRATIONS`` (its tables, beside the library's) and
``install(app, services)``, which adds its pages and the library's router. Every response carries
the anti-framing and no-sniff headers; what the framework rejects is answered in the OAuth error
format; ``/healthz`` and ``/readyz`` are for orchestrators, ``/metrics`` for Prometheus
(:mod:`federation.service.observability`).
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Protocol

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from federation.http import FetchPolicy
from federation.service.database import Migrations
from federation.service.observability import ServiceMetrics, install_observability
from federation.service.web import SecurityHeaders, install_framework_error_handlers
from relying_party.core.policy import ServicePolicy
from relying_party.services.wiring import RpServices, open_services
from relying_party.settings import RpSettings

__all__ = ["Sample", "create_app", "sample_for"]

log = logging.getLogger("relying_party.services")


class Sample(Protocol):
    """What a sample service module provides."""

    MIGRATIONS: Migrations

    def policies(self) -> list[ServicePolicy]:
        """The service's policies."""

    def install(self, app: FastAPI, services: RpServices) -> None:
        """Add the service's pages, the library's router and the assets."""


def sample_for(settings: RpSettings) -> Sample:
    """The module of the configured sample service."""
    module: Sample = importlib.import_module(f"relying_party.services.{settings.service}")
    return module


def create_app(
    settings: RpSettings,
    *,
    clock: Callable[[], float] = time.time,
    fetch_policy: FetchPolicy | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> FastAPI:
    """The service application; opens the store and keys now, so start-up problems surface here."""
    sample = sample_for(settings)
    services = open_services(
        settings,
        sample.policies(),
        migrations=[sample.MIGRATIONS],
        clock=clock,
        fetch_policy=fetch_policy,
        http_client=http_client,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await services.aclose()

    app = FastAPI(title=f"ukid-interop {settings.name}", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.services = services
    prefix = services.config.path_prefix

    @app.get(f"{prefix}/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return JSONResponse({"status": "ok"})

    @app.get(f"{prefix}/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        found: RpServices = request.app.state.services
        found.store.count_sessions()
        return JSONResponse({"status": "ready", "entity_id": settings.entity_id})

    sample.install(app, services)
    install_framework_error_handlers(app, log=log, who="service")
    app.add_middleware(SecurityHeaders)
    install_observability(app, ServiceMetrics(settings.service), prefix=prefix)
    return app
