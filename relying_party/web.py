"""The relying-party library in a FastAPI app: a router for the login and a dependency for the pages
that need a proven identity.

    web = RelyingPartyWeb(rp, entity, pages)
    app.include_router(web.router())
    web.install(app)                      # LoginRequired -> "choose how to prove who you are"

    @app.get("/blue-badge/apply")
    async def apply(result: LoginResult = Depends(web.require("blue-badge"))) -> Response: ...

Routes (under the entity ID's path):

- ``GET  {auth}/choose?service=&return_to=``: the providers that may serve the service (federation
  providers certified for its level, and static ones), as :meth:`Pages.choose` renders them;
- ``POST {auth}/start`` (form ``service``, ``issuer``, ``return_to``, ``step_up``): starts the login
  and redirects the browser to the provider (303);
- ``GET  {auth}/callback``: the redirect URI; an accepted result goes back to ``return_to``, a
  refused one to the "why not" page, a failed login to :meth:`Pages.failed` (status 400);
- ``GET  {auth}/why-not?service=``: why the last result was not accepted, with the step-up;
- ``POST {auth}/signout``: ends the session at the service;
- ``GET  /.well-known/openid-federation``: the entity configuration (OpenID Federation 1.0 §9).

Each login's outcome is counted in the app's ``ukid_logins_total``
(:func:`federation.service.observability.metrics_of`): ``accepted``, ``refused`` (the policy did not
accept the evidence: the "why not" page) or the :class:`Refusal` code of a failed login, at the
callback or already at the start (e.g. ``untrusted_provider``).

The session cookie is ``HttpOnly``, ``SameSite=Lax`` (the provider's redirect back is a top-level
GET) and ``Secure`` outside development; its name carries a digest of the entity ID, so services on
one host (different ports share cookies) never read each other's.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from federation.service.observability import metrics_of
from relying_party.core.errors import LoginError, Refusal
from relying_party.core.login import RelyingParty
from relying_party.core.policy import ServicePolicy
from relying_party.core.providers import Provider
from relying_party.core.result import LoginResult

__all__ = ["ACCEPTED", "REFUSED", "LoginRequired", "Pages", "RelyingPartyWeb", "safe_return_to"]

log = logging.getLogger("relying_party.web")

_LOCAL = re.compile(r"/(?![/\\])[^\s\\\x00-\x1f\x7f]*")
#: Login outcomes counted beside the refusal codes of failed logins (:class:`Refusal`): the policy
#: accepted the evidence, or did not (the "why not" page).
ACCEPTED = "accepted"
REFUSED = "refused"


def _count(request: Request, outcome: str) -> None:
    """Count a login's outcome in the app's ``ukid_logins_total`` (when the app has metrics)."""
    metrics = metrics_of(request)
    if metrics is not None:
        metrics.login(outcome)


class Pages(Protocol):
    """How the service shows the library's pages (its own look: GOV.UK, NHS.UK ...)."""

    def choose(
        self, request: Request, *, policy: ServicePolicy, providers: list[Provider], return_to: str
    ) -> Response:
        """ "Choose how to prove who you are": one button per provider (``POST {auth}/start``)."""

    def refused(self, request: Request, *, policy: ServicePolicy, result: LoginResult) -> Response:
        """Why the evidence was not accepted, in plain words, with the step-up when there is one."""

    def failed(self, request: Request, *, policy: ServicePolicy | None, error: LoginError) -> Response:
        """A login that failed (refused provider, bad response, the citizen declined ...)."""


