"""The checker as a client of the provider under test: its registration (client ID, redirect URI,
``private_key_jwt`` key or development client secret), the authorization requests it builds
(PKCE ``S256``, ``state``, ``nonce``, ``vtr``, ``claims``), its token requests and the loopback
server that receives the redirect in interactive mode (RFC 8252 §7.3).

Client assertions follow RFC 7523 §3 (``iss`` = ``sub`` = client ID, ``aud`` the token endpoint,
a fresh ``jti``, ``exp``); a client secret is sent as ``client_secret_basic`` (RFC 6749 §2.3.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from federation.jose import AnyKey
from relying_party.core.oauth import ClientAuth, pkce_pair
from ukid.check.agent import Agent, Credentials, page_text
from ukid.check.cases import CaseFailed

__all__ = [
    "ASSERTION_TYPE",
    "Answer",
    "Authorization",
    "ClientConfig",
    "LoginState",
    "await_redirect",
    "error_page_text",
    "is_loopback_redirect",
    "query_params",
    "redirected_to",
    "unreachable",
]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Lifetime of the checker's client assertions (the replay probe re-sends one a few seconds later).
ASSERTION_LIFETIME = 300
_MAX_BODY = 256 * 1024
_MAX_REQUEST = 16 * 1024


@dataclass(frozen=True)
class ClientConfig:
    """The checker's registration at the provider and how the test account signs in."""

    client_id: str
    redirect_uri: str
    key: AnyKey | None = field(default=None, repr=False)
    alg: str = "ES256"
    secret: str | None = field(default=None, repr=False)
    credentials: Credentials | None = None
    interactive: bool = False
    #: Vectors to request; None: those the provider's trustmark lists, strongest first.
    vtr: tuple[str, ...] | None = None
    #: Seconds to wait for the browser's redirect in interactive mode.
    login_timeout: float = 300.0
    http_timeout: float = 10.0
    clock: Callable[[], float] = time.time
    #: Where interactive prompts go (the terminal).
    say: Callable[[str], None] = print


@dataclass
class Authorization:
    """One authorization request (OpenID Connect Core §3.1.2.1) and what came back."""

    url: str
    redirect_uri: str
    state: str
    nonce: str
    verifier: str
    vtr: tuple[str, ...]
    #: The redirect's query parameters once received.
    response: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """A token or UserInfo endpoint's answer: status, JSON object (None if not one), content type."""

    status: int
    body: dict[str, Any] | None
    content_type: str
    headers: httpx.Headers
    text: str

    @property
    def error(self) -> str | None:
        """The OAuth ``error`` code, if the answer is a JSON error (RFC 6749 §5.2)."""
        value = self.body.get("error") if self.body is not None else None
        return value[:64] if isinstance(value, str) else None

    def describe(self) -> str:
        """One line: ``HTTP 400 invalid_grant: description``, or what the answer was instead."""
        if self.error is not None and self.body is not None:
            described = str(self.body.get("error_description") or "")[:200]
            return f"HTTP {self.status} {self.error}" + (f": {described}" if described else "")
        if self.body is None:
            shown = (
                page_text(self.text, 120)
                if "html" in self.content_type
                else " ".join(self.text.split())[:120]
            )
            kind = self.content_type or "no content type"
            return f"HTTP {self.status} with {kind}, not a JSON object" + (f" ({shown})" if shown else "")
        return f"HTTP {self.status}"


