"""The council's own pages: the home page, and for each service a start page, the questions (behind
:meth:`relying_party.web.RelyingPartyWeb.require`) and the confirmation.

Resident parking permit: the UPRN of the *verified* address must be in the council's gazetteer;
otherwise the citizen is told, in plain words, that permits are only for residents of the area. The
vehicle registration is typed in and checked against the DVLA formats. Blue Badge: the verified name,
date of birth and address are shown and one question is asked (the eligibility route).

Every form is a POST carrying a CSRF token bound to the session (:mod:`.forms`); a bad answer is
refused with the GOV.UK error summary and nothing is stored. A stored application is shown at its
own address (POST, then redirect, then GET) and only to the person who made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from relying_party.core.policy import ServicePolicy
from relying_party.core.result import LoginResult
from relying_party.services.council.applications import Applications
from relying_party.services.council.describe import Row, address_lines, describe, level_words, long_date
from relying_party.services.council.forms import (
    BLUE_BADGE_REASONS,
    REASON_MISSING_ERROR,
    REGISTRATION_FORMAT_ERROR,
    REGISTRATION_MISSING_ERROR,
    format_registration,
    parse_registration,
)
from relying_party.services.council.gazetteer import Gazetteer, Property
from relying_party.services.council.pages import Renderer
from relying_party.web import RelyingPartyWeb

__all__ = ["BLUE_BADGE", "CSRF_ERROR", "PARKING", "service_routes", "verified_uprn"]

PARKING = "parking-permit"
BLUE_BADGE = "blue-badge"
CSRF_ERROR = "The form had expired. Check your answer and submit it again"
_SUMMARIES = {
    PARKING: "For people who live in the council's area and need to park near their home.",
    BLUE_BADGE: "For people with a disability or health condition that affects their mobility.",
}
_REASONS = {reason.value: reason.label for reason in BLUE_BADGE_REASONS}
_BADGE_CLAIMS = {
    "given_name": "first name",
    "family_name": "last name",
    "birthdate": "date of birth",
    "address": "address",
}


def verified_uprn(result: LoginResult) -> str | None:
    """The UPRN of the address, when the address came inside ``verified_claims`` (IDA §5)."""
    address = result.claim("address")
    if "address" not in result.verified or not isinstance(address, Mapping):
        return None
    uprn = address.get("uprn")
    return uprn if isinstance(uprn, str) else None


def _level(result: LoginResult) -> str:
    """The level of confidence accepted, as the assurance schema names it (``medium``)."""
    return result.decision.level.value if result.decision.level else ""


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _badge_details(claims: Mapping[str, Any]) -> list[Row]:
    name = " ".join(_text(claims.get(k)) for k in ("given_name", "family_name") if claims.get(k))
    return [
        Row("name", "Name", (name,)),
        Row("birthdate", "Date of birth", (long_date(claims.get("birthdate")),)),
        Row("address", "Address", address_lines(claims.get("address"))),
    ]


@dataclass(frozen=True)
class _Service:
    """What the routes need."""

    web: RelyingPartyWeb
    renderer: Renderer
    applications: Applications
    gazetteer: Gazetteer
    policies: Mapping[str, ServicePolicy]

    def not_found(self, request: Request) -> Response:
        message = "There is no application with this reference made by you."
        return self.renderer.render(request, "not_found.html", status=404, message=message)


def service_routes(
    web: RelyingPartyWeb,
    renderer: Renderer,
    applications: Applications,
    gazetteer: Gazetteer,
    policies: Mapping[str, ServicePolicy],
) -> APIRouter:
    """The routes of the module documentation, under the service's path."""
    routes = APIRouter(include_in_schema=False)
    service = _Service(web, renderer, applications, gazetteer, policies)
    prefix = renderer.prefix
    shown = (policies[PARKING], policies[BLUE_BADGE])

    async def home(request: Request) -> Response:
        results = web.results(request)
        services = [
            {
                "name": policy.name,
                "title": policy.title,
                "summary": _SUMMARIES[policy.name],
                "href": f"{prefix}/{policy.name}",
                "signed_in": policy.name in results and results[policy.name].accepted,
                "provider": results[policy.name].provider.name if policy.name in results else "",
            }
            for policy in shown
        ]
        return renderer.render(request, "home.html", services=services)

    routes.add_api_route(prefix or "/", home, methods=["GET"])
    if prefix:
        routes.add_api_route(f"{prefix}/", home, methods=["GET"])
    _parking_routes(routes, service)
    _badge_routes(routes, service)
    return routes


