"""The relying party's OAuth 2.0 client calls: pushed authorization request (RFC 9126), token request
(RFC 6749 §4.1.3), UserInfo (OpenID Connect Core §5.3), with client authentication by
``private_key_jwt`` (RFC 7523 §2.2, Core §9) or ``client_secret_basic`` (RFC 6749 §2.3.1, static
providers only) and PKCE ``S256`` (RFC 7636, authlib's challenge).

Every call has timeouts, never follows a redirect, asks for an uncompressed answer and reads at most
256 KiB (after any decompression); a failure is a
:class:`LoginError` (``token_request_failed``) quoting the provider's ``error`` and
``error_description`` when it sent them.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from federation.jose import AnyKey, sign_jwt
from relying_party.core.errors import LoginError, Refusal

__all__ = ["ClientAuth", "OAuthClient", "pkce_pair"]

MAX_BYTES = 256 * 1024
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_TIMEOUT = httpx.Timeout(connect=3.0, read=10.0, write=10.0, pool=3.0)


def pkce_pair() -> tuple[str, str]:
    """A fresh ``code_verifier`` (43+ characters, RFC 7636 §4.1) and its S256 ``code_challenge``."""
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


@dataclass(frozen=True)
class ClientAuth:
    """How the RP authenticates at one provider: its client ID and a key or a secret."""

    client_id: str
    key: AnyKey | None = None
    alg: str = "ES256"
    secret: str | None = None
    #: ``aud`` of assertions: the provider's issuer, or (None) the URL of the endpoint called.
    audience: str | None = None

    def assertion(self, url: str, now: int, *, jti: str | None = None, lifetime: int = 60) -> str:
        """A ``private_key_jwt`` client assertion (RFC 7523 §3) for a request to ``url``."""
        if self.key is None:
            raise ValueError("this client authenticates without a key")
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.audience or url,
            "jti": jti or secrets.token_urlsafe(24),
            "iat": now,
            "exp": now + lifetime,
        }
        return sign_jwt(claims, self.key, "JWT", alg=self.alg)

    def basic(self) -> str:
        """The ``Authorization`` header value of ``client_secret_basic`` (RFC 6749 §2.3.1)."""
        pair = f"{quote(self.client_id, safe='')}:{quote(self.secret or '', safe='')}"
        return "Basic " + base64.b64encode(pair.encode()).decode()

    def apply(self, url: str, data: dict[str, str], headers: dict[str, str], now: int) -> None:
        """Add the client authentication to a form POST to ``url``."""
        if self.key is not None:
            data["client_assertion_type"] = ASSERTION_TYPE
            data["client_assertion"] = self.assertion(url, now)
            data["client_id"] = self.client_id
        elif self.secret is not None:
            headers["Authorization"] = self.basic()
        else:
            data["client_id"] = self.client_id


def _failed(what: str, description: str, check: str) -> LoginError:
    return LoginError(Refusal.TOKEN_REQUEST_FAILED, f"{what} failed: {description}", check=check)


class OAuthClient:
    """Form POSTs and bearer GETs to a provider's endpoints, answered in JSON."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def _send(self, what: str, request: httpx.Request) -> tuple[int, Any]:
        try:
            response = await self.client.send(request, stream=True, follow_redirects=False)
        except httpx.TimeoutException:
            raise _failed(what, f"{request.url} did not answer in time", "timeout") from None
        except httpx.TransportError as exc:
            raise _failed(
                what, f"{request.url} could not be reached ({type(exc).__name__})", "connection"
            ) from None
        try:
            body = b""
            async for chunk in response.aiter_bytes():  # decoded: the limit holds after decompression
                body += chunk
                if len(body) > MAX_BYTES:
                    raise _failed(what, f"the response is larger than {MAX_BYTES} bytes", "too_large")
        except httpx.HTTPError as exc:
            raise _failed(what, f"reading the response failed ({type(exc).__name__})", "connection") from None
        finally:
            await response.aclose()
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            data = json.loads(body) if content_type == "application/json" else None
        except ValueError:
            data = None
        if response.status_code >= 400 and isinstance(data, dict) and isinstance(data.get("error"), str):
            described = str(data.get("error_description") or "")[:300]
            raise _failed(
                what, f"{data['error']}" + (f": {described}" if described else ""), str(data["error"])[:64]
            )
        if data is None:
            shown = content_type or "no content type"
            raise _failed(what, f"HTTP {response.status_code} with {shown}, not a JSON answer", "format")
        return response.status_code, data

    async def post_form(
        self, what: str, url: str, data: Mapping[str, str], auth: ClientAuth, *, now: int, expect: int = 200
    ) -> dict[str, Any]:
        """POST ``data`` authenticated by ``auth``; the JSON object answered with status ``expect``."""
        form = dict(data)
        headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
        auth.apply(url, form, headers, now)
        status, body = await self._send(
            what, self.client.build_request("POST", url, data=form, headers=headers, timeout=_TIMEOUT)
        )
        if status != expect or not isinstance(body, dict):
            raise _failed(what, f"HTTP {status} (expected {expect})", "status")
        return body

    async def get_bearer(self, what: str, url: str, token: str) -> dict[str, Any]:
        """GET ``url`` with a bearer access token (RFC 6750 §2.1); the JSON object answered."""
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": "identity",
            "Authorization": f"Bearer {token}",
        }
        status, body = await self._send(
            what, self.client.build_request("GET", url, headers=headers, timeout=_TIMEOUT)
        )
        if status != 200 or not isinstance(body, dict):
            raise _failed(what, f"HTTP {status}", "status")
        return body
