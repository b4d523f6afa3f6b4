"""``create_app(settings)``: the sample identity provider as a FastAPI application.

All routes live under the path of the issuer. Errors are rendered by one set of handlers: an
:class:`OAuthError` becomes ``{"error", "error_description"}`` with its status (RFC 6749 §5.2), with
a ``WWW-Authenticate`` challenge for 401s (RFC 6749 §5.2, RFC 6750 §3); a federation error (the
registration endpoint) uses the OpenID Federation format (§8.9); anything unexpected is logged and
answered ``server_error`` without internals. Every response carries anti-framing and no-sniff headers
and an ``X-Request-ID``; ``/metrics`` serves Prometheus metrics (:mod:`federation.service.observability`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from federation.errors import FederationError
from federation.http import FetchPolicy
from federation.service.observability import install_observability
from federation.service.web import SecurityHeaders, error_response, install_framework_error_handlers
from idp.core.errors import InvalidClient, InvalidToken, OAuthError
from idp.core.keys import ProtocolKeys
from idp.endpoints import (
    account,
    authorization,
    conformance,
    consent,
    discovery,
    entity_configuration,
    federation_registration,
    login,
    logout,
    par,
    proofing,
    revocation,
    security,
    step_up,
    token,
    userinfo,
    vouching,
)
from idp.endpoints._http import NO_STORE, Routes
from idp.endpoints._pages import Pages
from idp.services import IdpServices, open_services
from idp.settings import IdpSettings

__all__ = ["create_app", "install_error_handlers"]

log = logging.getLogger("idp")


def _error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return error_response(status, error, description, {**NO_STORE, **(headers or {})})


def _quoted(text: str) -> str:
    """``error_description`` as RFC 6750 §3 allows it in a header: printable ASCII, no quote or backslash."""
    return "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "?" for c in text)


def challenge(exc: OAuthError) -> dict[str, str] | None:
    """The ``WWW-Authenticate`` header for a 401/403 (RFC 6749 §5.2, RFC 6750 §3)."""
    if isinstance(exc, InvalidClient):
        return {"WWW-Authenticate": 'Basic realm="ukid-idp"'}
    if isinstance(exc, InvalidToken) or exc.status_code == 403:
        return {
            "WWW-Authenticate": f'Bearer realm="ukid-idp", error="{exc.error}", '
            f'error_description="{_quoted(exc.description)}"'
        }
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Render every error in the OAuth (or, for federation errors, OpenID Federation) format."""

    @app.exception_handler(OAuthError)
    async def oauth_error(request: Request, exc: OAuthError) -> Response:
        if exc.detail:
            log.info("%s %s: %s (%s)", request.method, request.url.path, exc.error, exc.detail)
        return _error(exc.status_code, exc.error, exc.description, challenge(exc))

    @app.exception_handler(FederationError)
    async def federation_error(request: Request, exc: FederationError) -> Response:
        if exc.detail:
            log.info("%s %s: %s (%s)", request.method, request.url.path, exc.error, exc.detail)
        return _error(exc.status_code, exc.error, exc.description)

    install_framework_error_handlers(app, log=log, who="provider", headers=NO_STORE)


def _health(settings: IdpSettings) -> Routes:
    """``/healthz`` (the process answers) and ``/readyz`` (and its store)."""
    routes = Routes()

    @routes.get("/healthz")
    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @routes.get("/readyz")
    async def readyz(request: Request) -> Response:
        found: IdpServices = request.app.state.services
        found.accounts.count()
        return JSONResponse({"status": "ready", "issuer": settings.issuer})

    return routes


def create_app(
    settings: IdpSettings,
    *,
    clock: Callable[[], float] = time.time,
    fetch_policy: FetchPolicy | None = None,
    http_client: httpx.AsyncClient | None = None,
    protocol_keys: ProtocolKeys | None = None,
) -> FastAPI:
    """The provider application; opens the store and keys now, so start-up problems surface here.

    ``http_client`` carries the provider's outgoing federation requests (tests pass a transport);
    ``protocol_keys`` replaces the ID token keys on disk (tests share pre-generated keys).
    """
    opened = open_services(
        settings, clock=clock, fetch_policy=fetch_policy, http_client=http_client, protocol_keys=protocol_keys
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await opened.aclose()

    app = FastAPI(
        title="ukid-interop sample identity provider",
        summary="OpenID Connect provider with Identity Assurance and OpenID Federation",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = opened
    install_error_handlers(app)
    # plain routes straight into the app under the issuer's path, the sign-in journey's first: a
    # request is matched against the routes in order
    prefix = opened.config.path_prefix
    pages = Pages.create(settings, opened.config)
    for routes in (
        authorization.router(pages),
        login.router(pages),
        consent.router(pages),
        step_up.router(pages),
        token.router(),
        userinfo.router(),
        discovery.router(),
        par.router(),
        revocation.router(),
        logout.router(pages),
        security.router(pages),
        account.router(pages),
        proofing.router(pages),
        vouching.router(pages),
        entity_configuration.router(),
        federation_registration.router(),
        _health(settings),
    ):
        routes.install(app, prefix)
    if opened.conformance is not None:
        conformance.router().install(app, prefix)
    app.include_router(pages.routes(), prefix=prefix)
    pages.mount(app)
    app.add_middleware(SecurityHeaders)
    install_observability(app, opened.metrics, prefix=prefix)
    return app
