"""The step-up page of an authorization (RFC 8485 §6.1; OpenID Connect Unmet Authentication
Requirements 1.0 §2): the citizen is signed in but none of the requested vectors of trust can be met
yet, and the request did not say ``prompt=none``.

``GET /step-up?interaction=`` checks the vectors again (:func:`idp.core.interaction.resume`): met,
the browser goes on to the consent page or the client; not met, the page says in words what the
service asked for, what the citizen has reached, and offers two buttons (``POST /step-up``, CSRF
token bound to the browser and the interaction):

- ``prove``: to the proofing journey, the two-step sign-in set-up or the sign-in with a security
  code (:class:`idp.core.step_up.Remedy`). For the account-area pages, a cookie remembers the
  interaction; those pages link back to ``/step-up?interaction=`` while it is one of this browser
  and account (:func:`return_link`), and that page checks it again (never a redirect elsewhere).
- ``back``: the interaction completes and the client gets ``unmet_authentication_requirements``.

An interaction that expired meanwhile shows the usual "expired" problem, with a link back to the
service (the origin of its registered redirect URI).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from idp.core import interaction as flow
from idp.core import step_up
from idp.core.clients import Client
from idp.core.errors import InvalidRequest, OAuthError
from idp.core.interaction import InteractionProblem
from idp.core.requests import AuthorizationRequest
from idp.endpoints._citizen import current_citizen
from idp.endpoints._http import Routes, read_form, services
from idp.endpoints._pages import (
    BROWSER_COOKIE,
    SESSION_COOKIE,
    Pages,
    cookie_value,
    locale_of,
    origin_of,
    see_other,
)
from idp.endpoints._text import text_for
from idp.endpoints.authorization import next_response
from idp.endpoints.login import client_label, form_problem
from idp.store.interactions import Interaction

__all__ = ["STEP_UP_COOKIE", "ReturnLink", "option_words", "return_link", "router"]

#: The cookie holding the interaction a citizen left to step up in the account area.
STEP_UP_COOKIE = "ukid_idp_step_up"
FIELDS = ("interaction", "csrf_token", "decision")
#: Where "prove" leads for each remedy (the sign-in is the interaction's own, see ``_prove``).
_ACCOUNT_PAGES = {step_up.Remedy.PROOFING: "/account/proofing", step_up.Remedy.SECURITY: "/account/security"}


@dataclass(frozen=True)
class ReturnLink:
    """The account area's link back to an interaction left to step up."""

    href: str
    client: str


async def return_link(pages: Pages, request: Request) -> ReturnLink | None:
    """The link back to the interaction in the step-up cookie, when it is one of this browser that the
    signed-in citizen left (:func:`idp.core.step_up.pending`); None otherwise."""
    citizen = current_citizen(request)
    if citizen is None:
        return None
    found = services(request)
    interaction = step_up.pending(
        found.interactions,
        cookie_value(request, STEP_UP_COOKIE),
        cookie_value(request, BROWSER_COOKIE),
        citizen[1].id,
    )
    if interaction is None:
        return None
    try:
        client = await found.clients.get(interaction.client_id)
    except OAuthError:
        return None
    return ReturnLink(f"{pages.base}/step-up?interaction={interaction.id}", client_label(client))


def option_words(words: Mapping[str, str], option: step_up.Option) -> str:
    """A requested vector in words: the level of confidence and/or the security code it needs."""
    parts = []
    if option.level is not None:
        parts.append(words["stepup_need_level"].format(level=words[f"level_{option.level.value}"]))
    if option.code:
        parts.append(words["stepup_need_code"])
    return words["stepup_and"].join(parts)


def _title_key(remedy: step_up.Remedy) -> str:
    return "stepup_title_proofing" if remedy is step_up.Remedy.PROOFING else "stepup_title_code"


