"""The authorization endpoint (OpenID Connect Core 1.0 §3.1.2; RFC 9126 §4 for pushed requests).

GET with a query or POST with a form (Core §3.1.2.1). Until the client and its redirect URI are
established, every problem is an error page and nothing is sent anywhere (RFC 6749 §4.1.2.1:
never redirect to an unverified URI); after that, errors go back to the redirect URI with
``state`` and ``iss`` (RFC 9207 §2). A pushed request (``request_uri``) is used once, by the
client that pushed it; the other parameters sent with it are ignored (RFC 9126 §4).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from idp.core import interaction as flow
from idp.core.authorization import (
    MAX_STATE,
    PARAMETERS,
    check_claims_allowed,
    check_request,
    trusted_redirect_uri,
)
from idp.core.clients import Client
from idp.core.errors import InvalidRequest, InvalidRequestUri, OAuthError
from idp.core.requests import AuthorizationRequest
from idp.endpoints._http import Params, Routes, read_form, services
from idp.endpoints._pages import (
    BROWSER_COOKIE,
    SESSION_COOKIE,
    Pages,
    browser_cookie,
    cookie_value,
    locale_of,
    see_other,
)
from idp.services import IdpServices
from idp.store.interactions import REQUEST_URI_PREFIX

__all__ = ["next_response", "router"]


class _Untrusted(Exception):
    """An error with no trusted redirect URI: shown as a page."""

    def __init__(self, error: OAuthError) -> None:
        super().__init__(error.description)
        self.error = error


class _ToClient(Exception):
    """An error to send back to the trusted redirect URI."""

    def __init__(self, request: AuthorizationRequest, error: OAuthError) -> None:
        super().__init__(error.description)
        self.request = request
        self.error = error


def next_response(pages: Pages, step: flow.Next) -> Response:
    """The browser's next stop: the client (code or error), the sign-in, consent or step-up page."""
    if isinstance(step, flow.Redirect):
        return see_other(step.location)
    if isinstance(step, flow.ShowLogin):
        page = "login"
    elif isinstance(step, flow.ShowConsent):
        page = "consent"
    else:
        page = "step-up"
    return see_other(f"{pages.base}/{page}?interaction={step.interaction_id}")


def _state(params: Params) -> str | None:
    state = params.get("state")
    return state if state is not None and len(state) <= MAX_STATE else None


async def _client(services: IdpServices, params: Params) -> Client:
    client_id = params.get("client_id")
    if client_id is None:
        raise _Untrusted(InvalidRequest("client_id is required (OpenID Connect Core §3.1.2.1)"))
    try:
        return await services.clients.get(client_id)
    except OAuthError as exc:
        raise _Untrusted(exc) from None


def _pushed(services: IdpServices, client: Client, request_uri: str) -> AuthorizationRequest:
    """The pushed request ``request_uri`` of ``client``, consumed (RFC 9126 §4)."""
    stored = services.interactions.pushed(request_uri) if request_uri.startswith(REQUEST_URI_PREFIX) else None
    if stored is None or stored.client_id != client.client_id:
        raise _Untrusted(
            InvalidRequestUri(
                "request_uri is not a pushed authorization request of this client",
                detail=f"{client.client_id}: {request_uri[:100]!r}",
            )
        )
    request = AuthorizationRequest.from_json(stored.request)
    if request.redirect_uri not in client.redirect_uris:
        raise _Untrusted(
            InvalidRequest("the pushed request's redirect_uri is no longer registered for this client")
        )
    if stored.used_at is not None:
        raise _ToClient(request, InvalidRequestUri("request_uri has already been used"))
    if stored.expires_at <= services.now():
        raise _ToClient(request, InvalidRequestUri("request_uri has expired (RFC 9126 §2.2)"))
    try:
        check_claims_allowed(client, request)  # what the federation says of the client may have changed
    except OAuthError as exc:
        raise _ToClient(request, exc) from None
    if not services.interactions.consume_pushed(request_uri):  # used a moment ago, by another request
        raise _ToClient(request, InvalidRequestUri("request_uri has already been used"))
    return request


async def _authorize(pages: Pages, request: Request, params: Params) -> Response:
    found = services(request)
    issuer = found.config.issuer
    locale = locale_of((params.get("ui_locales") or "").split())
    try:
        client = await _client(found, params)
        request_uri = params.get("request_uri")
        if request_uri is not None:
            checked = _pushed(found, client, request_uri)
        else:
            redirect_uri = _trusted(client, params.get("redirect_uri"))
            try:
                checked = check_request(params.as_dict(), client, redirect_uri, pushed=False)
            except OAuthError as exc:
                return see_other(flow.error_location(issuer, redirect_uri, _state(params), exc))
    except _Untrusted as exc:
        return pages.oauth_error(exc.error, locale=locale)
    except _ToClient as exc:
        return see_other(flow.error_location(issuer, exc.request.redirect_uri, exc.request.state, exc.error))
    browser_id, _new = browser_cookie(request)
    try:
        step = await flow.authorize(
            found, client, checked, browser_id=browser_id, session_id=cookie_value(request, SESSION_COOKIE)
        )
    except OAuthError as exc:  # prompt=none cannot be honoured: nothing was written
        return see_other(flow.error_location(issuer, checked.redirect_uri, checked.state, exc))
    response = next_response(pages, step)
    # set (or refresh) the browser cookie the interaction is bound to
    pages.cookies.set(response, BROWSER_COOKIE, browser_id, found.config.session_lifetime)
    return response


def _trusted(client: Client, redirect_uri: str | None) -> str:
    try:
        return trusted_redirect_uri(client, redirect_uri)
    except OAuthError as exc:
        raise _Untrusted(exc) from None


def router(pages: Pages) -> Routes:
    """``GET`` and ``POST /authorize``."""
    routes = Routes()

    @routes.get("/authorize", summary="Authorization endpoint (OpenID Connect Core §3.1.2)")
    async def authorize_get(request: Request) -> Response:
        try:
            params = Params(request.query_params.multi_items(), allowed=PARAMETERS)
        except InvalidRequest as exc:
            return pages.oauth_error(exc)
        return await _authorize(pages, request, params)

    @routes.post("/authorize", summary="Authorization endpoint, form post (OpenID Connect Core §3.1.2.1)")
    async def authorize_post(request: Request) -> Response:
        try:
            params = await read_form(request, allowed=PARAMETERS)
        except InvalidRequest as exc:
            return pages.oauth_error(exc)
        return await _authorize(pages, request, params)

    return routes
