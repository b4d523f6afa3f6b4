"""The consent page of an authorization (OpenID Connect Core 1.0 §3.1.2.4: the provider obtains
the citizen's consent before releasing information).

It names the client and its organisation (as the federation vouches for them) and each claim asked
for, by scope (Core §5.4) or in the ``claims`` parameter (Core §5.5), inside ``verified_claims`` or
not (IDA §6), with the purpose the client declared (its metadata) or gave in the request (IDA
§6.1 ``purpose``). "Agree and continue" returns the code and remembers the consent; "Cancel"
returns ``access_denied``. Forms carry the interaction's CSRF token; an interaction completes once.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from idp.core import interaction as flow
from idp.core.authorization import claims_request, requested_claims
from idp.core.clients import Client
from idp.core.errors import InvalidRequest, OAuthError
from idp.core.interaction import InteractionProblem
from idp.core.requests import AuthorizationRequest
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
from idp.endpoints._text import claim_label
from idp.endpoints.authorization import next_response
from idp.endpoints.login import client_label, form_problem
from schemas.requests import ClaimSetRequest

__all__ = ["ClaimRow", "claim_rows", "router"]

CONSENT_FIELDS = ("interaction", "csrf_token", "decision")
#: Requestable names that are facts about the sign-in, not information about the citizen.
NOT_PERSONAL = frozenset({"acr", "amr", "auth_time", "txn"})


@dataclass(frozen=True)
class ClaimRow:
    """One claim on the consent page."""

    name: str
    label: str
    purpose: str | None
    #: Asked for inside ``verified_claims`` (checked against the citizen's evidence).
    verified: bool


def claim_rows(client: Client, request: AuthorizationRequest, locale: str) -> list[ClaimRow]:
    """The claims the request asks for, in words, with their purposes."""
    verified: set[str] = set()
    purposes: dict[str, str] = {}
    parsed = claims_request(request)
    if parsed is not None:
        parts: list[ClaimSetRequest] = [p for p in (parsed.userinfo, parsed.id_token) if p is not None]
        for part in parts:
            for name, leaf in part.other_claims().items():
                if leaf.purpose:
                    purposes.setdefault(name, leaf.purpose)
            for element in part.verified_elements():
                for name, leaf in element.claims.items():
                    verified.add(name)
                    if leaf.purpose:
                        purposes.setdefault(name, leaf.purpose)
    return [
        ClaimRow(
            name=name,
            label=claim_label(locale, name),
            purpose=client.claim_purposes.get(name) or purposes.get(name),
            verified=name in verified,
        )
        for name in requested_claims(request)
        if name not in NOT_PERSONAL
    ]


def router(pages: Pages) -> Routes:
    """``GET`` and ``POST /consent``."""
    routes = Routes()

    @routes.get("/consent")
    async def consent_page(request: Request) -> Response:
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
        account = flow.consent_context(found, interaction, cookie_value(request, SESSION_COOKIE))
        if account is None:
            return see_other(f"{pages.base}/login?interaction={interaction.id}")
        authorization = AuthorizationRequest.from_json(interaction.request)
        locale = locale_of(authorization.ui_locales)
        return pages.render(
            "consent.html",
            locale=locale,
            form_action=(origin_of(authorization.redirect_uri),),
            interaction=interaction.id,
            csrf_token=flow.csrf_token(
                found.config.pairwise_salt, browser_id, f"interaction:{interaction.id}"
            ),
            client_label=client_label(client),
            organisation=client.organization_name,
            claims=claim_rows(client, authorization, locale),
            username=account.username,
        )

    @routes.post("/consent")
    async def consent(request: Request) -> Response:
        found = services(request)
        try:
            form = await read_form(request, allowed=CONSENT_FIELDS)
        except InvalidRequest as exc:
            return pages.problem(form_problem(exc))
        interaction_id = form.get("interaction") or ""
        try:
            flow.check_csrf(
                found.config.pairwise_salt,
                cookie_value(request, BROWSER_COOKIE),
                f"interaction:{interaction_id}",
                form.get("csrf_token"),
            )
            interaction, _browser = flow.open_interaction(
                found, interaction_id, cookie_value(request, BROWSER_COOKIE)
            )
            decision = form.get("decision")
            if decision not in ("agree", "cancel"):
                raise InteractionProblem("form", "The form could not be read: choose agree or cancel.")
            client = await found.clients.get(interaction.client_id)
            step = await flow.consent_answer(
                found, client, interaction, cookie_value(request, SESSION_COOKIE), agree=decision == "agree"
            )
        except InteractionProblem as exc:
            return pages.problem(exc)
        except OAuthError as exc:
            return pages.oauth_error(exc)
        return next_response(pages, step)

    return routes
