"""Servers for :mod:`bench.idp`: the identity provider and a bare FastAPI baseline, each one uvicorn
worker in a subprocess (:class:`bench._registry_server.ServerProcess`), and the server's CPU time
read from ``/proc/<pid>/stat`` (so that the load generator's own cost never counts). The provider's
store is migrated and its accounts created here, through its own store, before it serves.

``idp_app`` and ``bare_app`` are uvicorn ``--factory`` targets built from environment variables
(``UKID_IDP_*`` for the provider, :data:`BARE_JSON_ENV` for the baseline): nothing at import time.
"""

from __future__ import annotations

import atexit
import cProfile
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from joserfc.jwk import ECKey, KeySet

from bench._idp_flow import BenchClient, Target, path_of
from bench._load import one_get
from bench._registry_server import ServerProcess, free_port
from federation.keys import generate_key, public_jwk
from idp.app import create_app
from idp.services import open_services
from idp.settings import IdpSettings

__all__ = [
    "BARE_GET_PATH",
    "BARE_JSON_ENV",
    "BARE_POST_PATH",
    "BARE_TOKEN_BODY",
    "DISCOVERY_PATH",
    "Provider",
    "bare_app",
    "bare_server",
    "cpu_seconds",
    "discover",
    "idp_app",
    "python_provider",
]

#: The baseline answers GET with the bytes of this file (the provider's own discovery document).
BARE_JSON_ENV = "UKID_BENCH_BARE_JSON"
BARE_GET_PATH = "/bare/json"
BARE_POST_PATH = "/bare/token"
#: The baseline's answer to a POST: shaped like a token response with an ES256 ID token.
BARE_TOKEN_BODY = json.dumps(
    {
        "access_token": "A" * 43,
        "token_type": "Bearer",
        "expires_in": 600,
        "refresh_token": "R" * 43,
        "scope": "openid profile email offline_access",
        "id_token": "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsiLCJ0eXAiOiJKV1QifQ." + "P" * 420 + "." + "S" * 86,
    },
    separators=(",", ":"),
).encode()
_NO_STORE = {"Cache-Control": "no-store"}
PASSWORD = "bench-password-0123456789"
SECRET = "bench-client-secret-0123456789"
DISCOVERY_PATH = "/.well-known/openid-configuration"


#: When set, the provider's event-loop thread runs under :mod:`cProfile`, written here at exit.
PROFILE_ENV = "UKID_BENCH_PROFILE"


def idp_app() -> FastAPI:
    """The identity provider, configured by the ``UKID_IDP_*`` environment variables (profiled
    when :data:`PROFILE_ENV` names a file)."""
    target = os.environ.get(PROFILE_ENV)
    if target:
        profiler = cProfile.Profile(time.thread_time)  # the event loop thread's CPU, not waits
        profiler.enable()
        atexit.register(profiler.dump_stats, target)
    return create_app(IdpSettings())


