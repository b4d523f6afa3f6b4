"""The Node.js baseline of :mod:`bench.idp`: ``oidc-provider`` (panva; an OpenID Certified provider)
run by ``bench/idp_node_provider.mjs`` as one Node.js process pinned to the server's CPU, configured
like the provider under test (PKCE S256 required, a ``client_secret_basic`` and a ``private_key_jwt``
client, ES256 ID tokens, rotating refresh tokens) and driven by the same flow driver. Its development
sign-in page accepts any password, so its flows include no password hashing; it keeps everything in
memory. Skipped, saying why, without Node.js or ``node_modules/oidc-provider`` (``npm install``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from joserfc.jwk import ECKey

from bench._idp_flow import BenchClient
from bench._idp_server import DISCOVERY_PATH, SECRET, Provider, discover
from bench._registry_server import ROOT, ServerProcess, free_port
from federation.keys import generate_key, public_jwk

__all__ = ["node_provider", "why_not"]

SCRIPT = Path(__file__).with_name("idp_node_provider.mjs")


def why_not() -> str | None:
    """Why the Node.js baseline cannot run here, or None."""
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not (ROOT / "node_modules" / "oidc-provider").is_dir():
        return "node_modules/oidc-provider is missing (npm install)"
    return None


@dataclass
class NodeProcess(ServerProcess):
    """``node bench/idp_node_provider.mjs <argument>`` instead of a uvicorn worker."""

    argument: str = ""

    def start(self, timeout: float = 60.0) -> NodeProcess:
        node = shutil.which("node")
        assert node is not None
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [node, str(SCRIPT), self.argument], cwd=ROOT, env=dict(os.environ), stdout=log, stderr=log
            )
        if self.cpu is not None:
            os.sched_setaffinity(self.process.pid, {self.cpu})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oidc-provider exited ({self.process.returncode}):\n{self.log_tail()}")
            if self._healthy():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"oidc-provider did not answer within {timeout:g} s:\n{self.log_tail()}")


def _private_jwk(alg: str) -> dict[str, object]:
    key = generate_key(alg)
    return {**key.as_dict(private=True), "kid": key.kid, "alg": alg, "use": "sig"}


@asynccontextmanager
async def node_provider(directory: Path, count: int, cpu: int | None) -> AsyncIterator[Provider | str]:
    """oidc-provider with ``count`` accounts as a :class:`Provider`, or why it cannot run here."""
    reason = why_not()
    if reason is not None:
        yield reason
        return
    directory.mkdir(parents=True, exist_ok=True)
    key = generate_key("ES256")
    assert isinstance(key, ECKey)
    secret = BenchClient("https://bench-rp.example/app", "https://bench-rp.example/callback", secret=SECRET)
    jwt = BenchClient("https://bench-jwt-rp.example/app", "https://bench-jwt-rp.example/callback", key=key)
    accounts = [(f"bench-{i:03d}@example.test", "any password") for i in range(count)]
    port = free_port()
    argument = {
        "port": port,
        "secret_client": {
            "client_id": secret.client_id,
            "secret": SECRET,
            "redirect_uri": secret.redirect_uri,
        },
        "jwt_client": {
            "client_id": jwt.client_id,
            "redirect_uri": jwt.redirect_uri,
            "jwks": {"keys": [public_jwk(key, "ES256")]},
        },
        "keys": [_private_jwk("ES256"), _private_jwk("RS256")],
        "cookie_key": secrets.token_urlsafe(32),
        "accounts": {
            username: {
                "given_name": f"Bench{i}",
                "family_name": "User",
                "email": username,
                "email_verified": True,
            }
            for i, (username, _password) in enumerate(accounts)
        },
    }
    log = directory / "oidc-provider.log"
    server = NodeProcess("oidc-provider", port, {}, log, DISCOVERY_PATH, cpu, argument=json.dumps(argument))
    with server:
        yield Provider("node", server, await discover(port), secret, jwt, accounts)
