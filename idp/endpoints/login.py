"""Sign-in pages: the sign-in of an authorization (OpenID Connect Core 1.0 §3.1.2.3: the provider
authenticates the citizen), reached from the authorization endpoint, and the account area's
sign-in (``/signin?next=``), each followed by a code (RFC 6238) when the citizen has two-step sign-in.

Every form carries a CSRF token bound to the browser cookie (and the interaction); a POST without
the right token is refused with an error page and changes nothing. A wrong password, an unknown
username and a locked account all show the same message. After the right password of an account
with a second factor, a short-lived cookie bound to the browser and the interaction (or the
account area) lets the code page follow; only then is the session created. A successful sign-in
starts a new session (a new cookie: a session ID is never carried over from before the sign-in)
and ends the one the browser had. The account area's ``next`` must be a page of this provider
(never an open redirect).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.responses import Response

from idp.core import interaction as flow
from idp.core import totp
from idp.core.clients import Client
from idp.core.errors import InvalidRequest, OAuthError
from idp.core.interaction import InteractionProblem
from idp.core.requests import AuthorizationRequest
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
from idp.endpoints._text import text_for
from idp.endpoints.authorization import next_response
from idp.services import IdpServices
from idp.store.interactions import Interaction

__all__ = ["STEP_COOKIE", "client_label", "form_problem", "next_page", "router"]

LOGIN_FIELDS = ("interaction", "csrf_token", "username", "password")
CODE_FIELDS = ("interaction", "csrf_token", "code")
SIGNIN_FIELDS = ("next", "csrf_token", "username", "password")
SIGNIN_CODE_FIELDS = ("next", "csrf_token", "code")
#: The cookie that lets the code page follow a right password (see :func:`idp.core.totp.step_token`).
STEP_COOKIE = "ukid_idp_step"
#: The CSRF and second-step purpose of the account area's sign-in.
SIGNIN_PURPOSE = "signin"
MAX_NEXT = 2048
_CODE_ERRORS = {
    "wrong": "sec_code_wrong",
    "reused": "sec_code_reused",
    "recovery_used": "sec_code_recovery_used",
    "locked": "sec_code_locked",
    "missing": "sec_code_missing",
}


def client_label(client: Client) -> str:
    """How the client is named on the pages: its name, else its organisation's."""
    return client.client_name or client.organization_name


def form_problem(exc: InvalidRequest) -> InteractionProblem:
    """A form that cannot even be read."""
    return InteractionProblem("form", f"The form could not be read: {exc.description}.")


def next_page(pages: Pages, value: str | None) -> str:
    """Where the account area's sign-in goes afterwards: a path on this provider (the account page
    when none is given); ``InteractionProblem`` for anything else (never an open redirect)."""
    if value is None:
        return f"{pages.base}/account"
    parts = urlsplit(value)
    segments = parts.path.split("/")
    if (
        len(value) > MAX_NEXT
        or not value.startswith(f"{pages.base}/")
        or value.startswith("//")
        or "\\" in value
        or parts.scheme
        or parts.netloc
        or any(segment in {".", ".."} for segment in segments)
        or "%2e" in parts.path.lower()
        or "%2f" in parts.path.lower()
        or "%5c" in parts.path.lower()
    ):
        raise InteractionProblem(
            "next", "The page to go back to after signing in is not a page of this service."
        )
    return value


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
    locale = locale_of(request.ui_locales)
    return pages.render(
        "login.html",
        locale=locale,
        form_action=(origin_of(request.redirect_uri),),
        action="/login",
        hidden=[("interaction", interaction.id)],
        lead=text_for(locale)["sign_in_lead"].format(client=client_label(client)),
        csrf_token=flow.csrf_token(found.config.pairwise_salt, browser_id, f"interaction:{interaction.id}"),
        username=username,
        failed=failed,
    )


