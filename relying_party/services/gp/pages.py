"""The practice's pages in the NHS.UK design system (npm ``nhsuk-frontend``, served by
:mod:`federation.service.pages`; a small fallback stylesheet without it), and the relying-party
library's pages (:class:`relying_party.web.Pages`): choosing an identity provider, why the evidence
was not accepted, and a login that failed.

Pages are rendered by Jinja2 with autoescaping on (provider names and claims come from other
parties), each with :func:`federation.service.pages.page_headers` (CSP with a nonce, no framing, no
caching).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from federation.service.pages import Assets, page_headers
from relying_party.core.errors import LoginError
from relying_party.core.policy import ServicePolicy
from relying_party.core.providers import Provider
from relying_party.core.result import LoginResult
from relying_party.services.gp.describe import claim_label, describe
from relying_party.web import RelyingPartyWeb

__all__ = ["GpPages", "origin_of"]

#: Each service's start page and the page that needs the login, under the prefix.
START = {"register": "/register", "repeat-prescriptions": "/prescriptions"}
ENTRY = {"register": "/register/apply", "repeat-prescriptions": "/prescriptions/order"}


def origin_of(uri: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URI (for the CSP ``form-action``)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


class GpPages:
    """The renderer of the practice's pages; implements the library's ``Pages``."""

    def __init__(self, assets: Assets, *, prefix: str, organisation: str, auth: str) -> None:
        self.assets = assets
        self.prefix = prefix
        self.organisation = organisation
        self.auth = auth
        #: The library's web layer, set once it exists (it needs these pages first): it tells
        #: whether the browser is signed in.
        self.web: RelyingPartyWeb | None = None
        self.environment = Environment(
            loader=PackageLoader("relying_party.services.gp", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # packaged templates: never stat them again per page
        )

    def signed_in(self, request: Request) -> bool:
        """True when the browser's session holds a login result."""
        return self.web is not None and bool(self.web.results(request))

    def render(
        self,
        request: Request,
        template: str,
        *,
        title: str,
        status: int = 200,
        form_action: Sequence[str] = (),
        **context: Any,
    ) -> HTMLResponse:
        """The page ``template`` with its security headers."""
        nonce = secrets.token_urlsafe(16)
        html = self.environment.get_template(template).render(
            base=self.prefix,
            home=self.prefix or "/",
            auth=self.auth,
            assets=self.assets.url,
            nhsuk=self.assets.installed,
            nonce=nonce,
            organisation=self.organisation,
            signed_in=self.signed_in(request),
            title=title,
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=page_headers(nonce, form_action=form_action))

    def identity(self, result: LoginResult, policy: ServicePolicy) -> Mapping[str, Any]:
        """The context of the "what we received" section."""
        return {"identity": describe(result, policy)}

    # -- the library's pages -------------------------------------------------------------------------
    def choose(
        self, request: Request, *, policy: ServicePolicy, providers: list[Provider], return_to: str
    ) -> Response:
        """ "Choose how to prove who you are": a button per provider. The form's answer redirects to
        the provider, so its origin must be in ``form-action`` (CSP Level 3 §6.4.1)."""
        origins: dict[str, None] = {}
        for provider in providers:
            endpoint = provider.metadata.get("authorization_endpoint")
            for uri in (provider.issuer, endpoint if isinstance(endpoint, str) else ""):
                origin = origin_of(uri)
                if origin:
                    origins[origin] = None
        choices = [
            {
                "name": provider.name,
                "issuer": provider.issuer,
                "levels": ", ".join(lv.label for lv in sorted(provider.levels, key=lambda lv: lv.rank)),
                "federation": provider.kind == "federation",
            }
            for provider in providers
        ]
        return self.render(
            request,
            "choose.html",
            title="Choose how to prove who you are" if providers else "No identity provider is available",
            form_action=list(origins),
            policy=policy,
            level=policy.minimum_level.label,
            providers=choices,
            claims=[(claim_label(name), purpose) for name, purpose in policy.claims.items()],
            return_to=return_to,
            start=self.prefix + START.get(policy.name, ""),
        )

    def refused(self, request: Request, *, policy: ServicePolicy, result: LoginResult) -> Response:
        """Why the evidence was not accepted, with the step-up (a new login asking for more)."""
        step_up = result.decision.step_up
        origin = origin_of(result.provider.issuer)
        return self.render(
            request,
            "why_not.html",
            title="We could not accept your proof of identity",
            # the step-up form's answer redirects to the provider (CSP Level 3 §6.4.1)
            form_action=[origin] if origin and step_up else [],
            policy=policy,
            result=result,
            step_up=step_up.reason[:1].upper() + step_up.reason[1:] if step_up else None,
            return_to=self.prefix + ENTRY.get(policy.name, ""),
            start=self.prefix + START.get(policy.name, ""),
            **self.identity(result, policy),
        )

    def failed(self, request: Request, *, policy: ServicePolicy | None, error: LoginError) -> Response:
        """A login that failed, politely (the library sets status 400)."""
        return self.render(
            request,
            "failed.html",
            title="Sorry, we could not sign you in",
            status=400,
            policy=policy,
            message=error.description,
            code=error.code,
            start=self.prefix + START.get(policy.name, "") if policy else self.prefix or "/",
        )

    def problem(self, request: Request, *, title: str, message: str, status: int) -> HTMLResponse:
        """A request the practice's pages cannot answer (expired form, unknown order)."""
        return self.render(request, "problem.html", title=title, status=status, message=message)