@dataclass
class LoginState:
    """What the login and probe cases share: the configuration, the user agent, the main login."""

    config: ClientConfig
    http: httpx.AsyncClient | None = None
    agent: Agent | None = None
    main: Authorization | None = None
    #: The client assertion sent with the main token request (the replay probe sends it again).
    assertion: str | None = field(default=None, repr=False)
    tokens: dict[str, Any] = field(default_factory=dict, repr=False)
    id_claims: dict[str, Any] = field(default_factory=dict)
    userinfo: dict[str, Any] = field(default_factory=dict, repr=False)
    trustmark_url: str | None = None

    async def open(self) -> None:
        """The HTTP client and user agent (cookies kept, redirects not followed)."""
        if self.http is None:
            self.http = httpx.AsyncClient(
                follow_redirects=False,
                timeout=httpx.Timeout(self.config.http_timeout),
                headers={"Accept-Encoding": "identity"},
            )
            self.agent = Agent(self.http, clock=self.config.clock)

    async def aclose(self) -> None:
        if self.http is not None:
            await self.http.aclose()
            self.http = None
            self.agent = None

    def user_agent(self) -> Agent:
        if self.agent is None:
            raise CaseFailed("the checker's HTTP client is not open")
        return self.agent

    # -- authorization requests ---------------------------------------------------------------------
    def authorization(
        self,
        endpoint: str,
        *,
        vtr: tuple[str, ...],
        claims: Mapping[str, Any] | None,
        redirect_uri: str | None = None,
        method: str | None = "S256",
        extra: Mapping[str, str] | None = None,
    ) -> Authorization:
        """A code flow request: ``method`` ``S256`` (default), ``plain``, or None for no PKCE."""
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        redirect = redirect_uri or self.config.redirect_uri
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect,
            "scope": "openid",
            "state": state,
            "nonce": nonce,
        }
        if method == "S256":
            params.update(code_challenge=challenge, code_challenge_method="S256")
        elif method is not None:
            params.update(code_challenge=verifier, code_challenge_method=method)
        if vtr:
            params["vtr"] = json.dumps(list(vtr))
        if claims is not None:
            params["claims"] = json.dumps(claims, separators=(",", ":"))
        params.update(extra or {})
        separator = "&" if urlsplit(endpoint).query else "?"
        return Authorization(endpoint + separator + urlencode(params), redirect, state, nonce, verifier, vtr)

    # -- token endpoint -----------------------------------------------------------------------------
    def assertion_for(self, audience: str, *, jti: str | None = None) -> str:
        """A ``private_key_jwt`` client assertion (RFC 7523 §3) for ``audience``."""
        if self.config.key is None:
            raise CaseFailed("no --client-key: the client authenticates with a secret")
        auth = ClientAuth(self.config.client_id, key=self.config.key, alg=self.config.alg, audience=audience)
        return auth.assertion(audience, int(self.config.clock()), jti=jti, lifetime=ASSERTION_LIFETIME)

    async def token_request(
        self, endpoint: str, form: Mapping[str, str], *, assertion: str | None = None
    ) -> tuple[Answer, str | None]:
        """POST ``form`` to the token endpoint with the client's authentication; the answer and the
        client assertion sent (None with a client secret). ``assertion``: send this one instead of
        a fresh one (the replay and audience probes)."""
        data = dict(form)
        headers = {"Accept": "application/json"}
        sent: str | None = None
        if self.config.key is not None:
            sent = assertion or self.assertion_for(endpoint)
            data.update(
                client_assertion_type=ASSERTION_TYPE, client_assertion=sent, client_id=self.config.client_id
            )
        elif self.config.secret is not None:
            headers["Authorization"] = ClientAuth(self.config.client_id, secret=self.config.secret).basic()
        return await self.send("the token endpoint", "POST", endpoint, data=data, headers=headers), sent

    async def send(
        self,
        what: str,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One request; :class:`CaseFailed` naming ``what`` when it cannot be made or read."""
        await self.open()
        assert self.http is not None
        try:
            request = self.http.build_request(method, url, data=data, headers=headers)
            response = await self.http.send(request, stream=True)
            try:
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > _MAX_BODY:
                        raise CaseFailed(f"{what} {url}: the answer is larger than {_MAX_BODY} bytes")
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise CaseFailed(f"{what} {unreachable(url, exc)}") from None
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        text = body.decode("utf-8", errors="replace")
        parsed: Any = None
        if content_type == "application/json" or content_type.endswith("+json"):
            try:
                parsed = json.loads(text)
            except (ValueError, RecursionError):
                parsed = None
        obj = parsed if isinstance(parsed, dict) else None
        return Answer(response.status_code, obj, content_type, response.headers, text[:4000])


_MAIN = re.compile(r"<main\b[^>]*>(.*?)</main>", re.S | re.I)
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)


def error_page_text(html: str, limit: int = 240) -> str:
    """What an error page says: its ``<main>`` text (heading and explanation), else its summary."""
    found = _MAIN.search(html)
    if found:
        text = " ".join(unescape(_TAG.sub(" ", found.group(1))).split())
        if text:
            return text[:limit]
    return page_text(html, limit)


def unreachable(url: str, exc: httpx.HTTPError) -> str:
    """One line for a request that failed in transport (``url`` without its query)."""
    shown = url.split("?", 1)[0]
    if isinstance(exc, httpx.TimeoutException):
        return f"{shown} did not answer in time"
    return f"{shown} could not be reached ({type(exc).__name__}: {exc})"


def is_loopback_redirect(uri: str) -> bool:
    """``http://127.0.0.1:PORT/...`` or ``http://localhost:PORT/...`` (RFC 8252 §7.3)."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost") and port is not None


_PAGE = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>ukid check</title>"
    b"<p>ukid check received the provider's redirect. You can close this tab.</p></html>"
)


async def await_redirect(redirect_uri: str, url: str, say: Callable[[str], None], timeout: float) -> str:
    """Print ``url`` for a browser, serve ``redirect_uri``'s host and port until the provider
    redirects there, and return that redirect's query string; :class:`CaseFailed` on a timeout or
    when the port cannot be opened."""
    parts = urlsplit(redirect_uri)
    host = "127.0.0.1" if parts.hostname == "127.0.0.1" else "localhost"
    path = parts.path or "/"
    received: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            writer.close()
            return
        line = head[:_MAX_REQUEST].split(b"\r\n", 1)[0].decode("latin-1")
        target = line.split(" ")[1] if line.count(" ") >= 2 else ""
        split = urlsplit(target)
        found = line.startswith("GET ") and split.path == path
        writer.write(
            (b"HTTP/1.1 200 OK" if found else b"HTTP/1.1 404 Not Found")
            + b"\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n"
            + f"Content-Length: {len(_PAGE)}\r\nConnection: close\r\n\r\n".encode()
            + _PAGE
        )
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()
        if found and not received.done():
            received.set_result(split.query)

    try:
        server = await asyncio.start_server(handle, host, parts.port)
    except OSError as exc:
        raise CaseFailed(
            f"cannot listen on {host}:{parts.port} for the redirect ({exc.strerror or exc})",
            fix="Free that port, or register and pass another loopback --redirect-uri.",
        ) from None
    async with server:
        say(
            f"Open this URL in a browser and sign in as the test account (waiting {timeout:g} s for the "
            f"redirect to {redirect_uri}):"
        )
        say(f"  {url}")
        try:
            return await asyncio.wait_for(received, timeout)
        except TimeoutError:
            raise CaseFailed(
                f"no redirect to {redirect_uri} within {timeout:g} s",
                fix="Open the printed URL in a browser on this machine and finish the sign-in.",
            ) from None


def redirected_to(location: str, uri: str) -> bool:
    """Whether ``location`` is ``uri`` with (or without) a query added (RFC 6749 §4.1.2)."""
    joiner = "&" if "?" in uri else "?"
    return location == uri or location.startswith(uri + joiner)


def query_params(query: str) -> dict[str, str]:
    """The first value of each parameter of a query string."""
    found: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        found.setdefault(name, value)
    return found
