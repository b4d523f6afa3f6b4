"""Hardened HTTP fetching of OpenID Federation documents (OpenID Federation 1.0 §8, §9).

Until its trust chain verifies, every federation member is a stranger, and a resolver fetches from
URLs that strangers chose (``authority_hints``, ``federation_fetch_endpoint``, ``source_endpoint``).
So each fetch is bounded: URL checks before any connection, connect/read timeouts plus an overall
deadline (a server dripping one byte at a time cannot hold us), a byte limit enforced while streaming,
no redirects, an exact media type (§8: each endpoint names its own), and a compact-JWT shape check.
Every failure is a :class:`~federation.errors.FetchError` with the :class:`~federation.errors.Check`
that failed. Bodies are never logged; remote text quoted in errors is sanitised and clipped.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx

from federation.errors import Check, FetchError

__all__ = [
    "ENTITY_STATEMENT_MEDIA_TYPE",
    "EXPLICIT_REGISTRATION_MEDIA_TYPE",
    "JSON_MEDIA_TYPE",
    "JWK_SET_MEDIA_TYPE",
    "RESOLVE_RESPONSE_MEDIA_TYPE",
    "TRUST_MARK_MEDIA_TYPE",
    "TRUST_MARK_STATUS_MEDIA_TYPE",
    "WELL_KNOWN_PATH",
    "FederationFetcher",
    "FetchPolicy",
    "entity_configuration_url",
]

#: Entity configurations and subordinate statements (§3; the fetch endpoint, §8).
ENTITY_STATEMENT_MEDIA_TYPE = "application/entity-statement+jwt"
#: Trust marks (§7; the trust mark endpoint, §8).
TRUST_MARK_MEDIA_TYPE = "application/trust-mark+jwt"
#: Trust mark status responses (the trust mark status endpoint, §8).
TRUST_MARK_STATUS_MEDIA_TYPE = "application/trust-mark-status-response+jwt"
#: Resolve responses (the resolve endpoint, §8).
RESOLVE_RESPONSE_MEDIA_TYPE = "application/resolve-response+jwt"
#: Signed historical key sets (the historical keys endpoint, §8).
JWK_SET_MEDIA_TYPE = "application/jwk-set+jwt"
#: Explicit registration responses (explicit registration, §12).
EXPLICIT_REGISTRATION_MEDIA_TYPE = "application/explicit-registration-response+jwt"
#: Plain JSON answers, e.g. the list endpoints' arrays of entity IDs (§8).
JSON_MEDIA_TYPE = "application/json"

#: The well-known path of an entity configuration (§9).
WELL_KNOWN_PATH = "/.well-known/openid-federation"

_COMPACT_JWT = re.compile(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_QUOTE_LIMIT = 200
_ERROR_BODY_LIMIT = 16 * 1024


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch. Plain http is refused unless the environment is ``dev``."""

    connect_timeout: float = 3.0
    read_timeout: float = 5.0
    #: An overall deadline for connect plus read, whatever the server's pace.
    total_timeout: float = 10.0
    max_bytes: int = 512 * 1024
    allow_http: bool = False
    environment: str = "production"

    def __post_init__(self) -> None:
        if self.allow_http and self.environment != "dev":
            raise ValueError(
                "plain http entity IDs are only allowed in a local development federation (environment 'dev')"
            )
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.max_bytes <= 0:
            raise ValueError("max_bytes must be positive")

    @classmethod
    def development(cls) -> FetchPolicy:
        """The policy of a local development federation: plain http allowed."""
        return cls(allow_http=True, environment="dev")


def entity_configuration_url(entity_id: str) -> str:
    """The entity configuration URL: the entity ID without a trailing ``/``, plus the well-known path (§9)."""
    return entity_id.removesuffix("/") + WELL_KNOWN_PATH


