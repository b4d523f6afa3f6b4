"""The council's pages in the GOV.UK Design System: the renderer every page uses, and the
relying-party library's pages (:class:`relying_party.web.Pages`): "choose how to prove who you are",
"why your identity was not accepted" with the step-up, and the failed login.

Pages are Jinja2 templates with autoescaping on (provider names and claims come from outside), served
with :func:`federation.service.pages.page_headers`: a CSP with a per-response nonce, no framing, no
caching. A form that starts a login (``POST {auth}/start``) ends in a redirect to the identity
provider, so its page's ``form-action`` lists the provider's origins (CSP Level 3 §6.4.1).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
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
from relying_party.services.council.describe import describe, level_words

__all__ = ["CouncilPages", "Renderer", "origins"]


def origins(*uris: object) -> list[str]:
    """The distinct ``scheme://host[:port]`` of the http(s) URIs among ``uris`` (CSP sources)."""
    found: dict[str, None] = {}
    for uri in uris:
        if isinstance(uri, str):
            parts = urlsplit(uri)
            if parts.scheme in ("http", "https") and parts.netloc:
                found[f"{parts.scheme}://{parts.netloc}"] = None
    return list(found)


class Renderer:
    """Renders the council's templates with the page headers."""

    def __init__(self, assets: Assets, *, organisation: str, prefix: str, auth: str) -> None:
        self.assets = assets
        self.organisation = organisation
        self.prefix = prefix
        self.auth = auth
        #: The login results of the browser's session; set once the library's web object exists.
        self.sessions: Callable[[Request], Mapping[str, LoginResult]] | None = None
        self.environment = Environment(
            loader=PackageLoader("relying_party.services.council", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # packaged templates: never stat them again per page
        )

    @property
    def home(self) -> str:
        """The service's home page."""
        return self.prefix or "/"

    def signed_in(self, request: Request) -> bool:
        """True when the browser's session holds a login result."""
        return self.sessions is not None and bool(self.sessions(request))

    def render(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        form_action: Sequence[str] = (),
        error_summary: Sequence[tuple[str, str]] = (),
        **context: Any,
    ) -> HTMLResponse:
        """The page ``template`` with its security headers; ``error_summary`` lists (field ID,
        message) pairs for the GOV.UK error summary."""
        nonce = secrets.token_urlsafe(16)
        html = self.environment.get_template(template).render(
            base=self.prefix,
            home=self.home,
            auth=self.auth,
            assets=self.assets.url,
            govuk=self.assets.govuk is not None,
            nonce=nonce,
            organisation=self.organisation,
            signed_in=self.signed_in(request),
            error_summary=error_summary,
            **context,
        )
        headers = page_headers(nonce, form_action=form_action)
        return HTMLResponse(html, status_code=status, headers=headers)


def _levels(levels: Iterable[Any]) -> str:
    return ", ".join(level_words(v) for v in sorted(levels, key=lambda level: level.rank))


class CouncilPages:
    """The library's pages in the council's look (:class:`relying_party.web.Pages`)."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    def apply_path(self, policy: ServicePolicy) -> str:
        """Where the service's questions are (the return path after a login)."""
        return f"{self.renderer.prefix}/{policy.name}/apply"

    def start_path(self, policy: ServicePolicy | None) -> str:
        """The service's start page (the home page when the service is not known)."""
        return f"{self.renderer.prefix}/{policy.name}" if policy else self.renderer.home

    def choose(
        self, request: Request, *, policy: ServicePolicy, providers: list[Provider], return_to: str
    ) -> Response:
        """One button per provider with its name, issuer and certified levels; or, with none, a page
        saying no provider can prove the citizen's identity for this service at the moment."""
        if not providers:
            return self.renderer.render(
                request,
                "no_providers.html",
                policy=policy,
                needed=level_words(policy.minimum_level),
                start=self.start_path(policy),
            )
        shown = [
            {
                "name": p.name,
                "issuer": p.issuer,
                "levels": _levels(p.levels),
                "federated": p.kind == "federation",
                "anchor": p.trust_anchor,
            }
            for p in providers
        ]
        action = origins(
            *(u for p in providers for u in (p.issuer, p.metadata.get("authorization_endpoint")))
        )
        return self.renderer.render(
            request,
            "choose.html",
            form_action=action,
            policy=policy,
            needed=level_words(policy.minimum_level),
            providers=shown,
            return_to=return_to,
        )

    def refused(self, request: Request, *, policy: ServicePolicy, result: LoginResult) -> Response:
        """The reasons in plain words, what was received, and the step-up when there is one."""
        return self.renderer.render(
            request,
            "refused.html",
            form_action=origins(result.provider.issuer),
            policy=policy,
            view=describe(result, policy),
            step_up=result.decision.step_up,
            issuer=result.provider.issuer,
            return_to=self.apply_path(policy),
            start=self.start_path(policy),
        )

    def failed(self, request: Request, *, policy: ServicePolicy | None, error: LoginError) -> Response:
        """The public description of what went wrong (never internals), and the way back."""
        return self.renderer.render(
            request,
            "failed.html",
            status=400,
            policy=policy,
            message=error.description,
            code=error.code,
            start=self.start_path(policy),
        )
