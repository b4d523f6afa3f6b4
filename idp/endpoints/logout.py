"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2-§3).

GET or POST with ``id_token_hint``, ``client_id``, ``post_logout_redirect_uri``, ``state`` and
``ui_locales``. The hint must be an ID token this provider signed (an expired one is fine, §2);
``post_logout_redirect_uri`` must be exactly one the client registered, the client being named by
``client_id`` or the hint's audience, else an error page and no redirect (§3: never an open
redirect). Without a hint proving that the client's citizen is the one signed in, the citizen is
asked to confirm (a form with a CSRF token), so a link cannot sign anyone out (§2). Then the
session ends and the browser goes back to the client, with ``state``, or sees a signed-out page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from federation.errors import InvalidJwt
from federation.jose import AlgorithmPolicy, verify_jws
from idp.core import interaction as flow
from idp.core.clients import Client
from idp.core.errors import InvalidRequest, OAuthError
from idp.core.id_token import pairwise_subject
from idp.core.interaction import InteractionProblem
from idp.endpoints._http import Params, Routes, read_form, services
from idp.endpoints._pages import (
    BROWSER_COOKIE,
    SESSION_COOKIE,
    Pages,
    browser_cookie,
    cookie_value,
    locale_of,
    origin_of,
    see_other,
)
from idp.endpoints.login import client_label, form_problem
from idp.services import IdpServices
from idp.store.interactions import Session

__all__ = ["router"]

PARAMETERS = ("id_token_hint", "logout_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales")
#: Parameters carried through the confirmation form.
CARRIED = ("client_id", "post_logout_redirect_uri", "state", "ui_locales")
CSRF_PURPOSE = "logout"


@dataclass(frozen=True)
class _Logout:
    """A checked logout request."""

    client: Client | None
    #: The verified hint's claims (None: no hint).
    hint: dict[str, Any] | None
    redirect_uri: str | None
    state: str | None


def _problem(message: str) -> InteractionProblem:
    return InteractionProblem("logout", message)


def _verify_hint(services: IdpServices, token: str | None) -> dict[str, Any] | None:
    """The claims of an ID token this provider signed; its expiry does not matter (§2)."""
    if token is None:
        return None
    try:
        verified = verify_jws(
            token,
            services.protocol_keys.key_set(),
            ("JWT",),
            policy=AlgorithmPolicy(tuple(services.config.id_token_algorithms)),
        )
    except InvalidJwt as exc:
        raise _problem(
            f"The id_token_hint is not an ID token issued by this provider ({exc.description})."
        ) from None
    claims = verified.claims
    if claims.get("iss") != services.config.issuer:
        raise _problem("The id_token_hint was not issued by this provider.")
    return claims


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    return [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []


async def _check(services: IdpServices, params: Params) -> _Logout:
    hint = _verify_hint(services, params.get("id_token_hint"))
    client_id = params.get("client_id")
    if hint is not None:
        audiences = _audiences(hint)
        if client_id is not None and client_id not in audiences:
            raise _problem("The client_id is not the audience of the id_token_hint.")
        if client_id is None and len(audiences) == 1:
            client_id = audiences[0]
    client = await services.clients.get(client_id) if client_id is not None else None
    redirect_uri = params.get("post_logout_redirect_uri")
    if redirect_uri is not None:
        if client is None:
            raise _problem("A post_logout_redirect_uri needs the client: send client_id or id_token_hint.")
        if redirect_uri not in client.post_logout_redirect_uris:
            raise _problem("The post_logout_redirect_uri is not registered for this client.")
    return _Logout(client, hint, redirect_uri, params.get("state"))


def _hint_names(services: IdpServices, checked: _Logout, session: Session | None) -> bool:
    """True when the hint's subject is the citizen signed in (for the hinted client's sector)."""
    if checked.hint is None or checked.client is None or session is None:
        return False
    expected = pairwise_subject(services.config.pairwise_salt, checked.client.sector, session.account_id)
    return checked.hint.get("sub") == expected


async def _logout(pages: Pages, request: Request, params: Params, *, confirming: bool) -> Response:
    found = services(request)
    locale = locale_of((params.get("ui_locales") or "").split())
    try:
        checked = await _check(found, params)
        session_id = cookie_value(request, SESSION_COOKIE)
        session = found.interactions.session(session_id) if session_id is not None else None
        if confirming:
            flow.check_csrf(
                found.config.pairwise_salt,
                cookie_value(request, BROWSER_COOKIE),
                CSRF_PURPOSE,
                params.get("csrf_token"),
            )
        elif session is not None and not _hint_names(found, checked, session):
            return _confirmation(pages, request, params, checked, locale)
    except InteractionProblem as exc:
        return pages.problem(exc, locale=locale)
    except OAuthError as exc:
        return pages.oauth_error(exc, locale=locale)
    if session_id is not None:
        found.interactions.end_session(session_id)
    if checked.redirect_uri is not None:
        response = see_other(flow.response_location(checked.redirect_uri, {"state": checked.state}))
    else:
        response = pages.render("signed_out.html", locale=locale)
    pages.cookies.clear(response, SESSION_COOKIE)
    return response


def _confirmation(pages: Pages, request: Request, params: Params, checked: _Logout, locale: str) -> Response:
    found = services(request)
    browser_id, new_browser = browser_cookie(request)
    carried = [(name, value) for name in CARRIED if (value := params.get(name)) is not None]
    if checked.client is not None and params.get("client_id") is None:
        carried.insert(0, ("client_id", checked.client.client_id))
    response = pages.render(
        "logout.html",
        locale=locale,
        form_action=(origin_of(checked.redirect_uri),) if checked.redirect_uri else (),
        csrf_token=flow.csrf_token(found.config.pairwise_salt, browser_id, CSRF_PURPOSE),
        carried=carried,
        client_label=client_label(checked.client) if checked.client is not None else None,
    )
    return pages.keep_browser(response, browser_id, new_browser)


def router(pages: Pages) -> Routes:
    """``GET`` and ``POST /logout`` (``end_session_endpoint``)."""
    routes = Routes()

    @routes.get("/logout", summary="RP-initiated logout (RP-Initiated Logout 1.0 §2)")
    async def logout_get(request: Request) -> Response:
        try:
            params = Params(request.query_params.multi_items(), allowed=PARAMETERS)
        except InvalidRequest as exc:
            return pages.problem(form_problem(exc))
        return await _logout(pages, request, params, confirming=False)

    @routes.post("/logout", summary="RP-initiated logout, form post, and its confirmation")
    async def logout_post(request: Request) -> Response:
        try:
            params = await read_form(request, allowed=(*PARAMETERS, "csrf_token"))
        except InvalidRequest as exc:
            return pages.problem(form_problem(exc))
        return await _logout(pages, request, params, confirming="csrf_token" in params)

    return routes
