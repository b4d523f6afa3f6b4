"""Pages for people, shared by the services: the GOV.UK Design System assets and page headers.

The ``govuk-frontend`` package (npm) is never copied into the repository: when installed it is
served under ``{prefix}/assets`` (its stylesheet rewritten so fonts and images resolve under the
prefix); without it the pages fall back to a small stylesheet of the service's own. Every page
carries a Content Security Policy that allows only the service's own assets and one inline script
marked with a per-response nonce (CSP Level 3 §6.7.2.8), and is never framed or cached.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

__all__ = ["GOVUK_DIST", "Assets", "govuk_routes", "mount_assets", "page_headers"]

log = logging.getLogger("federation.service.pages")

GOVUK_DIST = Path("node_modules/govuk-frontend/dist/govuk")
_ASSET_HEADERS = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class Assets:
    """Where a service's pages live and where their assets come from."""

    #: The URL path of the service (its entity ID's path): every page and asset is under it.
    prefix: str
    #: ``govuk-frontend``'s ``dist/govuk`` directory, or None (fallback stylesheet).
    govuk: Path | None

    @classmethod
    def locate(
        cls, prefix: str, frontend_dir: Path | None, *, service: str, logger: logging.Logger = log
    ) -> Assets:
        """Find ``govuk-frontend`` (``frontend_dir``, else ``node_modules`` under the repository or the
        current directory); logs one warning to ``logger`` naming ``service`` when it is missing."""
        if frontend_dir is not None:
            candidates = [frontend_dir]
        else:
            repository = Path(__file__).resolve().parents[2]
            candidates = [repository / GOVUK_DIST, Path.cwd() / GOVUK_DIST]
        for candidate in candidates:
            if (candidate / "govuk-frontend.min.css").is_file() and (candidate / "assets").is_dir():
                return cls(prefix.rstrip("/"), candidate)
        logger.warning(
            "govuk-frontend not found (looked in %s): the %s pages use their plain fallback "
            "stylesheet; run `make install` (npm) for the GOV.UK Design System look",
            ", ".join(str(c) for c in candidates),
            service,
        )
        return cls(prefix.rstrip("/"), None)

    @property
    def url(self) -> str:
        """The URL path under which assets are served."""
        return f"{self.prefix}/assets"


def mount_assets(app: FastAPI, assets: Assets, *, package: str, name: str) -> None:
    """Serve ``package``'s own ``static`` directory under ``{assets}/{name}``, and govuk-frontend's
    fonts and images when installed.

    Mount these after the routes: the stylesheet and script routes take precedence over the mount.
    """
    app.mount(f"{assets.url}/{name}", StaticFiles(packages=[(package, "static")]), name=f"{name}-static")
    if assets.govuk is not None:
        app.mount(assets.url, StaticFiles(directory=assets.govuk / "assets"), name="govuk-assets")


def govuk_routes(assets: Assets) -> APIRouter:
    """``/assets/govuk-frontend.min.css`` and ``.min.js`` when govuk-frontend is installed (relative
    to the router's prefix, which must be ``assets.prefix``)."""
    routes = APIRouter(include_in_schema=False)
    if assets.govuk is None:
        return routes
    stylesheet = (assets.govuk / "govuk-frontend.min.css").read_text(encoding="utf-8")
    # The compiled stylesheet names its fonts and images at /assets/...; serve them under the prefix.
    stylesheet = stylesheet.replace("url(/assets/", f"url({assets.url}/")
    script = (assets.govuk / "govuk-frontend.min.js").read_bytes()

    @routes.get("/assets/govuk-frontend.min.css")
    async def govuk_stylesheet() -> Response:
        return Response(stylesheet, media_type="text/css; charset=utf-8", headers=_ASSET_HEADERS)

    @routes.get("/assets/govuk-frontend.min.js")
    async def govuk_script() -> Response:
        return Response(script, media_type="text/javascript; charset=utf-8", headers=_ASSET_HEADERS)

    return routes


def page_headers(
    nonce: str, *, form_action: Sequence[str] = (), referrer_policy: str = "same-origin"
) -> dict[str, str]:
    """The headers of an HTML page: CSP (scripts only from ``'self'`` and the nonce), no framing,
    no sniffing, no caching.

    ``form_action`` adds origins a form on the page may end up at: browsers apply ``form-action``
    to the redirects that follow a form submission too (CSP Level 3 §6.4.1), so a sign-in form
    whose answer redirects to a relying party must list that party's origin.
    """
    actions = " ".join(("'self'", *form_action))
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
            "img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; "
            f"form-action {actions}; frame-ancestors 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": referrer_policy,
        "Cache-Control": "no-store",
    }