def _code_page(
    pages: Pages,
    *,
    locale: str,
    action: str,
    hidden: Sequence[tuple[str, str]],
    csrf_token: str,
    error: str | None = None,
    form_action: Sequence[str] = (),
) -> Response:
    return pages.render(
        "security_code.html",
        locale=locale,
        form_action=form_action,
        action=action,
        hidden=list(hidden),
        csrf_token=csrf_token,
        error_key=_CODE_ERRORS[error] if error is not None else None,
    )


def _step_expired() -> InteractionProblem:
    return InteractionProblem(
        "second_step",
        "The time to enter your security code has run out, or you signed in in another window. "
        "Sign in again.",
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

    async def sign_in(
        self,
        found: IdpServices,
        interaction: Interaction | None,
        username: str,
        password: str,
        previous: str | None,
    ) -> flow.SignedIn | flow.SecondStep | flow.SignInFailed:
        """:func:`idp.core.interaction.sign_in`, off the event loop when hashing is expensive (argon2
        takes a hundred milliseconds of CPU and 64 MiB: a few at a time)."""
        arguments = (found, interaction, username, password, previous)
        if found.passwords.expensive:
            return await anyio.to_thread.run_sync(flow.sign_in, *arguments, limiter=self.limiter())
        return flow.sign_in(*arguments)


def _second_step_cookie(
    pages: Pages, response: Response, found: IdpServices, browser_id: str, *, purpose: str, account_id: str
) -> None:
    """Let the code page follow the right password, for five minutes, in this browser only."""
    token = totp.step_token(found.config.pairwise_salt, browser_id, purpose, account_id, found.now())
    pages.cookies.set(response, STEP_COOKIE, token, flow.SECOND_STEP_SECONDS)


def _step_account(request: Request, found: IdpServices, browser_id: str | None, purpose: str) -> str | None:
    return totp.step_account(
        found.config.pairwise_salt,
        browser_id,
        purpose,
        request.cookies.get(STEP_COOKIE),
        now=found.now(),
        lifetime=flow.SECOND_STEP_SECONDS,
    )


def _signed_in(
    pages: Pages, request: Request, response: Response, found: IdpServices, outcome: flow.SignedIn
) -> Response:
    pages.cookies.set(response, SESSION_COOKIE, outcome.session_id, found.config.session_lifetime)
    if STEP_COOKIE in request.cookies:
        pages.cookies.clear(response, STEP_COOKIE)
    return response


class _Handlers:
    """The sign-in pages' handlers."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.hashing = _HashingSlots()

    async def login_page(self, request: Request) -> Response:
        found = services(request)
        try:
            interaction, browser_id = flow.open_interaction(
                found, request.query_params.get("interaction"), cookie_value(request, BROWSER_COOKIE)
            )
            client = await found.clients.get(interaction.client_id)
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        except OAuthError as exc:
            return self.pages.oauth_error(exc)
        hint = AuthorizationRequest.from_json(interaction.request).login_hint or ""
        return _login_page(self.pages, found, interaction, client, browser_id, username=hint, failed=False)

    async def login(self, request: Request) -> Response:
        found = services(request)
        browser_id = cookie_value(request, BROWSER_COOKIE)
        try:
            form = await read_form(request, allowed=LOGIN_FIELDS)
        except InvalidRequest as exc:
            return self.pages.problem(form_problem(exc))
        interaction_id = form.get("interaction") or ""
        purpose = f"interaction:{interaction_id}"
        try:
            flow.check_csrf(found.config.pairwise_salt, browser_id, purpose, form.get("csrf_token"))
            interaction, browser_id = flow.open_interaction(found, interaction_id, browser_id)
            client = await found.clients.get(interaction.client_id)
            outcome = await self.hashing.sign_in(
                found,
                interaction,
                form.get("username") or "",
                form.get("password") or "",
                cookie_value(request, SESSION_COOKIE),
            )
            if isinstance(outcome, flow.SignInFailed):
                return _login_page(
                    self.pages, found, interaction, client, browser_id, username=outcome.username, failed=True
                )
            if isinstance(outcome, flow.SecondStep):
                response = see_other(f"{self.pages.base}/login/totp?interaction={interaction.id}")
                _second_step_cookie(
                    self.pages, response, found, browser_id, purpose=purpose, account_id=outcome.account.id
                )
                return response
            step = await flow.signed_in(found, client, interaction, outcome, browser_id)
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        except OAuthError as exc:
            return self.pages.oauth_error(exc)
        return _signed_in(self.pages, request, next_response(self.pages, step), found, outcome)

    def _interaction_code_page(
        self, found: IdpServices, interaction: Interaction, browser_id: str, error: str | None = None
    ) -> Response:
        request = AuthorizationRequest.from_json(interaction.request)
        return _code_page(
            self.pages,
            locale=locale_of(request.ui_locales),
            action="/login/totp",
            hidden=[("interaction", interaction.id)],
            csrf_token=flow.csrf_token(
                found.config.pairwise_salt, browser_id, f"interaction:{interaction.id}"
            ),
            error=error,
            form_action=(origin_of(request.redirect_uri),),
        )

    async def login_code_page(self, request: Request) -> Response:
        found = services(request)
        try:
            interaction, browser_id = flow.open_interaction(
                found, request.query_params.get("interaction"), cookie_value(request, BROWSER_COOKIE)
            )
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        if _step_account(request, found, browser_id, f"interaction:{interaction.id}") is None:
            return see_other(f"{self.pages.base}/login?interaction={interaction.id}")
        return self._interaction_code_page(found, interaction, browser_id)

    async def login_code(self, request: Request) -> Response:
        found = services(request)
        browser_id = cookie_value(request, BROWSER_COOKIE)
        try:
            form = await read_form(request, allowed=CODE_FIELDS)
        except InvalidRequest as exc:
            return self.pages.problem(form_problem(exc))
        purpose = f"interaction:{form.get('interaction') or ''}"
        try:
            flow.check_csrf(found.config.pairwise_salt, browser_id, purpose, form.get("csrf_token"))
            interaction, browser_id = flow.open_interaction(found, form.get("interaction"), browser_id)
            account_id = _step_account(request, found, browser_id, purpose)
            if account_id is None:
                raise _step_expired()
            client = await found.clients.get(interaction.client_id)
            code = form.get("code")
            if code is None:
                return self._interaction_code_page(found, interaction, browser_id, "missing")
            outcome = flow.second_step(
                found,
                account_id,
                code,
                interaction_id=interaction.id,
                previous_session=cookie_value(request, SESSION_COOKIE),
            )
            if isinstance(outcome, flow.CodeRefused):
                return self._interaction_code_page(found, interaction, browser_id, outcome.reason)
            step = await flow.signed_in(found, client, interaction, outcome, browser_id)
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        except OAuthError as exc:
            return self.pages.oauth_error(exc)
        return _signed_in(self.pages, request, next_response(self.pages, step), found, outcome)

    # -- the account area's sign-in -------------------------------------------------------------

    def _signin_page(
        self, found: IdpServices, browser_id: str, target: str, *, username: str = "", failed: bool = False
    ) -> Response:
        return self.pages.render(
            "login.html",
            locale="en",
            action="/signin",
            hidden=[("next", target)],
            lead=text_for("en")["sec_account_lead"].format(organisation=found.config.organization_name),
            csrf_token=flow.csrf_token(found.config.pairwise_salt, browser_id, SIGNIN_PURPOSE),
            username=username,
            failed=failed,
        )

    def _signin_code_page(
        self, found: IdpServices, browser_id: str, target: str, error: str | None = None
    ) -> Response:
        return _code_page(
            self.pages,
            locale="en",
            action="/signin/totp",
            hidden=[("next", target)],
            csrf_token=flow.csrf_token(found.config.pairwise_salt, browser_id, SIGNIN_PURPOSE),
            error=error,
        )

    async def signin_page(self, request: Request) -> Response:
        found = services(request)
        try:
            target = next_page(
                self.pages, Params(request.query_params.multi_items(), allowed=("next",)).get("next")
            )
        except InvalidRequest as exc:
            return self.pages.problem(form_problem(exc))
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        browser_id, new_browser = browser_cookie(request)
        response = self._signin_page(found, browser_id, target)
        return self.pages.keep_browser(response, browser_id, new_browser)

    async def signin(self, request: Request) -> Response:
        found = services(request)
        browser_id = cookie_value(request, BROWSER_COOKIE)
        try:
            form = await read_form(request, allowed=SIGNIN_FIELDS)
            flow.check_csrf(found.config.pairwise_salt, browser_id, SIGNIN_PURPOSE, form.get("csrf_token"))
            target = next_page(self.pages, form.get("next"))
        except InvalidRequest as exc:
            return self.pages.problem(form_problem(exc))
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        assert browser_id is not None  # checked with the CSRF token
        outcome = await self.hashing.sign_in(
            found,
            None,
            form.get("username") or "",
            form.get("password") or "",
            cookie_value(request, SESSION_COOKIE),
        )
        if isinstance(outcome, flow.SignInFailed):
            return self._signin_page(found, browser_id, target, username=outcome.username, failed=True)
        if isinstance(outcome, flow.SecondStep):
            response = see_other(f"{self.pages.base}/signin/totp?next={quote(target, safe='')}")
            _second_step_cookie(
                self.pages, response, found, browser_id, purpose=SIGNIN_PURPOSE, account_id=outcome.account.id
            )
            return response
        return _signed_in(self.pages, request, see_other(target), found, outcome)

    async def signin_code_page(self, request: Request) -> Response:
        found = services(request)
        try:
            target = next_page(
                self.pages, Params(request.query_params.multi_items(), allowed=("next",)).get("next")
            )
        except InvalidRequest as exc:
            return self.pages.problem(form_problem(exc))
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        browser_id = cookie_value(request, BROWSER_COOKIE)
        if browser_id is None or _step_account(request, found, browser_id, SIGNIN_PURPOSE) is None:
            return see_other(f"{self.pages.base}/signin?next={quote(target, safe='')}")
        return self._signin_code_page(found, browser_id, target)

    async def signin_code(self, request: Request) -> Response:
        found = services(request)
        browser_id = cookie_value(request, BROWSER_COOKIE)
        try:
            form = await read_form(request, allowed=SIGNIN_CODE_FIELDS)
            flow.check_csrf(found.config.pairwise_salt, browser_id, SIGNIN_PURPOSE, form.get("csrf_token"))
            target = next_page(self.pages, form.get("next"))
            account_id = _step_account(request, found, browser_id, SIGNIN_PURPOSE)
            if account_id is None:
                raise _step_expired()
        except InvalidRequest as exc:
            return self.pages.problem(form_problem(exc))
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        assert browser_id is not None  # checked with the CSRF token
        code = form.get("code")
        if code is None:
            return self._signin_code_page(found, browser_id, target, "missing")
        try:
            outcome = flow.second_step(
                found,
                account_id,
                code,
                interaction_id=None,
                previous_session=cookie_value(request, SESSION_COOKIE),
            )
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        if isinstance(outcome, flow.CodeRefused):
            return self._signin_code_page(found, browser_id, target, outcome.reason)
        return _signed_in(self.pages, request, see_other(target), found, outcome)


def router(pages: Pages) -> Routes:
    """``GET``/``POST /login`` and ``/login/totp`` (an authorization's sign-in), ``/signin`` and
    ``/signin/totp`` (the account area's)."""
    routes = Routes()
    handlers = _Handlers(pages)
    routes.get("/login")(handlers.login_page)
    routes.post("/login")(handlers.login)
    routes.get("/login/totp")(handlers.login_code_page)
    routes.post("/login/totp")(handlers.login_code)
    routes.get("/signin", summary="The account area's sign-in")(handlers.signin_page)
    routes.post("/signin")(handlers.signin)
    routes.get("/signin/totp")(handlers.signin_code_page)
    routes.post("/signin/totp")(handlers.signin_code)
    return routes
