"""The practice's own pages: home, registering (policy ``register``) and ordering repeat
prescriptions (policy ``repeat-prescriptions``).

Pages that need an identity take the library's accepted result
(:meth:`relying_party.web.RelyingPartyWeb.require`). Forms are POSTed with a CSRF token bound to the
session (:meth:`relying_party.web.RelyingPartyWeb.form_token`); a bad answer re-renders the form with the
NHS.UK error summary (status 400) and stores nothing; a stored answer redirects to its confirmation
(303, so a reload never stores it twice).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from relying_party.core.policy import ServicePolicy
from relying_party.core.result import LoginResult
from relying_party.services.gp.describe import address_words, evidence_summary, nhs_number_words
from relying_party.services.gp.forms import MEDICINES, read_medicines, read_registration
from relying_party.services.gp.pages import GpPages
from relying_party.services.gp.records import Records
from relying_party.web import RelyingPartyWeb

__all__ = ["router"]

REGISTER = "register"
PRESCRIPTIONS = "repeat-prescriptions"
_EXPIRED = "This form has expired or was sent from another browser. Go back, reload the page and try again."


def router(pages: GpPages, web: RelyingPartyWeb, records: Records) -> APIRouter:
    """The practice's routes, under the entity ID's path."""
    routes = APIRouter(include_in_schema=False)
    prefix = pages.prefix
    register_policy = web.rp.policy(REGISTER)
    order_policy = web.rp.policy(PRESCRIPTIONS)
    # The accepted login results the pages need (a dependency object, as FastAPI takes it).
    registered, ordering = Depends(web.require(REGISTER)), Depends(web.require(PRESCRIPTIONS))

    def expired(request: Request) -> Response:
        return pages.problem(request, title="Your form has expired", message=_EXPIRED, status=400)

    @routes.get(prefix or "/")
    async def home(request: Request) -> Response:
        return pages.render(request, "home.html", title="Oak Lane Medical Practice online services")

    # -- registering ---------------------------------------------------------------------------------
    @routes.get(f"{prefix}/register")
    async def register_start(request: Request) -> Response:
        return pages.render(request, "register_start.html", title="Register with this GP practice")

    def registration_form(
        request: Request,
        result: LoginResult,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Response:
        verified_address = "address" in result.verified and result.claim("address") is not None
        received = result.claim("address")
        return pages.render(
            request,
            "register_apply.html",
            title="Your details for registering",
            status=400 if errors else 200,
            csrf=web.form_token(request, REGISTER),
            needs_address=not verified_address,
            verified_address=address_words(received) if verified_address else None,
            values=values or {"address": address_words(received) if received else ""},
            errors=errors or {},
            **pages.identity(result, register_policy),
        )

    def already(request: Request, result: LoginResult) -> Response | None:
        found = records.registration(result.provider.issuer, result.subject)
        if found is None:
            return None
        return pages.render(
            request, "register_done.html", title="You are already registered", registration=found, new=False
        )

    @routes.get(f"{prefix}/register/apply")
    async def register_apply(request: Request, result: LoginResult = registered) -> Response:
        return already(request, result) or registration_form(request, result)

    @routes.post(f"{prefix}/register/apply")
    async def register_submit(request: Request, result: LoginResult = registered) -> Response:
        form = await request.form()
        values = {name: str(form.get(name, ""))[:2000] for name in ("phone", "fixed-address", "address")}
        if not web.form_token_valid(request, REGISTER, str(form.get("csrf", ""))):
            return expired(request)
        found = already(request, result)
        if found is not None:
            return found
        verified_address = "address" in result.verified and result.claim("address") is not None
        answers, errors = read_registration(
            values["phone"], values["fixed-address"], values["address"], needs_address=not verified_address
        )
        if answers is None:
            return registration_form(request, result, values=values, errors=errors)
        if answers.address is None:
            address = address_words(result.claim("address"))
        else:
            address = answers.address or "no fixed address"
        nhs_number = result.claim("nhs_number")
        records.register(
            subject=result.subject,
            issuer=result.provider.issuer,
            given_name=str(result.claim("given_name")),
            family_name=str(result.claim("family_name")),
            birthdate=str(result.claim("birthdate")),
            nhs_number=str(nhs_number) if nhs_number else None,
            address=address,
            address_verified=answers.address is None,
            phone=answers.phone,
            level=result.decision.level.value if result.decision.level else "none",
            evidence=evidence_summary(result),
        )
        return RedirectResponse(f"{prefix}/register/confirmation", status_code=303)

    @routes.get(f"{prefix}/register/confirmation")
    async def register_done(request: Request, result: LoginResult = registered) -> Response:
        found = records.registration(result.provider.issuer, result.subject)
        if found is None:
            return RedirectResponse(f"{prefix}/register/apply", status_code=303)
        return pages.render(
            request, "register_done.html", title="Registration complete", registration=found, new=True
        )

    # -- repeat prescriptions ------------------------------------------------------------------------
    @routes.get(f"{prefix}/prescriptions")
    async def prescriptions_start(request: Request) -> Response:
        return pages.render(request, "prescriptions_start.html", title="Order a repeat prescription")

    def order_form(
        request: Request,
        result: LoginResult,
        policy: ServicePolicy,
        *,
        chosen: list[str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Response:
        return pages.render(
            request,
            "prescriptions_order.html",
            title="Which medicines do you need?",
            status=400 if errors else 200,
            csrf=web.form_token(request, PRESCRIPTIONS),
            nhs_number=nhs_number_words(result.claim("nhs_number")),
            medicines=MEDICINES,
            chosen=chosen or [],
            errors=errors or {},
            **pages.identity(result, policy),
        )

    @routes.get(f"{prefix}/prescriptions/order")
    async def prescriptions_order(request: Request, result: LoginResult = ordering) -> Response:
        return order_form(request, result, order_policy)

    @routes.post(f"{prefix}/prescriptions/order")
    async def prescriptions_submit(request: Request, result: LoginResult = ordering) -> Response:
        form = await request.form()
        if not web.form_token_valid(request, PRESCRIPTIONS, str(form.get("csrf", ""))):
            return expired(request)
        chosen = [str(value)[:64] for value in form.getlist("medicines")][:20]
        medicines, errors = read_medicines(chosen)
        if errors:
            return order_form(request, result, order_policy, chosen=chosen, errors=errors)
        order = records.order(
            subject=result.subject,
            issuer=result.provider.issuer,
            nhs_number=str(result.claim("nhs_number")),
            medicines=[m.name for m in medicines],
        )
        return RedirectResponse(f"{prefix}/prescriptions/orders/{order.reference}", status_code=303)

    @routes.get(f"{prefix}/prescriptions/orders/{{reference}}")
    async def prescriptions_done(
        request: Request, reference: str, result: LoginResult = ordering
    ) -> Response:
        order = records.order_of(reference[:16], result.provider.issuer, result.subject)
        if order is None:
            return pages.problem(
                request, title="Order not found", message="We could not find that order.", status=404
            )
        return pages.render(
            request,
            "prescriptions_done.html",
            title="Repeat prescription ordered",
            order=order,
            nhs_number=nhs_number_words(order.nhs_number),
        )

    return routes
