"""A small OpenID provider on real loopback HTTP (``tests.federation.http_server``) for the login and
probe cases of ``ukid check idp``: it signs everyone in at once (no pages) as one proven account,
and each :class:`Faults` flag turns off one of the refusals a safe provider makes (plain PKCE,
code reuse, audience and ``jti`` checks ...), or breaks one answer (HTML from the token endpoint,
no ``iss`` in the authorization response).

It checks what the probes probe and little else: client assertions are decoded, not verified.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from federation.jose import AnyKey, decode_unverified, sign_jwt
from federation.keys import generate_key, public_jwk
from schemas.vot import gov_uk_one_login_trustmark
from tests.federation.http_server import LoopbackServer, Response, serve
from tests.ukid.check.test_idp_faults import healthy_discovery

__all__ = ["REDIRECT_URI", "FakeProvider", "Faults", "fake_provider"]

REDIRECT_URI = "http://127.0.0.1:8765/callback"
CLIENT_ID = "ukid-check"
_EXAMPLE = Path(__file__).parents[3] / "schemas" / "examples" / "valid" / "council-resident-parking.json"


@dataclass(frozen=True)
class Faults:
    """What the provider gets wrong (all false: a provider every case passes against)."""

    accept_plain: bool = False
    accept_no_pkce: bool = False
    any_redirect_uri: bool = False
    reuse_code: bool = False
    ignore_verifier: bool = False
    any_audience: bool = False
    replay_jti: bool = False
    html_token: bool = False
    no_iss: bool = False


@dataclass
class FakeProvider:
    server: LoopbackServer
    faults: Faults
    key: AnyKey
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    jtis: set[str] = field(default_factory=set)

    @property
    def issuer(self) -> str:
        return self.server.base_url

    # -- endpoints -----------------------------------------------------------------------------------
    def authorize(self, _method: str, _path: str, query: dict[str, list[str]], _body: bytes) -> Response:
        params = {name: values[0] for name, values in query.items()}
        redirect = params.get("redirect_uri", "")
        if redirect != REDIRECT_URI and not self.faults.any_redirect_uri:
            return Response(400, b"<html><h1>Unknown redirect_uri</h1></html>", "text/html")
        back = {"state": params.get("state", ""), "iss": self.issuer}
        method = params.get("code_challenge_method")
        if ("code_challenge" not in params and not self.faults.accept_no_pkce) or (
            method == "plain" and not self.faults.accept_plain
        ):
            back["error"] = "invalid_request"
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "challenge": params.get("code_challenge", ""),
                "method": method or "none",
                "nonce": params.get("nonce", ""),
            }
            back["code"] = code
        if self.faults.no_iss:
            back.pop("iss")
        return Response(302, b"", None, {"Location": f"{redirect}?{urlencode(back)}"})

    def token(self, _method: str, _path: str, _query: dict[str, list[str]], body: bytes) -> Response:
        if self.faults.html_token:
            return Response(200, b"<html><h1>Welcome to our portal</h1></html>", "text/html")
        form = dict(parse_qsl(body.decode()))
        if "client_assertion" not in form:  # client_secret_basic: the header is not checked
            claims: dict[str, Any] = {"aud": self.issuer, "jti": secrets.token_hex(8)}
        else:
            claims = decode_unverified(form["client_assertion"])[1]
        if claims.get("aud") not in (self.issuer, self.issuer + "/token") and not self.faults.any_audience:
            return Response.error(401, "invalid_client", "wrong audience")
        jti = str(claims.get("jti"))
        if jti in self.jtis and not self.faults.replay_jti:
            return Response.error(401, "invalid_client", "jti used before")
        code = form.get("code", "")
        found = self.codes.get(code)
        if found is None or (code in self.used and not self.faults.reuse_code):
            return Response.error(400, "invalid_grant", "unknown or used code")
        verifier = form.get("code_verifier", "")
        s256 = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        expected = verifier if found["method"] == "plain" else s256
        if found["method"] != "none" and expected != found["challenge"] and not self.faults.ignore_verifier:
            return Response.error(400, "invalid_grant", "code_verifier does not match")
        self.used.add(code)
        self.jtis.add(jti)
        access = secrets.token_urlsafe(24)
        now = int(time.time())
        at_hash = (
            base64.urlsafe_b64encode(hashlib.sha256(access.encode()).digest()[:16]).rstrip(b"=").decode()
        )
        id_token = sign_jwt(
            {
                "iss": self.issuer,
                "aud": CLIENT_ID,
                "sub": "fake-subject",
                "nonce": found["nonce"],
                "iat": now,
                "exp": now + 300,
                "at_hash": at_hash,
                "vot": "P2.Cl.Cm",
                "vtm": self.issuer + "/trustmark",
            },
            self.key,
            "JWT",
        )
        body_out = {"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
        return Response(200, json.dumps(body_out).encode(), "application/json", {"Cache-Control": "no-store"})

    def userinfo(self, *_args: Any) -> Response:
        example = json.loads(_EXAMPLE.read_text())["verified_claims"]
        example["claims"] = {k: v for k, v in example["claims"].items() if k in ("given_name", "family_name")}
        return Response.json({"sub": "fake-subject", "verified_claims": example})


@contextmanager
def fake_provider(faults: Faults = Faults()) -> Iterator[FakeProvider]:
    """The provider, running, with ``faults``."""
    with serve({}) as server:
        key = generate_key("ES256")
        provider = FakeProvider(server, faults, key)
        issuer = server.base_url
        discovery = healthy_discovery(issuer) | {"userinfo_endpoint": f"{issuer}/userinfo"}
        trustmark = gov_uk_one_login_trustmark(issuer, "https://ta.example").model_dump(mode="json")
        server.routes.update(
            {
                "/.well-known/openid-configuration": Response.json(discovery),
                "/jwks.json": Response.json({"keys": [public_jwk(key, "ES256")]}),
                "/trustmark": Response.json(trustmark),
                "/authorize": provider.authorize,
                "/token": provider.token,
                "/userinfo": provider.userinfo,
            }
        )
        yield provider
