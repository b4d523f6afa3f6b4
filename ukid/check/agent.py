"""An HTTP user agent for the checks that drive logins: cookies kept, redirects followed one at a
time (so a redirect to a client's redirect URI can be stopped and inspected), HTML forms read
(hidden fields included) and a provider's sign-in pages filled in.

The sign-in is the sample provider's: a page with a ``password`` field takes the username and
password, one with a ``code`` field takes the TOTP (RFC 6238) security code, and a page with a
form and submit buttons is the consent page, where the first button (share) is pressed. Another
provider's pages are driven the same way when they use these field names; otherwise the
interactive mode of ``ukid check idp`` (open the URL yourself) applies.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx
import pyotp

__all__ = ["Agent", "AgentError", "Credentials", "Form", "forms", "origin", "page_text"]

_MAX_REDIRECTS = 20
_MAX_PAGES = 8
_TOTP_STEP = 30


class AgentError(Exception):
    """The journey could not go on; the message says where and why (one line)."""


@dataclass(frozen=True)
class Credentials:
    """A test account at the provider."""

    username: str
    password: str
    #: Base32 TOTP secret, for accounts with a security code (RFC 6238).
    totp_secret: str | None = field(default=None, repr=False)


@dataclass
class Form:
    """One HTML form: where it goes, its fields, and its named submit buttons in page order."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    #: Every named control, whatever its type (text, password, checkbox ...).
    names: set[str] = field(default_factory=set)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), values.get("method", "get").lower()))
            return
        if not self.forms or "name" not in values or tag not in ("input", "button", "select", "textarea"):
            return
        form = self.forms[-1]
        form.names.add(values["name"])
        kind = values.get("type", "submit" if tag == "button" else "text").lower()
        if tag == "button" or kind == "submit":
            form.buttons.append((values["name"], values.get("value", "")))
        elif tag == "input" and (kind not in ("checkbox", "radio") or "checked" in values):
            form.fields[values["name"]] = values.get("value", "")


def forms(html: str) -> list[Form]:
    """Every form of a page."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
_TITLE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S | re.I)
_SUMMARY = re.compile(r'class="[^"]*\bgovuk-error-summary__list\b[^"]*"[^>]*>(.*?)</ul>', re.S | re.I)


def page_text(html: str, limit: int = 300) -> str:
    """What a page says, for a message: its error summary, else its heading, else its text."""
    for pattern in (_SUMMARY, _TITLE):
        found = pattern.search(html)
        if found:
            text = " ".join(unescape(_TAGS.sub(" ", found.group(1))).split())
            if text:
                return text[:limit]
    return " ".join(unescape(_TAGS.sub(" ", html)).split())[:limit]


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url`` (lower case, default port made explicit)."""
    parts = httpx.URL(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{parts.host}:{port}".lower()


class Agent:
    """A browser without a screen, over ``httpx.AsyncClient`` instances that do not follow redirects.

    ``origins`` gives some origins a client (and so a cookie jar) of their own: browsers share
    cookies between ports of one host (RFC 6265 §8.5), so a provider and a service on two ports
    of ``localhost`` could otherwise not be given separate sessions.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        origins: dict[str, httpx.AsyncClient] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.origins = {origin(url): c for url, c in (origins or {}).items()}
        self.clock = clock

    def client_for(self, url: str) -> httpx.AsyncClient:
        """The client that requests ``url``."""
        return self.origins.get(origin(url), self.client) if self.origins else self.client

    async def get(self, url: str) -> httpx.Response:
        """``GET url`` with the agent's cookies."""
        return await self.client_for(url).get(url)

    async def follow(
        self, response: httpx.Response, *, stop: Callable[[str], bool] | None = None
    ) -> httpx.Response:
        """Follow redirects until one whose location ``stop`` accepts (returned, not fetched) or a
        page; :class:`AgentError` after 20 redirects."""
        for _ in range(_MAX_REDIRECTS):
            if not response.is_redirect:
                return response
            location = self.location(response)
            if stop is not None and stop(location):
                return response
            response = await self.get(location)
        raise AgentError(f"more than {_MAX_REDIRECTS} redirects, the last to {response.url}")

    @staticmethod
    def location(response: httpx.Response) -> str:
        """The absolute URL a redirect points at."""
        location: str = response.headers.get("location", "")
        return urljoin(str(response.url), location)

    async def submit(
        self, page: httpx.Response, form: Form, values: dict[str, str], *, button: int = 0
    ) -> httpx.Response:
        """Submit ``form`` of ``page`` with ``values`` and its ``button``-th submit button pressed."""
        data = {**form.fields, **values}
        if form.buttons:
            name, value = form.buttons[min(button, len(form.buttons) - 1)]
            data[name] = value
        target = urljoin(str(page.url), form.action or str(page.url))
        client = self.client_for(target)
        if form.method == "post":
            return await client.post(target, data=data)
        return await client.get(target, params=data)

    async def sign_in(
        self, page: httpx.Response, credentials: Credentials | None, *, stop: Callable[[str], bool]
    ) -> httpx.Response:
        """Fill in the provider's pages from ``page`` until a redirect ``stop`` accepts (returned).

        :class:`AgentError` when a page is not understood, the provider refuses the credentials,
        a security code is asked for without a TOTP secret, or credentials are needed but not given.
        """
        filled: set[str] = set()
        for _ in range(_MAX_PAGES):
            page = await self.follow(page, stop=stop)
            if page.is_redirect:
                return page
            where = f"{page.url.copy_with(query=None)} (HTTP {page.status_code})"
            found = forms(page.text) if "html" in page.headers.get("content-type", "") else []
            if not found:
                raise AgentError(f"{where} is not a sign-in page: {page_text(page.text)}")
            password = next((f for f in found if "password" in f.names), None)
            code = next((f for f in found if "code" in f.names), None)
            if password is not None:
                if credentials is None:
                    raise AgentError(f"{where} asks for a password: give --username and --password")
                if "password" in filled:
                    raise AgentError(
                        f"{where}: the provider did not accept the credentials: {page_text(page.text)}"
                    )
                filled.add("password")
                values = {"password": credentials.password}
                if "username" in password.names:
                    values["username"] = credentials.username
                page = await self.submit(page, password, values)
            elif code is not None:
                if credentials is None or credentials.totp_secret is None:
                    raise AgentError(f"{where} asks for a security code: give --totp-secret")
                if "code again" in filled:
                    raise AgentError(
                        f"{where}: the provider did not accept the security code: {page_text(page.text)}"
                    )
                if "code" in filled:
                    # a code is used once (RFC 6238 §5.2): a sign-in moments ago may have spent this
                    # step's, so wait for the next step once
                    filled.add("code again")
                    await asyncio.sleep(_TOTP_STEP - self.clock() % _TOTP_STEP + 0.5)
                filled.add("code")
                secret = credentials.totp_secret
                page = await self.submit(page, code, {"code": pyotp.TOTP(secret).at(self.clock())})
            else:
                form = next((f for f in found if f.buttons), None)
                if form is None or "consent" in filled:
                    raise AgentError(f"{where} is not a page the check understands: {page_text(page.text)}")
                filled.add("consent")
                page = await self.submit(page, form, {})
        raise AgentError(f"still at the provider after {_MAX_PAGES} pages, last {page.url}")
