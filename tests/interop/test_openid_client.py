"""Interoperability: openid-client (panva; OpenID Certified relying party library for Node.js)
completes the authorization code flow against the provider with every check it offers switched on:
discovery, PKCE S256, state, nonce, ``iss`` in the authorization response (RFC 9207), ID token
signature (``enableNonRepudiationChecks``) and claims, userinfo subject, refresh and revocation.

The provider runs as a real uvicorn server over TLS (a self-signed certificate Node is told to
trust), so the library needs no "allow insecure requests" switch. A static ``private_key_jwt``
client is used, and the same flow is also run through a pushed authorization request (RFC 9126).
Skipped when Node.js or ``node_modules/openid-client`` (``make install``) is missing, unless
``UKID_REQUIRE_NODE`` is set (as ``.ci/run`` does): then it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from federation.keys import generate_key, public_jwk
from idp.app import create_app
from idp.services import IdpServices
from idp.settings import IdpSettings
from tests.e2e.servers import Tls, reserve, running, self_signed_tls
from tests.idp.idpkit import fresh_protocol_keys
from tests.interop.forms import submit

REPOSITORY = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("openid_client_flow.mjs")
CLIENT_ID = "https://interop.example/app"
REDIRECT_URI = "https://interop.example/callback"
USERNAME = "interop@example.test"
PASSWORD = "interop-password-123"


def _node() -> str:
    node = shutil.which("node")
    reason = None
    if node is None:
        reason = "Node.js is not installed"
    elif not (REPOSITORY / "node_modules" / "openid-client").is_dir():
        reason = "node_modules/openid-client is missing: run `make install` (npm)"
    if reason is not None:
        if os.environ.get("UKID_REQUIRE_NODE"):
            pytest.fail(f"{reason}; UKID_REQUIRE_NODE is set, so skipping is a failure")
        pytest.skip(reason)
    assert node is not None
    return node


def _run(node: str, tls: Tls, payload: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(tls.certificate)}
    done = subprocess.run(
        [node, str(SCRIPT), json.dumps(payload)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPOSITORY,
        env=env,
        check=False,
    )
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"openid-client script failed: {done.stdout}\n{done.stderr}") from None
    assert not result.get("failed"), result
    return result


def _sign_in(browser: httpx.Client, url: str) -> str:
    """Follow the authorization URL through sign-in and consent; the redirect back to the client."""
    page = browser.get(url)
    for _ in range(10):
        if page.is_redirect:
            location = urljoin(str(page.url), page.headers["location"])
            if location.startswith(REDIRECT_URI):
                return location
            page = browser.get(location)
        elif "password" in page.text and 'name="username"' in page.text:
            page = submit(browser, page, {"username": USERNAME, "password": PASSWORD})
        else:
            assert page.status_code == 200, page.text[:2000]
            page = submit(browser, page, {})
    raise AssertionError(f"no redirect back to the client: {page.status_code} {page.text[:1000]}")


@pytest.mark.parametrize("pushed", [False, True], ids=["authorize", "par"])
def test_openid_certified_client_completes_code_flow_with_every_check(tmp_path: Path, pushed: bool) -> None:
    node = _node()
    tls = self_signed_tls(tmp_path)
    key = generate_key("ES256")
    clients = tmp_path / "clients.json"
    clients.write_text(
        json.dumps(
            {
                "clients": [
                    {
                        "client_id": CLIENT_ID,
                        "client_name": "openid-client interop",
                        "organization_name": "Interop Testing Ltd",
                        "redirect_uris": [REDIRECT_URI],
                        "token_endpoint_auth_method": "private_key_jwt",
                        "jwks": {"keys": [public_jwk(key, "ES256")]},
                    }
                ]
            }
        )
    )
    sock = reserve()
    issuer = f"https://127.0.0.1:{sock.getsockname()[1]}"
    settings = IdpSettings(
        environment="dev",
        issuer=issuer,
        data_dir=tmp_path / "idp",
        generate_keys=True,
        password_hashing="fast",
        seed_accounts=False,
        static_clients_file=clients,
    )
    app = create_app(settings, protocol_keys=fresh_protocol_keys(time.time))
    services: IdpServices = app.state.services
    services.accounts.create(
        USERNAME, services.passwords.hash(PASSWORD), {"given_name": "Ada", "family_name": "Lovelace"}
    )
    common = {
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "private_jwk": key.as_dict(private=True),
        "redirect_uri": REDIRECT_URI,
    }
    with running(app, sock, tls=tls), httpx.Client(verify=tls.context(), timeout=10) as browser:
        start = _run(
            node, tls, {**common, "step": "start", "scope": "openid profile offline_access", "par": pushed}
        )
        callback = _sign_in(browser, start["url"])
        query = parse_qs(urlsplit(callback).query)
        assert query["iss"] == [issuer]
        result = _run(
            node,
            tls,
            {
                **common,
                "step": "finish",
                "callback_url": callback,
                "verifier": start["verifier"],
                "state": start["state"],
                "nonce": start["nonce"],
            },
        )
    claims = result["id_token_claims"]
    assert claims["iss"] == issuer
    assert claims["aud"] == CLIENT_ID or claims["aud"] == [CLIENT_ID]
    assert claims["nonce"] == start["nonce"]
    assert claims["vot"] == "Cl"
    assert claims["vtm"] == f"{issuer}/trustmark"
    assert result["token_type"].lower() == "bearer"
    assert result["userinfo"]["sub"] == claims["sub"]
    assert result["userinfo"]["given_name"] == "Ada"
    assert result["refreshed_sub"] == claims["sub"]
    assert result["revoked_refresh_refused"] is True
