"""Plain pages for the library's routes (:class:`relying_party.web.Pages`): a starting point for a
service that has not styled its own yet. Semantic HTML with no stylesheet or script, autoescaped
(provider names and reasons come from outside), served with the page headers of
:func:`federation.service.pages.page_headers`; a page whose form starts a login lists the providers'
origins in ``form-action`` (CSP Level 3 §6.4.1: the redirect to the provider follows the form).

Copy ``relying_party/templates/plain_*.html`` into your own templates to restyle them, or implement
the three methods of :class:`relying_party.web.Pages` with your own.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from federation.service.pages import page_headers
from relying_party.core.config import RpConfig
from relying_party.core.errors import LoginError
from relying_party.core.policy import ServicePolicy
from relying_party.core.providers import Provider
from relying_party.core.result import LoginResult
from relying_party.web import safe_return_to

__all__ = ["PlainPages"]


def _origin(uri: str) -> str | None:
    scheme, _, rest = uri.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}" if scheme in ("http", "https") and host else None


class PlainPages:
    """The choose, why-not and failed pages in plain HTML, for a relying party configured by ``config``."""

    def __init__(self, config: RpConfig, *, home: str | None = None) -> None:
        self.organisation = config.organization_name
        self.prefix = config.path_prefix
        self.auth = f"{config.path_prefix}{config.auth_path}"
        self.home = home or self.prefix or "/"
        self.environment = Environment(
            loader=PackageLoader("relying_party", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )

    def _render(
        self, template: str, *, title: str, status: int = 200, form_action: Sequence[str] = (), **context: Any
    ) -> HTMLResponse:
        html = self.environment.get_template(template).render(
            title=title, organisation=self.organisation, home=self.home, auth=self.auth, **context
        )
        headers = page_headers(secrets.token_urlsafe(16), form_action=form_action)
        return HTMLResponse(html, status_code=status, headers=headers)

    def choose(
        self,
        request: Request,  # noqa: ARG002 (relying_party.web.Pages)
        *,
        policy: ServicePolicy,
        providers: list[Provider],
        return_to: str,
    ) -> Response:
        """ "Choose how to prove who you are": one button per provider."""
        shown = [
            {
                "name": p.name,
                "issuer": p.issuer,
                "levels": ", ".join(level.value for level in sorted(p.levels, key=lambda level: level.rank)),
                "federated": p.kind == "federation",
            }
            for p in providers
        ]
        return self._render(
            "plain_choose.html",
            title="Choose how to prove who you are",
            form_action=[o for o in (_origin(p.issuer) for p in providers) if o],
            policy=policy,
            providers=shown,
            needed=policy.minimum_level.value,
            return_to=return_to,
        )

    def refused(self, request: Request, *, policy: ServicePolicy, result: LoginResult) -> Response:
        """Why the identity was not accepted, with the step-up when one could help."""
        origin = _origin(result.provider.issuer)
        return self._render(
            "plain_refused.html",
            title="We could not accept your proof of identity",
            form_action=[origin] if origin else [],
            policy=policy,
            result=result,
            return_to=safe_return_to(request.query_params.get("return_to"), self.prefix),
        )

    def failed(
        self,
        request: Request,  # noqa: ARG002 (relying_party.web.Pages)
        *,
        policy: ServicePolicy | None,
        error: LoginError,
    ) -> Response:
        """A login that failed: the public description (never internals) and the way back."""
        return self._render(
            "plain_failed.html",
            title="Sorry, we could not check who you are",
            status=400,
            message=error.description,
            code=error.code,
            back=self.home,
            service=policy.title if policy else None,
        )