class FederationFetcher:
    """Fetches federation documents under a :class:`FetchPolicy`; use ``async with`` or :meth:`aclose`.

    A client passed in is used as is (redirects are still never followed, and the policy's timeouts
    apply per request) and is left open; otherwise the fetcher owns and closes its own client.
    """

    def __init__(self, policy: FetchPolicy | None = None, *, client: httpx.AsyncClient | None = None) -> None:
        self.policy = policy if policy is not None else FetchPolicy()
        self._timeout = httpx.Timeout(
            connect=self.policy.connect_timeout,
            read=self.policy.read_timeout,
            write=self.policy.read_timeout,
            pool=self.policy.connect_timeout,
        )
        self._owns_client = client is None
        self._client = (
            client
            if client is not None
            else httpx.AsyncClient(follow_redirects=False, timeout=self._timeout, trust_env=False)
        )

    async def aclose(self) -> None:
        """Close the client if this fetcher created it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def get_jwt(
        self, url: str, *, media_type: str, params: Mapping[str, str | Sequence[str]] | None = None
    ) -> str:
        """GET a signed document (entity statement, trust mark, resolve response...) as compact JWT text."""
        body = await self._fetch("GET", url, media_type=media_type, params=params)
        return _compact_jwt(url, body)

    async def post_form_jwt(self, url: str, data: Mapping[str, str], *, media_type: str) -> str:
        """POST an ``application/x-www-form-urlencoded`` form, answered by a JWT (trust mark status, §8)."""
        body = await self._fetch("POST", url, media_type=media_type, data=data)
        return _compact_jwt(url, body)

    async def get_json(self, url: str, *, params: Mapping[str, str | Sequence[str]] | None = None) -> Any:
        """GET an ``application/json`` document, e.g. a list endpoint's array of entity IDs (§8)."""
        body = await self._fetch("GET", url, media_type=JSON_MEDIA_TYPE, params=params)
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise FetchError(
                f"{url}: response is not valid JSON", check=Check.FORMAT, url=url, detail=type(exc).__name__
            ) from None

    def _check_url(self, url: str) -> httpx.URL:
        """Refuse anything but an absolute https URL with a host, no userinfo and no fragment."""
        scheme_ok = "https or http" if self.policy.allow_http else "https"

        def refuse(reason: str) -> FetchError:
            return FetchError(f"refusing to fetch {_quote(url)}: {reason}", check=Check.URL, url=url)

        if any(ch.isspace() or not ch.isprintable() for ch in url):
            raise refuse("whitespace or control characters")
        try:
            parsed = httpx.URL(url)
            port = parsed.port
        except httpx.InvalidURL:
            raise refuse("not a valid URL") from None
        if not parsed.is_absolute_url or not parsed.host:
            raise refuse("not an absolute URL with a host")
        if parsed.scheme == "http" and not self.policy.allow_http:
            raise refuse("plain http is only allowed in a local development federation")
        if parsed.scheme not in ("https", "http"):
            raise refuse(f"the scheme must be {scheme_ok}")
        authority = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0]
        if parsed.userinfo or "@" in authority:
            raise refuse("userinfo is not allowed")
        if "#" in url:
            raise refuse("a fragment is not allowed")
        if port is not None and not 0 < port < 65536:
            raise refuse("the port is out of range")
        return parsed

    async def _fetch(
        self,
        method: str,
        url: str,
        *,
        media_type: str,
        params: Mapping[str, str | Sequence[str]] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> bytes:
        target = self._check_url(url)
        headers = {"Accept": media_type, "Accept-Encoding": "identity"}
        policy = self.policy
        try:
            async with asyncio.timeout(policy.total_timeout):
                async with self._client.stream(
                    method,
                    target,
                    params=params,
                    data=data,
                    headers=headers,
                    follow_redirects=False,
                    timeout=self._timeout,
                ) as response:
                    return await self._read(url, response, media_type)
        except TimeoutError:
            raise FetchError(
                f"{url}: exceeded the total deadline of {policy.total_timeout} s",
                check=Check.TIMEOUT,
                url=url,
            ) from None
        except httpx.TimeoutException as exc:
            raise FetchError(f"{url}: {_timeout_phase(exc, policy)}", check=Check.TIMEOUT, url=url) from None
        except httpx.TransportError as exc:
            raise FetchError(
                f"{url}: connection failed: {type(exc).__name__}",
                check=Check.CONNECTION,
                url=url,
                detail=str(exc),
            ) from None

    async def _read(self, url: str, response: httpx.Response, media_type: str) -> bytes:
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("location")
            target = _quote(location) if location is not None else "nowhere (no Location)"
            raise FetchError(
                f"{url}: answered HTTP {status} redirecting to {target}; redirects are not followed",
                check=Check.REDIRECT,
                url=url,
            )
        if status != 200:
            raise await _status_error(url, response, min(self.policy.max_bytes, _ERROR_BODY_LIMIT))
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise FetchError(
                f"{url}: unsupported Content-Encoding {_quote(encoding)}; only identity is accepted",
                check=Check.CONTENT_TYPE,
                url=url,
            )
        got = _media_type(response.headers.get("content-type"))
        if got != media_type.lower():
            shown = _quote(got) if got else "no content type"
            raise FetchError(f"{url}: expected {media_type}, got {shown}", check=Check.CONTENT_TYPE, url=url)
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            raise FetchError(
                f"{url}: declared Content-Length {int(declared)} exceeds the limit of {limit} bytes",
                check=Check.TOO_LARGE,
                url=url,
            )
        body = await _read_limited(response, limit)
        if body is None:
            raise FetchError(
                f"{url}: response exceeds the limit of {limit} bytes", check=Check.TOO_LARGE, url=url
            )
        return body


async def _read_limited(response: httpx.Response, limit: int) -> bytes | None:
    """The body, or ``None`` as soon as more than ``limit`` bytes have arrived (the rest is never read)."""
    chunks: list[bytes] = []
    received = 0
    async for chunk in response.aiter_bytes():
        received += len(chunk)
        if received > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _status_error(url: str, response: httpx.Response, limit: int) -> FetchError:
    """An HTTP_STATUS error quoting the remote ``{"error", "error_description"}`` body when it sent one."""
    status = response.status_code
    body = await _read_limited(response, limit)
    remote: Any = None
    if body:
        try:
            remote = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            remote = None
    if isinstance(remote, dict) and isinstance(remote.get("error"), str):
        code = _quote(remote["error"])
        description = remote.get("error_description")
        message = f"{url}: answered HTTP {status}: {code}"
        if isinstance(description, str) and description:
            message += f": {_quote(description)}"
        return FetchError(message, check=Check.HTTP_STATUS, url=url, remote_error=code)
    snippet = _quote(body.decode("utf-8", errors="replace")) if body else None
    return FetchError(f"{url}: answered HTTP {status}", check=Check.HTTP_STATUS, url=url, detail=snippet)


def _compact_jwt(url: str, body: bytes) -> str:
    """The body as compact JWS text: ASCII, three base64url segments, one trailing newline allowed."""
    if body.endswith(b"\r\n"):
        body = body[:-2]
    elif body.endswith(b"\n"):
        body = body[:-1]
    if _COMPACT_JWT.fullmatch(body) is None:
        raise FetchError(f"{url}: response is not a compact JWT", check=Check.FORMAT, url=url)
    return body.decode("ascii")


def _media_type(header: str | None) -> str:
    """The media type of a Content-Type header, without parameters, lower case."""
    if header is None:
        return ""
    return header.split(";", 1)[0].strip().lower()


def _timeout_phase(exc: httpx.TimeoutException, policy: FetchPolicy) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timed out after {policy.connect_timeout} s"
    if isinstance(exc, httpx.PoolTimeout):
        return f"no connection available after {policy.connect_timeout} s"
    if isinstance(exc, httpx.WriteTimeout):
        return f"write timed out after {policy.read_timeout} s"
    return f"read timed out after {policy.read_timeout} s"


def _quote(text: str) -> str:
    """Remote-controlled text made safe to show: printable characters only, at most 200 of them."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text)
    return cleaned if len(cleaned) <= _QUOTE_LIMIT else cleaned[:_QUOTE_LIMIT] + "..."


def _reject_constant(name: str) -> Any:
    """JSON (RFC 8259) has no NaN or Infinity; Python's parser would accept them."""
    raise ValueError(f"invalid JSON constant {name}")
