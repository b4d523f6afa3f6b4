"""The consent page of an authorization (OpenID Connect Core 1.0 §3.1.2.4: the provider obtains
the citizen's consent before releasing information).

It says who is asking: the client, its organisation and, for a federation relying party, the trust
anchor that vouches for it and the trust marks it holds (OpenID Federation 1.0 §7; a static client
is outside the registry and holds none). It lists each claim asked for, by scope (Core §5.4) or in
the ``claims`` parameter (Core §5.5), inside ``verified_claims`` or not (IDA §6), with the purpose
the client declared (its metadata) or gave in the request (IDA §6.1 ``purpose``).

Optional claims can be declined one by one (a ``decline.<claim>`` checkbox each); a claim the
request marks ``essential`` (Core §5.5.1) cannot be, nor the subject identifier. "Agree and
continue" returns the code for the claims agreed to only (the grant's consented claims) and
remembers exactly those; "Cancel" returns ``access_denied``. Forms carry the interaction's CSRF
token; an interaction completes once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from idp.core import interaction as flow
from idp.core.authorization import claims_request, requested_claims
from idp.core.clients import Client, ClientKind
from idp.core.errors import InvalidRequest, OAuthError
from idp.core.interaction import InteractionProblem
from idp.core.requests import AuthorizationRequest
from idp.endpoints._http import Params, Routes, read_form, services
from idp.endpoints._pages import (
    BROWSER_COOKIE,
    SESSION_COOKIE,
    Pages,
    cookie_value,
    locale_of,
    origin_of,
    see_other,
)
from idp.endpoints._text import claim_label, text_for
from idp.endpoints.authorization import next_response
from idp.endpoints.login import client_label, form_problem
from schemas.requests import ClaimSetRequest, essential_claims

__all__ = ["ClaimRow", "TrustMarkRow", "claim_rows", "router", "trust_mark_rows"]

CONSENT_FIELDS = ("interaction", "csrf_token", "decision")
#: Form field prefix of the "do not share" checkbox of an optional claim.
DECLINE = "decline."
#: Requestable names that are facts about the sign-in, not information about the citizen, and the
#: subject identifier (always released: it is what signing in means).
NOT_PERSONAL = frozenset({"acr", "amr", "auth_time", "txn", "sub"})


@dataclass(frozen=True)
class ClaimRow:
    """One claim on the consent page."""

    name: str
    label: str
    purpose: str | None
    #: Asked for inside ``verified_claims`` (checked against the citizen's evidence).
    verified: bool
    #: Requested with ``essential: true`` (Core §5.5.1): it cannot be declined.
    essential: bool = False


@dataclass(frozen=True)
class TrustMarkRow:
    """A trust mark the client holds, in words."""

    type: str
    label: str


def claim_rows(client: Client, request: AuthorizationRequest, locale: str) -> list[ClaimRow]:
    """The claims the request asks for, in words, with their purposes."""
    verified: set[str] = set()
    purposes: dict[str, str] = {}
    essential: frozenset[str] = frozenset()
    parsed = claims_request(request)
    if parsed is not None:
        essential = essential_claims(parsed)
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
            essential=name in essential,
        )
        for name in requested_claims(request)
        if name not in NOT_PERSONAL
    ]


def trust_mark_rows(client: Client, locale: str) -> list[TrustMarkRow]:
    """The trust marks the federation verified for the client (none for a static client), in words:
    a type of this federation is ``{anchor}/trust-mark-types/{kind}``; another type is shown as is."""
    words = text_for(locale)
    rows = []
    for mark in sorted(client.trust_mark_types):
        kind = mark.rstrip("/").rsplit("/", 1)[-1]
        rows.append(TrustMarkRow(mark, words.get(f"trust_mark_{kind}", mark)))
    return rows


def declined_claims(form: Params, rows: Collection[ClaimRow]) -> frozenset[str]:
    """The optional claims whose "do not share" box is ticked; ``InteractionProblem`` (nothing
    changes) for a box that is not ``yes`` or names a claim that is essential or was not asked for."""
    optional = {row.name for row in rows if not row.essential}
    declined = set()
    for field, value in form.as_dict().items():
        if not field.startswith(DECLINE):
            continue
        name = field.removeprefix(DECLINE)
        if name not in optional or value != "yes":
            raise InteractionProblem(
                "form",
                "The form could not be read: only information marked as optional can be left out, "
                "by ticking its box.",
            )
        declined.add(name)
    return frozenset(declined)


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
        claims = claim_rows(client, authorization, locale)
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
            claims=claims,
            optional=[claim for claim in claims if not claim.essential],
            federated=client.kind is not ClientKind.STATIC,
            trust_anchor=client.trust_anchor,
            trust_marks=trust_mark_rows(client, locale),
            username=account.username,
        )

    @routes.post("/consent")
    async def consent(request: Request) -> Response:
        found = services(request)
        try:
            form = await read_form(request)
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
            session_id = cookie_value(request, SESSION_COOKIE)
            if decision == "cancel":
                step = await flow.consent_answer(found, client, interaction, session_id, agree=False)
            else:
                authorization = AuthorizationRequest.from_json(interaction.request)
                declined = declined_claims(form, claim_rows(client, authorization, "en"))
                step = await flow.consent_answer(
                    found, client, interaction, session_id, agree=True, declined=declined
                )
        except InteractionProblem as exc:
            return pages.problem(exc)
        except OAuthError as exc:
            return pages.oauth_error(exc)
        return next_response(pages, step)

    return routes
