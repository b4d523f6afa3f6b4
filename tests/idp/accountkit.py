"""Helpers for the account page and consent choice tests: a signed-in browser without the sign-in
pages (a session started in the store, its cookie set), the consent page reached from
``/authorize``, the account page's forms, and tokens from a code.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from idp.endpoints._pages import BROWSER_COOKIE, SESSION_COOKIE
from idp.store.accounts import Account
from idp.store.interactions import new_handle
from tests.idp.flows import authorization_params, follow, form_fields, pkce, redirect_query, start
from tests.idp.idpkit import ISSUER, SECRET_CLIENT, IdpKit
from tests.idp.tokenkit import REDIRECTS, basic

__all__ = [
    "CALLBACK",
    "account_page",
    "consent_forms",
    "consent_page",
    "exchange_code",
    "signed_in",
    "submit_consent",
]

CALLBACK = "https://static.example/callback"
_FORM = re.compile(r"<form method=\"post\" action=\"[^\"]*/account/consents/revoke\".*?</form>", re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def signed_in(kit: IdpKit, account: Account) -> str:
    """Sign ``account`` in in the kit's browser (a password session, as the sign-in page would start
    it): clears the browser's cookies, sets the session and browser cookies; returns the session ID."""
    kit.client.cookies.clear()
    session_id, _session = kit.services.interactions.start_session(
        account.id, auth_time=kit.now(), amr=["pwd"], credential="Cl", lifetime=3600
    )
    kit.client.cookies.set(SESSION_COOKIE, session_id, domain="idp.example", path="/")
    kit.client.cookies.set(BROWSER_COOKIE, new_handle(), domain="idp.example", path="/")
    return session_id


def consent_page(kit: IdpKit, **options: Any) -> tuple[httpx.Response, str]:
    """The consent page an authorization request (``authorization_params(**options)``) leads to in
    the signed-in browser, and the PKCE verifier of the request."""
    verifier, challenge = pkce()
    response = follow(kit, start(kit, authorization_params(challenge=challenge, **options)))
    assert response.status_code == 200, response.text
    assert urlsplit(str(response.url)).path == "/consent", response.url
    return response, verifier


def submit_consent(
    kit: IdpKit, page: httpx.Response, decision: str = "agree", extra: Mapping[str, str] | None = None
) -> httpx.Response:
    """Submit the consent form of ``page`` with ``extra`` fields (e.g. ``decline.email=yes``)."""
    data = {**form_fields(page), "decision": decision, **(extra or {})}
    response: httpx.Response = kit.client.post("/consent", data=data, follow_redirects=False)
    return response


def exchange_code(kit: IdpKit, response: httpx.Response, verifier: str) -> dict[str, Any]:
    """The token response for the code the consent answer redirected with (static secret client)."""
    code = redirect_query(response, CALLBACK)["code"]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECTS[SECRET_CLIENT],
        "code_verifier": verifier,
    }
    token = kit.client.post(f"{ISSUER}/token", data=data, headers=basic())
    assert token.status_code == 200, token.text
    body: dict[str, Any] = token.json()
    return body


def account_page(kit: IdpKit) -> httpx.Response:
    """GET ``/account`` in the kit's browser."""
    response: httpx.Response = kit.client.get("/account", follow_redirects=False)
    return response


def consent_forms(page: httpx.Response) -> dict[str, dict[str, str]]:
    """The withdraw forms of the account page by client ID: their hidden fields."""
    forms: dict[str, dict[str, str]] = {}
    for form in _FORM.findall(page.text):
        fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(form)}
        forms[fields["consent"].split(" ", 1)[1]] = fields
    return forms
