"""Pages for people, shared by the services: the design-system assets and page headers.

A design system is an npm package (:class:`Frontend`): ``govuk-frontend`` (GOV.UK Design System:
the registry, the identity provider, the council) or ``nhsuk-frontend`` (NHS.UK design system: the
GP practice). It is never copied into the repository: when installed, its compiled stylesheet and
script are served under ``{prefix}/assets`` (the stylesheet rewritten so images and fonts resolve
under the prefix, and without fonts from other origins, which the CSP's ``font-src 'self'`` would
block), and its ``assets`` directory beside them; without it the pages fall back to a small
stylesheet of the service's own. Every page carries a Content Security Policy that allows only the
service's own assets and one inline script marked with a per-response nonce (CSP Level 3 §6.7.2.8),
and is never framed or cached.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

__all__ = [
    "GOVUK",
    "GOVUK_DIST",
    "NHSUK",
    "NHSUK_DIST",
    "Assets",
    "Frontend",
    "frontend_routes",
    "govuk_routes",
    "mount_assets",
    "page_headers",
]

log = logging.getLogger("federation.service.pages")

GOVUK_DIST = Path("node_modules/govuk-frontend/dist/govuk")
NHSUK_DIST = Path("node_modules/nhsuk-frontend/dist/nhsuk")
_ASSET_HEADERS = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
#: An ``@font-face`` rule loading its font from another origin (nhsuk-frontend's Frutiger).
_REMOTE_FONT = re.compile(r"@font-face\{[^{}]*url\((?:https?:)?//[^{}]*\}")


@dataclass(frozen=True)
class Frontend:
    """A design system's npm package: its name (also the name of its compiled ``.min.css`` and
    ``.min.js``), its ``dist`` directory under the repository, and the look it gives."""

    package: str
    dist: Path
    look: str

    @property
    def stylesheet(self) -> str:
        """The compiled stylesheet's file name."""
        return f"{self.package}.min.css"

    @property
    def script(self) -> str:
        """The compiled script's file name (an ES module exporting ``initAll``)."""
        return f"{self.package}.min.js"


GOVUK = Frontend("govuk-frontend", GOVUK_DIST, "GOV.UK Design System")
NHSUK = Frontend("nhsuk-frontend", NHSUK_DIST, "NHS.UK design system")


@dataclass(frozen=True)
class Assets:
    """Where a service's pages live and where their assets come from."""

    #: The URL path of the service (its entity ID's path): every page and asset is under it.
    prefix: str
    #: The design system's ``dist`` directory (e.g. govuk-frontend's ``dist/govuk``), or None
    #: (fallback stylesheet).
    dist: Path | None
    #: The design system.
    frontend: Frontend = GOVUK

    @classmethod
    def locate(
        cls,
        prefix: str,
        frontend_dir: Path | None,
        *,
        service: str,
        logger: logging.Logger = log,
        frontend: Frontend = GOVUK,
    ) -> Assets:
        """Find ``frontend`` (``frontend_dir``, else ``node_modules`` under the repository or the
        current directory); logs one warning to ``logger`` naming ``service`` when it is missing."""
        if frontend_dir is not None:
            candidates = [frontend_dir]
        else:
            repository = Path(__file__).resolve().parents[2]
            candidates = [repository / frontend.dist, Path.cwd() / frontend.dist]
        for candidate in candidates:
            if (candidate / frontend.stylesheet).is_file() and (candidate / "assets").is_dir():
                return cls(prefix.rstrip("/"), candidate, frontend)
        logger.warning(
            "%s not found (looked in %s): the %s pages use their plain fallback "
            "stylesheet; run `make install` (npm) for the %s look",
            frontend.package,
            ", ".join(str(c) for c in candidates),
            service,
            frontend.look,
        )
        return cls(prefix.rstrip("/"), None, frontend)

    @property
    def govuk(self) -> Path | None:
        """govuk-frontend's ``dist/govuk`` directory when that is the design system and it is
        installed, else None."""
        return self.dist if self.frontend == GOVUK else None

    @property
    def installed(self) -> bool:
        """True when the design system's package was found (else: the fallback stylesheet)."""
        return self.dist is not None

    @property
    def url(self) -> str:
        """The URL path under which assets are served."""
        return f"{self.prefix}/assets"


def mount_assets(app: FastAPI, assets: Assets, *, package: str, name: str) -> None:
    """Serve ``package``'s own ``static`` directory under ``{assets}/{name}``, and the design
    system's images and fonts when installed.

    Mount these after the routes: the stylesheet and script routes take precedence over the mount.
    """
    app.mount(f"{assets.url}/{name}", StaticFiles(packages=[(package, "static")]), name=f"{name}-static")
    if assets.dist is not None:
        mount = "govuk-assets" if assets.frontend == GOVUK else f"{assets.frontend.package}-assets"
        app.mount(assets.url, StaticFiles(directory=assets.dist / "assets"), name=mount)


def frontend_routes(assets: Assets) -> APIRouter:
    """``/assets/{package}.min.css`` and ``.min.js`` when the design system is installed (relative
    to the router's prefix, which must be ``assets.prefix``)."""
    routes = APIRouter(include_in_schema=False)
    if assets.dist is None:
        return routes
    frontend = assets.frontend
    stylesheet = (assets.dist / frontend.stylesheet).read_text(encoding="utf-8")
    # The compiled stylesheet names its fonts and images at /assets/...; serve them under the prefix.
    stylesheet = _REMOTE_FONT.sub("", stylesheet.replace("url(/assets/", f"url({assets.url}/"))
    script = (assets.dist / frontend.script).read_bytes()

    @routes.get(f"/assets/{frontend.stylesheet}")
    async def frontend_stylesheet() -> Response:
        return Response(stylesheet, media_type="text/css; charset=utf-8", headers=_ASSET_HEADERS)

    @routes.get(f"/assets/{frontend.script}")
    async def frontend_script() -> Response:
        return Response(script, media_type="text/javascript; charset=utf-8", headers=_ASSET_HEADERS)

    return routes


#: The GOV.UK name of :func:`frontend_routes` (the registry and the identity provider use it).
govuk_routes = frontend_routes


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