class _Handlers:
    """The step-up page's handlers."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    def _page(
        self,
        request: Request,
        interaction: Interaction,
        client: Client,
        browser_id: str,
        step: flow.ShowStepUp,
    ) -> Response:
        found = services(request)
        authorization = AuthorizationRequest.from_json(interaction.request)
        locale = locale_of(authorization.ui_locales)
        words = text_for(locale)
        explained = step.explained
        label = client_label(client)
        reached = explained.reached
        citizen = current_citizen(request)
        return self.pages.render(
            "step_up.html",
            locale=locale,
            form_action=(origin_of(authorization.redirect_uri),),
            title=words[_title_key(explained.remedy)],
            lead=words["stepup_lead"].format(client=label, organisation=client.organization_name),
            asked_lead=words["stepup_asked_one" if len(explained.options) == 1 else "stepup_asked_any"],
            options=[option_words(words, option) for option in explained.options],
            reached_level=(
                words["stepup_reached_level"].format(level=words[f"level_{reached.value}"])
                if reached is not None
                else words["stepup_reached_none"]
            ),
            reached_credential=words[
                "stepup_reached_code" if explained.with_code else "stepup_reached_password"
            ],
            remedy=explained.remedy.value,
            remedy_text=words[f"stepup_remedy_{explained.remedy.value}"].format(client=label),
            prove_label=words[f"stepup_button_{explained.remedy.value}"],
            back_label=words["stepup_back"].format(organisation=client.organization_name),
            back_hint=words["stepup_back_hint"].format(organisation=client.organization_name),
            interaction=interaction.id,
            csrf_token=flow.csrf_token(
                found.config.pairwise_salt, browser_id, f"interaction:{interaction.id}"
            ),
            username=citizen[1].username if citizen is not None else "",
        )

    def _next(self, step: flow.Next) -> Response:
        response = next_response(self.pages, step)
        if isinstance(step, flow.Redirect):  # the interaction is over: nothing to come back to
            self.pages.cookies.clear(response, STEP_UP_COOKIE)
        return response

    def _prove(self, request: Request, interaction: Interaction, remedy: step_up.Remedy) -> Response:
        """To the step that would meet the request; the account area's pages will link back."""
        if remedy is step_up.Remedy.SIGN_IN:
            return see_other(f"{self.pages.base}/login?interaction={interaction.id}")
        response = see_other(f"{self.pages.base}{_ACCOUNT_PAGES[remedy]}")
        lifetime = max(1, interaction.expires_at - services(request).now())
        self.pages.cookies.set(response, STEP_UP_COOKIE, interaction.id, lifetime)
        return response

    async def _problem(
        self, request: Request, exc: InteractionProblem, interaction_id: str | None
    ) -> Response:
        """The problem page; for an interaction of this browser that has expired, with a link back to
        the service (the origin of its redirect URI, still registered for the client)."""
        found = services(request)
        interaction = (
            step_up.of_browser(found.interactions, interaction_id, cookie_value(request, BROWSER_COOKIE))
            if exc.reason == "expired"
            else None
        )
        if interaction is None:
            return self.pages.problem(exc)
        try:
            client = await found.clients.get(interaction.client_id)
        except OAuthError:
            return self.pages.problem(exc)
        authorization = AuthorizationRequest.from_json(interaction.request)
        if authorization.redirect_uri not in client.redirect_uris:
            return self.pages.problem(exc)
        locale = locale_of(authorization.ui_locales)
        return self.pages.render(
            "error.html",
            locale=locale,
            status=exc.status,
            error=None,
            message=exc.message,
            reason=exc.reason,
            back=(
                f"{origin_of(authorization.redirect_uri)}/",
                text_for(locale)["stepup_back"].format(organisation=client.organization_name),
            ),
        )

    async def page(self, request: Request) -> Response:
        """``GET /step-up``: the vectors checked again, then the page (or the next step)."""
        found = services(request)
        interaction_id = request.query_params.get("interaction")
        try:
            interaction, browser_id = flow.open_interaction(
                found, interaction_id, cookie_value(request, BROWSER_COOKIE)
            )
            client = await found.clients.get(interaction.client_id)
        except InteractionProblem as exc:
            return await self._problem(request, exc, interaction_id)
        except OAuthError as exc:
            return self.pages.oauth_error(exc)
        session_id = cookie_value(request, SESSION_COOKIE)
        step = await flow.resume(found, client, interaction, session_id, browser_id)
        if isinstance(step, flow.ShowStepUp):
            return self._page(request, interaction, client, browser_id, step)
        return self._next(step)

    async def decide(self, request: Request) -> Response:
        """``POST /step-up``: ``prove`` (to the step that would meet the request) or ``back``."""
        found = services(request)
        try:
            form = await read_form(request, allowed=FIELDS)
        except InvalidRequest as exc:
            return self.pages.problem(form_problem(exc))
        interaction_id = form.get("interaction") or ""
        browser = cookie_value(request, BROWSER_COOKIE)
        try:
            flow.check_csrf(
                found.config.pairwise_salt, browser, f"interaction:{interaction_id}", form.get("csrf_token")
            )
            interaction, browser_id = flow.open_interaction(found, interaction_id, browser)
            decision = form.get("decision")
            if decision not in ("prove", "back"):
                raise InteractionProblem(
                    "form", "The form could not be read: choose to continue or to go back to the service."
                )
            client = await found.clients.get(interaction.client_id)
            session_id = cookie_value(request, SESSION_COOKIE)
            if decision == "back":
                return self._next(flow.leave_step_up(found, interaction, session_id))
            step = await flow.resume(found, client, interaction, session_id, browser_id)
        except InteractionProblem as exc:
            return await self._problem(request, exc, interaction_id)
        except OAuthError as exc:
            return self.pages.oauth_error(exc)
        if isinstance(step, flow.ShowStepUp):
            return self._prove(request, interaction, step.explained.remedy)
        return self._next(step)


def router(pages: Pages) -> Routes:
    """``GET`` and ``POST /step-up``."""
    routes = Routes()
    handlers = _Handlers(pages)
    routes.get("/step-up", summary="Step up: a requested vector of trust cannot be met yet (RFC 8485 §6.1)")(
        handlers.page
    )
    routes.post("/step-up")(handlers.decide)
    return routes