def bare_app() -> FastAPI:
    """The baseline: a GET answering the bytes of :data:`BARE_JSON_ENV`'s file, and a POST that reads
    its form body and answers :data:`BARE_TOKEN_BODY`; no store, no crypto, no middleware."""
    body = Path(os.environ[BARE_JSON_ENV]).read_bytes()
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get(BARE_GET_PATH)
    async def bare_get() -> Response:
        return Response(content=body, media_type="application/json")

    @app.post(BARE_POST_PATH)
    async def bare_post(request: Request) -> Response:
        await request.body()
        return Response(content=BARE_TOKEN_BODY, media_type="application/json", headers=_NO_STORE)

    return app


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` and all its threads so far (``/proc/<pid>/stat``
    fields 14 and 15, in clock ticks; ``proc(5)``)."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(after_name[11]) + int(after_name[12])  # after "(comm)", field 3 is at index 0
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Provider:
    """A provider under test: its server process, the flow target and its clients."""

    name: str
    server: ServerProcess
    target: Target
    secret_client: BenchClient
    jwt_client: BenchClient | None
    accounts: list[tuple[str, str]]

    def cpu(self) -> float:
        """The server's CPU seconds so far."""
        assert self.server.process is not None
        return cpu_seconds(self.server.process.pid)

    def path(self, url: str) -> str:
        """The path of one of the provider's URLs."""
        return path_of(url)


def clients_file(directory: Path, key: ECKey) -> tuple[Path, BenchClient, BenchClient]:
    """A static clients file with a ``client_secret_basic`` and a ``private_key_jwt`` client."""
    secret = BenchClient("https://bench-rp.example/app", "https://bench-rp.example/callback", secret=SECRET)
    jwt = BenchClient("https://bench-jwt-rp.example/app", "https://bench-jwt-rp.example/callback", key=key)
    entries: list[dict[str, Any]] = [
        {
            "client_id": secret.client_id,
            "client_secret": SECRET,
            "token_endpoint_auth_method": "client_secret_basic",
        },
        {"client_id": jwt.client_id, "jwks": {"keys": [public_jwk(key, "ES256")]}},
    ]
    for entry, client in zip(entries, (secret, jwt), strict=True):
        entry |= {"organization_name": "Bench Services Ltd", "redirect_uris": [client.redirect_uri]}
    path = directory / "clients.json"
    path.write_text(json.dumps({"clients": entries}))
    return path, secret, jwt


@contextmanager
def without_idp_environment() -> Iterator[None]:
    """The servers get exactly the ``UKID_IDP_*`` variables of the run, none of the caller's."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("UKID_IDP_")}
    try:
        yield
    finally:
        os.environ.update(saved)


async def discover(port: int) -> Target:
    """The flow target from the provider's discovery document and JWKS."""
    _ms, body = await one_get(port, DISCOVERY_PATH)
    metadata = json.loads(body)
    _ms, jwks = await one_get(port, path_of(metadata["jwks_uri"]))
    return Target.from_discovery(port, metadata, KeySet.import_key_set(json.loads(jwks)))


@asynccontextmanager
async def python_provider(
    directory: Path, database_url: str, name: str, count: int, cpu: int | None, *, hashing: str = "fast"
) -> AsyncIterator[Provider]:
    """This project's provider as ``name`` on ``database_url``, migrated, with ``count`` accounts
    (created here through its store before it serves), the two static clients and ``hashing`` as its
    password cost (``fast`` unless a benchmark measures the real one)."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    key = generate_key("ES256")
    assert isinstance(key, ECKey)
    path, secret_client, jwt_client = clients_file(directory, key)
    values: dict[str, Any] = {
        "environment": "dev",
        "issuer": f"http://127.0.0.1:{port}",
        "data_dir": directory / "data",
        "database_url": database_url,
        "generate_keys": True,
        "migrate_on_start": True,
        "seed_accounts": False,
        "password_hashing": hashing,
        "static_clients_file": path,
    }
    services = open_services(IdpSettings(**values))
    stored = services.passwords.hash(PASSWORD)
    accounts = [(f"bench-{i:03d}@example.test", PASSWORD) for i in range(count)]
    for index, (username, _password) in enumerate(accounts):
        claims = {
            "given_name": f"Bench{index}",
            "family_name": "User",
            "email": username,
            "email_verified": True,
        }
        services.accounts.create(username, stored, claims)
    await services.aclose()
    env = {
        f"UKID_IDP_{k.upper()}": str(v).lower() if isinstance(v, bool) else str(v) for k, v in values.items()
    }
    log = directory / "idp.log"
    server = ServerProcess("bench._idp_server:idp_app", port, env, log, "/healthz", cpu)
    with without_idp_environment(), server:
        yield Provider(name, server, await discover(port), secret_client, jwt_client, accounts)


@contextmanager
def bare_server(directory: Path, provider: Provider, cpu: int | None) -> Iterator[ServerProcess]:
    """The bare FastAPI baseline, answering GETs with the bytes of ``provider``'s discovery document."""
    metadata_file = directory / "discovery.json"
    metadata_file.write_text(json.dumps(provider.target.metadata, separators=(",", ":"), ensure_ascii=False))
    env = {BARE_JSON_ENV: str(metadata_file)}
    with ServerProcess(
        "bench._idp_server:bare_app", free_port(), env, directory / "bare.log", BARE_GET_PATH, cpu
    ) as bare:
        yield bare
