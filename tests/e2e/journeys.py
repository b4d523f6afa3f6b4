"""A citizen's login journey at a relying-party service over real HTTP, with ``httpx`` as the browser:
choose the provider, sign in (and TOTP), consent or decline, and the RP's callback."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pyotp

from idp.core.personas import DEV_PASSWORD
from relying_party.core.result import LoginResult
from relying_party.services.wiring import RpServices
from tests.e2e.stack import Stack
from tests.interop.forms import forms, submit

__all__ = ["authorize", "follow", "login", "result_of"]


def follow(browser: httpx.Client, response: httpx.Response, stop: str) -> httpx.Response:
    """Follow redirects until one points at ``stop`` (not followed) or a page is reached."""
    while response.is_redirect:
        location = urljoin(str(response.url), response.headers["location"])
        if location.startswith(stop):
            return response
        response = browser.get(location)
    return response


def authorize(
    stack: Stack,
    browser: httpx.Client,
    rp: str,
    service: str,
    username: str,
    *,
    totp: str | None = None,
    consent: str | None = None,
    return_to: str = "/",
) -> str:
    """The journey up to the provider's redirect back to ``rp``: the callback URL (not fetched).

    ``consent`` is the consent page's button to press (default: the first, which shares)."""
    choose = browser.get(f"{rp}/auth/choose", params={"service": service, "return_to": return_to})
    assert choose.status_code == 200, choose.text[:500]
    assert stack.idp in choose.text
    start = next(f for f in forms(choose.text) if f.fields.get("issuer") == stack.idp)
    page = browser.post(urljoin(str(choose.url), start.action), data=start.fields)
    assert page.is_redirect and page.headers["location"].startswith(f"{stack.idp}/authorize"), page.text[
        -1500:
    ]
    page = follow(browser, page, rp)
    if not page.is_redirect and 'name="password"' in page.text:
        page = follow(browser, submit(browser, page, {"username": username, "password": DEV_PASSWORD}), rp)
    if not page.is_redirect and totp is not None and 'name="code"' in page.text:
        code = pyotp.TOTP(totp).at(time.time() + stack.offset[0])
        page = follow(browser, submit(browser, page, {"code": code}), rp)
    if not page.is_redirect:  # the consent page
        page = follow(browser, submit(browser, page, {}, button=consent), rp)
    assert page.is_redirect, page.text[:800]
    location: str = page.headers["location"]
    callback = urlsplit(location)
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == f"{rp}/auth/callback"
    assert dict(parse_qsl(callback.query))["iss"] == stack.idp
    return location


def login(
    stack: Stack, browser: httpx.Client, rp: str, service: str, username: str, *, totp: str | None = None
) -> httpx.Response:
    """A citizen's whole login at ``rp`` for ``service``: the response of the RP's callback (not followed)."""
    return browser.get(authorize(stack, browser, rp, service, username, totp=totp))


def result_of(stack: Stack, name: str, browser: httpx.Client, service: str) -> LoginResult:
    """The login result service ``name`` holds for the browser's session."""
    services: RpServices = stack.apps[name].state.services
    cookie = next(value for key, value in browser.cookies.items() if key.startswith("ukid-rp-"))
    return services.store.results(cookie)[service]
