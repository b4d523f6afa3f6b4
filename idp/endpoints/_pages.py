"""Rendering the provider's pages (GOV.UK Design System) and handling its cookies.

Pages are HTML rendered by Jinja2 with autoescaping on (client names and organisation names come
from the federation and are untrusted), with the shared page headers
(:func:`federation.service.pages.page_headers`: CSP with a nonce, ``X-Frame-Options: DENY``,
``Cache-Control: no-store``). Cookies are ``HttpOnly``, ``SameSite=Lax`` (the authorization request
arrives as a top-level navigation from the client), ``Secure`` outside ``dev``, and scoped to the
issuer's path. A cookie holds a random handle only; the store keeps its digest.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from federation.service.pages import Assets, govuk_routes, mount_assets, page_headers
from idp.core.config import IdpConfig
from idp.core.errors import OAuthError
from idp.core.interaction import InteractionProblem
from idp.endpoints._text import LOCALES, text_for
from idp.settings import IdpSettings
from idp.store.interactions import new_handle

__all__ = [
    "BROWSER_COOKIE",
    "SESSION_COOKIE",
    "CookiePolicy",
    "Pages",
    "browser_cookie",
    "cookie_value",
    "locale_of",
    "origin_of",
    "see_other",
]

BROWSER_COOKIE = "ukid_idp_browser"
SESSION_COOKIE = "ukid_idp_session"
#: A handle made by :func:`idp.store.interactions.new_handle`: 32 random bytes, base64url.
_HANDLE = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)
_REDIRECT_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class CookiePolicy:
    """The attributes of the provider's cookies."""

    #: ``Secure`` (sent over https only): everywhere but ``dev``.
    secure: bool
    #: The issuer's path, so the cookies go only to this provider's pages.
    path: str

    @classmethod
    def of(cls, config: IdpConfig) -> CookiePolicy:
        """The policy for this provider."""
        return cls(secure=not config.development, path=config.path_prefix or "/")

    def set(self, response: Response, name: str, value: str, max_age: int) -> None:
        """Set cookie ``name`` (HttpOnly, SameSite=Lax)."""
        response.set_cookie(
            name, value, max_age=max_age, path=self.path, secure=self.secure, httponly=True, samesite="lax"
        )

    def clear(self, response: Response, name: str) -> None:
        """Remove cookie ``name``."""
        response.delete_cookie(name, path=self.path, secure=self.secure, httponly=True, samesite="lax")


def cookie_value(request: Request, name: str) -> str | None:
    """The handle in cookie ``name`` (None when absent or not a handle of ours)."""
    value = request.cookies.get(name)
    return value if value is not None and _HANDLE.fullmatch(value) else None


def browser_cookie(request: Request) -> tuple[str, bool]:
    """The browser's ID and whether it is new (the response must then set the cookie)."""
    found = cookie_value(request, BROWSER_COOKIE)
    return (found, False) if found is not None else (new_handle(), True)


def locale_of(preferences: Sequence[str]) -> str:
    """The page language: the first supported one of ``preferences``, else English."""
    for tag in preferences:
        language = tag.split("-", 1)[0].lower()
        if language in LOCALES:
            return language
    return "en"


def origin_of(uri: str) -> str:
    """``scheme://host[:port]`` of an absolute URI (for the CSP ``form-action``)."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def see_other(location: str) -> Response:
    """A 303 redirect that is never cached (it may carry a code)."""
    return Response(status_code=303, headers={"Location": location, **_REDIRECT_HEADERS})


class Pages:
    """The page renderer, the cookie policy and the assets, created once per application."""

    def __init__(self, assets: Assets, config: IdpConfig) -> None:
        self.assets = assets
        self.config = config
        self.cookies = CookiePolicy.of(config)
        self.environment = Environment(
            loader=PackageLoader("idp", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # packaged templates: never stat them again per page
        )

    @classmethod
    def create(cls, settings: IdpSettings, config: IdpConfig) -> Pages:
        """Pages for the provider, with govuk-frontend from ``frontend_dir`` or ``node_modules``."""
        assets = Assets.locate(config.path_prefix, settings.frontend_dir, service="identity provider")
        return cls(assets, config)

    def routes(self) -> APIRouter:
        """govuk-frontend's stylesheet and script (when installed), under the issuer's path."""
        return govuk_routes(self.assets)

    def mount(self, app: FastAPI) -> None:
        """Serve the pages' own static files and govuk-frontend's fonts and images (after the routes)."""
        mount_assets(app, self.assets, package="idp", name="idp")

    def keep_browser(self, response: Response, browser_id: str, new: bool) -> Response:
        """``response`` setting the browser cookie when :func:`browser_cookie` made a new ID (the page's
        forms carry CSRF tokens bound to it)."""
        if new:
            self.cookies.set(response, BROWSER_COOKIE, browser_id, self.config.session_lifetime)
        return response

    @property
    def base(self) -> str:
        """The path every page is under."""
        return self.config.path_prefix

    def render(
        self,
        template: str,
        *,
        locale: str,
        status: int = 200,
        form_action: Sequence[str] = (),
        **context: Any,
    ) -> HTMLResponse:
        """The page ``template`` in ``locale``, with its security headers."""
        nonce = secrets.token_urlsafe(16)
        html = self.environment.get_template(template).render(
            base=self.base,
            assets=self.assets.url,
            govuk=self.assets.govuk is not None,
            nonce=nonce,
            lang=locale,
            t=text_for(locale),
            provider_name=self.config.organization_name,
            **context,
        )
        headers = page_headers(nonce, form_action=form_action, referrer_policy="no-referrer")
        return HTMLResponse(html, status_code=status, headers=headers)

    def oauth_error(self, exc: OAuthError, *, locale: str = "en") -> HTMLResponse:
        """An error that cannot go back to the client (no trusted redirect URI, RFC 6749 §4.1.2.1)."""
        status = exc.status_code if exc.status_code >= 500 else 400
        return self.render(
            "error.html",
            locale=locale,
            status=status,
            error=exc.error,
            message=exc.description,
            reason=exc.error,
        )

    def problem(self, problem: InteractionProblem, *, locale: str = "en") -> HTMLResponse:
        """A browser request that cannot go on (bad CSRF token, expired or completed interaction)."""
        return self.render(
            "error.html",
            locale=locale,
            status=problem.status,
            error=None,
            message=problem.message,
            reason=problem.reason,
        )