class LoginRequired(Exception):
    """Raised by :meth:`RelyingPartyWeb.require`: the service needs a login first."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def safe_return_to(value: str | None, prefix: str) -> str:
    """``value`` when it is a local path under ``prefix`` (no scheme, no ``//``, no backslash), else
    the service's home: never an open redirect."""
    if not value or len(value) > 2000 or not _LOCAL.fullmatch(value):
        return prefix or "/"
    if not prefix or value == prefix or value.startswith((prefix + "/", prefix + "?", prefix + "#")):
        return value
    return prefix or "/"


class RelyingPartyWeb:
    """The router, the dependency and the session cookie of one relying party."""

    def __init__(
        self, rp: RelyingParty, pages: Pages, *, configuration: Callable[[], Awaitable[str]]
    ) -> None:
        self.rp = rp
        self.pages = pages
        self.configuration = configuration
        config = rp.config
        self.prefix = config.path_prefix
        self.auth = f"{self.prefix}{config.auth_path}"
        tag = hashlib.sha256(config.entity_id.encode()).hexdigest()[:10]
        self.cookie = f"ukid-rp-{tag}"

    # -- the session ---------------------------------------------------------------------------------
    def session(self, request: Request) -> str | None:
        """The browser's session handle, if any."""
        value = request.cookies.get(self.cookie)
        return value if value and len(value) <= 100 else None

    def _set_cookie(self, response: Response, handle: str) -> None:
        response.set_cookie(
            self.cookie,
            handle,
            max_age=self.rp.config.session_lifetime,
            path=self.prefix or "/",
            secure=self.rp.config.secure_cookies,
            httponly=True,
            samesite="lax",
        )

    def form_token(self, request: Request, form: str) -> str:
        """The CSRF token of the service's form ``form`` for this browser (OWASP synchronizer token):
        an HMAC keyed with the session handle, so it holds across workers and restarts and stops
        working at sign-out or the next login; empty without a session."""
        handle = self.session(request)
        if not handle:
            return ""
        return hmac.new(handle.encode(), f"ukid-rp-form:{form}".encode(), hashlib.sha256).hexdigest()

    def form_token_valid(self, request: Request, form: str, token: object) -> bool:
        """True when ``token`` is this browser's token for ``form`` (compared in constant time)."""
        expected = self.form_token(request, form)
        return bool(expected) and isinstance(token, str) and hmac.compare_digest(expected, token)

    def results(self, request: Request) -> dict[str, LoginResult]:
        """Every login result held by this browser's session, by service."""
        return self.rp.store.results(self.session(request))

    def require(self, service: str) -> Callable[[Request], Awaitable[LoginResult]]:
        """A dependency giving the accepted result for ``service``; otherwise the browser is sent to
        choose a provider (no result) or to the "why not" page (a refused one)."""
        self.rp.policy(service)

        async def dependency(request: Request) -> LoginResult:
            result = self.results(request).get(service)
            if result is not None and result.accepted:
                return result
            if result is not None:
                raise LoginRequired(f"{self.auth}/why-not?service={service}")
            here = safe_return_to(request.url.path, self.prefix)
            raise LoginRequired(f"{self.auth}/choose?service={service}&return_to={here}")

        return dependency

    def install(self, app: FastAPI) -> None:
        """Answer :class:`LoginRequired` with a redirect (303)."""

        @app.exception_handler(LoginRequired)
        async def login_required(_request: Request, exc: LoginRequired) -> Response:
            return RedirectResponse(exc.location, status_code=303)

    # -- routes --------------------------------------------------------------------------------------
    def _policy(self, name: str | None) -> ServicePolicy | None:
        return self.rp.config.policy(name or "")

    def router(self) -> APIRouter:
        """The library's routes (module documentation)."""
        routes = APIRouter(include_in_schema=False)
        pages = self.pages

        @routes.get(f"{self.prefix}/.well-known/openid-federation")
        async def entity_configuration() -> Response:
            return Response(await self.configuration(), media_type="application/entity-statement+jwt")

        @routes.get(f"{self.auth}/choose")
        async def choose(request: Request) -> Response:
            policy = self._policy(request.query_params.get("service"))
            if policy is None:
                return self._failed(request, None, self._unknown_service(request.query_params.get("service")))
            providers, refused = await self.rp.directory.available(policy.minimum_level)
            for exc in refused:
                log.info("provider left out for %s: %s", policy.name, exc.description)
            return_to = safe_return_to(request.query_params.get("return_to"), self.prefix)
            return pages.choose(request, policy=policy, providers=providers, return_to=return_to)

        @routes.post(f"{self.auth}/start")
        async def start(request: Request) -> Response:
            form = await request.form()
            service, issuer = str(form.get("service", "")), str(form.get("issuer", ""))
            policy = self._policy(service)
            if policy is None:
                return self._failed(request, None, self._unknown_service(service))
            handle = self.session(request) or secrets.token_urlsafe(32)
            try:
                location = await self.rp.start(
                    service,
                    issuer[:2000],
                    session=handle,
                    return_to=safe_return_to(str(form.get("return_to", "")), self.prefix),
                    step_up=form.get("step_up") == "yes",
                )
            except LoginError as exc:
                _count(request, exc.code)
                return self._failed(request, policy, exc)
            response = RedirectResponse(location, status_code=303)
            if self.session(request) != handle:
                self._set_cookie(response, handle)
            return response

        @routes.get(f"{self.auth}/callback")
        async def callback(request: Request) -> Response:
            params = {k: v[:4000] for k, v in request.query_params.items()}
            try:
                finished = await self.rp.finish(params, session=self.session(request))
            except LoginError as exc:
                log.info("login refused (%s, %s): %s %s", exc.code, exc.check, exc.description, exc.detail)
                _count(request, exc.code)
                return self._failed(request, None, exc)
            result = finished.result
            _count(request, ACCEPTED if result.accepted else REFUSED)
            handle = self.rp.store.keep_result(self.session(request), result, self.rp.config.session_lifetime)
            location = (
                finished.return_to if result.accepted else f"{self.auth}/why-not?service={result.service}"
            )
            response = RedirectResponse(location, status_code=303)
            self._set_cookie(response, handle)
            return response

        @routes.get(f"{self.auth}/why-not")
        async def why_not(request: Request) -> Response:
            policy = self._policy(request.query_params.get("service"))
            if policy is None:
                return self._failed(request, None, self._unknown_service(request.query_params.get("service")))
            result = self.results(request).get(policy.name)
            if result is None or result.accepted:
                return RedirectResponse(f"{self.auth}/choose?service={policy.name}", status_code=303)
            return pages.refused(request, policy=policy, result=result)

        @routes.post(f"{self.auth}/signout")
        async def signout(request: Request) -> Response:
            handle = self.session(request)
            if handle:
                self.rp.store.end_session(handle)
            response = RedirectResponse(self.prefix or "/", status_code=303)
            response.delete_cookie(self.cookie, path=self.prefix or "/")
            return response

        return routes

    @staticmethod
    def _unknown_service(name: str | None) -> LoginError:
        return LoginError(
            Refusal.INVALID_REQUEST, f"There is no service called {str(name or '')[:64]!r}.", check="service"
        )

    def _failed(self, request: Request, policy: ServicePolicy | None, error: LoginError) -> Response:
        response = self.pages.failed(request, policy=policy, error=error)
        response.status_code = 400
        return response
