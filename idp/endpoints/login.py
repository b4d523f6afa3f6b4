"""The sign-in page of an authorization (OpenID Connect Core 1.0 §3.1.2.3: the provider
authenticates the citizen), reached from the authorization endpoint.

The form carries the interaction and a CSRF token bound to the browser cookie and the interaction;
a POST without the right token is refused with an error page and changes nothing. A wrong
password, an unknown username and a locked account all show the same message. A successful
sign-in starts a new session (a new cookie: a session ID is never carried over from before the
sign-in) and ends the one the browser had.
"""

from __future__ import annotations

import os

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.responses import Response

from idp.core import interaction as flow
from idp.core.clients import Client
from idp.core.errors import InvalidRequest, OAuthError
from idp.core.interaction import InteractionProblem
from idp.core.requests import AuthorizationRequest
from idp.endpoints._http import Routes, read_form, services
from idp.endpoints._pages import BROWSER_COOKIE, SESSION_COOKIE, Pages, cookie_value, locale_of, origin_of
from idp.endpoints.authorization import next_response
from idp.services import IdpServices
from idp.store.interactions import Interaction

__all__ = ["client_label", "form_problem", "router"]

LOGIN_FIELDS = ("interaction", "csrf_token", "username", "password")


def client_label(client: Client) -> str:
    """How the client is named on the pages: its name, else its organisation's."""
    return client.client_name or client.organization_name


def form_problem(exc: InvalidRequest) -> InteractionProblem:
    """A form that cannot even be read."""
    return InteractionProblem("form", f"The form could not be read: {exc.description}.")


def _login_page(
    pages: Pages,
    found: IdpServices,
    interaction: Interaction,
    client: Client,
    browser_id: str,
    *,
    username: str,
    failed: bool,
) -> Response:
    request = AuthorizationRequest.from_json(interaction.request)
    return pages.render(
        "login.html",
        locale=locale_of(request.ui_locales),
        form_action=(origin_of(request.redirect_uri),),
        interaction=interaction.id,
        csrf_token=flow.csrf_token(found.config.pairwise_salt, browser_id, f"interaction:{interaction.id}"),
        client_label=client_label(client),
        username=username,
        failed=failed,
    )


class _HashingSlots:
    """At most as many password verifications at once as there are CPUs: each argon2 verification
    holds its memory (64 MiB with the standard cost) in its thread, so an unbounded thread pool under
    a burst of sign-ins would be a memory exhaustion risk. Created on first use, inside the event loop."""

    def __init__(self) -> None:
        self._limiter: anyio.CapacityLimiter | None = None

    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(max(2, os.cpu_count() or 2))
        return self._limiter


def router(pages: Pages) -> Routes:
    """``GET`` and ``POST /login``."""
    routes = Routes()
    hashing = _HashingSlots()

    @routes.get("/login")
    async def login_page(request: Request) -> Response:
        found = services(request)
        try:
            interaction, browser_id = flow.open_interaction(
                found, request.query_params.get("interaction"), cookie_value(request, BROWSER_COOKIE)
            )
            client = await found.clients.get(interaction.client_id)
        except InteractionProblem as exc:
            return pages.problem(exc)
        except OAuthError as exc:
            return pages.oauth_error(exc)
        hint = AuthorizationRequest.from_json(interaction.request).login_hint or ""
        return _login_page(pages, found, interaction, client, browser_id, username=hint, failed=False)

    @routes.post("/login")
    async def login(request: Request) -> Response:
        found = services(request)
        browser_id = cookie_value(request, BROWSER_COOKIE)
        try:
            form = await read_form(request, allowed=LOGIN_FIELDS)
        except InvalidRequest as exc:
            return pages.problem(form_problem(exc))
        interaction_id = form.get("interaction") or ""
        try:
            flow.check_csrf(
                found.config.pairwise_salt,
                browser_id,
                f"interaction:{interaction_id}",
                form.get("csrf_token"),
            )
            interaction, browser_id = flow.open_interaction(found, interaction_id, browser_id)
            client = await found.clients.get(interaction.client_id)
            arguments = (
                found,
                interaction,
                form.get("username") or "",
                form.get("password") or "",
                cookie_value(request, SESSION_COOKIE),
            )
            if found.passwords.expensive:
                # argon2 takes a hundred milliseconds of CPU and 64 MiB: off the event loop, a few at a time
                outcome = await anyio.to_thread.run_sync(flow.sign_in, *arguments, limiter=hashing.limiter())
            else:
                outcome = flow.sign_in(*arguments)
            if isinstance(outcome, flow.SignInFailed):
                return _login_page(
                    pages, found, interaction, client, browser_id, username=outcome.username, failed=True
                )
            step = await flow.signed_in(found, client, interaction, outcome, browser_id)
        except InteractionProblem as exc:
            return pages.problem(exc)
        except OAuthError as exc:
            return pages.oauth_error(exc)
        response = next_response(pages, step)
        pages.cookies.set(response, SESSION_COOKIE, outcome.session_id, found.config.session_lifetime)
        return response

    return routes