def _parking_routes(routes: APIRouter, service: _Service) -> None:
    """Resident parking permit: start, questions, confirmation."""
    web, renderer, applications, gazetteer = (
        service.web,
        service.renderer,
        service.applications,
        service.gazetteer,
    )
    prefix, parking = renderer.prefix, service.policies[PARKING]
    login = Depends(web.require(PARKING))

    @routes.get(f"{prefix}/parking-permit")
    async def parking_start(request: Request) -> Response:
        return renderer.render(request, "parking_start.html", needed=level_words(parking.minimum_level))

    def outside(request: Request, result: LoginResult) -> Response:
        return renderer.render(
            request,
            "parking_outside.html",
            address_lines=address_lines(result.claim("address")),
            no_uprn=verified_uprn(result) is None,
        )

    def parking_form(
        request: Request, result: LoginResult, found: Property, *, registration: str = "", error: str = ""
    ) -> Response:
        return renderer.render(
            request,
            "parking_apply.html",
            status=400 if error else 200,
            property=found,
            registration=registration,
            error=error,
            error_summary=[("registration", error)] if error else [],
            csrf_token=web.form_token(request, PARKING),
            view=describe(result, parking),
        )

    @routes.get(f"{prefix}/parking-permit/apply")
    async def parking_apply(request: Request, result: LoginResult = login) -> Response:
        found = gazetteer.lookup(verified_uprn(result))
        if found is None:
            return outside(request, result)
        return parking_form(request, result, found)

    @routes.post(f"{prefix}/parking-permit/apply")
    async def parking_submit(request: Request, result: LoginResult = login) -> Response:
        found = gazetteer.lookup(verified_uprn(result))
        if found is None:
            return outside(request, result)
        form = await request.form()
        typed = _text(form.get("registration"))[:40]
        if not web.form_token_valid(request, PARKING, form.get("csrf_token")):
            return parking_form(request, result, found, registration=typed, error=CSRF_ERROR)
        registration = parse_registration(typed)
        if registration is None:
            error = REGISTRATION_MISSING_ERROR if not typed.strip() else REGISTRATION_FORMAT_ERROR
            return parking_form(request, result, found, registration=typed, error=error)
        application = applications.save_parking_permit(
            subject=result.subject,
            issuer=result.provider.issuer,
            level=_level(result),
            uprn=found.uprn,
            zone=found.zone,
            vehicle_registration=registration,
        )
        return RedirectResponse(f"{prefix}/parking-permit/application/{application.reference}", 303)

    @routes.get(f"{prefix}/parking-permit/application/{{reference}}")
    async def parking_done(request: Request, reference: str, result: LoginResult = login) -> Response:
        application = applications.parking_permit(
            reference, subject=result.subject, issuer=result.provider.issuer
        )
        if application is None:
            return service.not_found(request)
        found = gazetteer.lookup(application.uprn)
        address = found.address if found else ", ".join(address_lines(result.claim("address")))
        return renderer.render(
            request,
            "parking_done.html",
            application=application,
            registration=format_registration(application.vehicle_registration),
            address=address,
            view=describe(result, parking),
        )


def _badge_routes(routes: APIRouter, service: _Service) -> None:
    """Blue Badge: start, the question, confirmation."""
    web, renderer, applications = service.web, service.renderer, service.applications
    prefix, badge = renderer.prefix, service.policies[BLUE_BADGE]
    login = Depends(web.require(BLUE_BADGE))

    @routes.get(f"{prefix}/blue-badge")
    async def badge_start(request: Request) -> Response:
        return renderer.render(request, "badge_start.html", needed=level_words(badge.minimum_level))

    def badge_form(request: Request, result: LoginResult, *, chosen: str = "", error: str = "") -> Response:
        missing = [label for name, label in _BADGE_CLAIMS.items() if not result.claim(name)]
        if missing:
            message = f"Your identity provider did not send your {missing[0]}, which this service needs."
            return renderer.render(
                request,
                "failed.html",
                status=400,
                policy=badge,
                message=message,
                code="missing_claim",
                start=f"{prefix}/blue-badge",
            )
        return renderer.render(
            request,
            "badge_apply.html",
            status=400 if error else 200,
            details=_badge_details(result.claims),
            reasons=BLUE_BADGE_REASONS,
            chosen=chosen,
            error=error,
            error_summary=[("reason", error)] if error else [],
            csrf_token=web.form_token(request, BLUE_BADGE),
            view=describe(result, badge),
        )

    @routes.get(f"{prefix}/blue-badge/apply")
    async def badge_apply(request: Request, result: LoginResult = login) -> Response:
        return badge_form(request, result)

    @routes.post(f"{prefix}/blue-badge/apply")
    async def badge_submit(request: Request, result: LoginResult = login) -> Response:
        form = await request.form()
        reason = _text(form.get("reason"))
        chosen = reason if reason in _REASONS else ""
        if not web.form_token_valid(request, BLUE_BADGE, form.get("csrf_token")):
            return badge_form(request, result, chosen=chosen, error=CSRF_ERROR)
        if not chosen or any(not result.claim(name) for name in _BADGE_CLAIMS):
            return badge_form(request, result, error=REASON_MISSING_ERROR)
        claims = result.claims
        application = applications.save_blue_badge(
            subject=result.subject,
            issuer=result.provider.issuer,
            level=_level(result),
            given_name=_text(claims.get("given_name")),
            family_name=_text(claims.get("family_name")),
            birthdate=_text(claims.get("birthdate")),
            address=dict(claims["address"]) if isinstance(claims.get("address"), Mapping) else {},
            reason=chosen,
        )
        return RedirectResponse(f"{prefix}/blue-badge/application/{application.reference}", 303)

    @routes.get(f"{prefix}/blue-badge/application/{{reference}}")
    async def badge_done(request: Request, reference: str, result: LoginResult = login) -> Response:
        application = applications.blue_badge(
            reference, subject=result.subject, issuer=result.provider.issuer
        )
        if application is None:
            return service.not_found(request)
        details = [
            *_badge_details(
                {
                    "given_name": application.given_name,
                    "family_name": application.family_name,
                    "birthdate": application.birthdate,
                    "address": application.address,
                }
            ),
            Row("reason", "Why you are applying", (_REASONS.get(application.reason, application.reason),)),
        ]
        return renderer.render(
            request, "badge_done.html", application=application, details=details, view=describe(result, badge)
        )
