"""An identity provider under test: the real app on a real store (SQLite or PostgreSQL), called
through ``TestClient``, with its outgoing federation HTTP served by a :class:`TestFederation`.

ID token keys (ES256, PS256, RS256) are generated once per test session and copied into fresh
key stores for each kit, so tests do not pay for RSA key generation. ``IdpKit.snapshot()``
captures every table so a test can assert that a rejected request changed nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from joserfc.jwk import ECKey
from sqlalchemy import Table, create_engine, select

from federation.jose import AnyKey
from federation.keys import KeyStore, generate_key, public_jwk
from idp.app import create_app
from idp.core.keys import ProtocolKeys
from idp.services import IdpServices
from idp.settings import IdpSettings
from idp.store.accounts import Account
from idp.tables import metadata
from tests.federation.fedkit import TestFederation

ISSUER = "https://idp.example"
SECRET_CLIENT = "https://static.example/app"
SECRET = "static-client-secret-0123456789"
JWT_CLIENT = "https://static-jwt.example/app"
PASSWORD = "correct horse battery staple"
ALGORITHMS = ("ES256", "PS256", "RS256")


@cache
def _template_keys() -> dict[str, AnyKey]:
    return {alg: generate_key(alg) for alg in ALGORITHMS}


@cache
def client_key() -> ECKey:
    """The private key of the static ``private_key_jwt`` client (ES256)."""
    key = generate_key("ES256")
    assert isinstance(key, ECKey)
    return key


def fresh_protocol_keys(clock: Any) -> ProtocolKeys:
    """In-memory ID token key stores holding the session's pre-generated keys."""
    stores = {}
    for alg, key in _template_keys().items():
        store = KeyStore(None, clock=clock)
        store.add(key, alg)
        stores[alg] = store
    return ProtocolKeys(stores)


def static_clients_file(directory: Path) -> Path:
    """A static clients file: one client_secret_basic client (dev) and one private_key_jwt client."""
    path = directory / "clients.json"
    path.write_text(
        json.dumps(
            {
                "clients": [
                    {
                        "client_id": SECRET_CLIENT,
                        "client_name": "Static test app",
                        "organization_name": "Static Services Ltd",
                        "redirect_uris": ["https://static.example/callback"],
                        "post_logout_redirect_uris": ["https://static.example/signed-out"],
                        "token_endpoint_auth_method": "client_secret_basic",
                        "client_secret": SECRET,
                    },
                    {
                        "client_id": JWT_CLIENT,
                        "client_name": "Static JWT app",
                        "organization_name": "Static JWT Services Ltd",
                        "redirect_uris": ["https://static-jwt.example/callback"],
                        "token_endpoint_auth_method": "private_key_jwt",
                        "jwks": {"keys": [public_jwk(client_key(), "ES256")]},
                    },
                ]
            }
        )
    )
    return path


@dataclass
class IdpKit:
    """A running provider with a federation around it and a controllable clock."""

    client: TestClient
    fed: TestFederation
    settings: IdpSettings
    database_url: str
    clock: list[float] = field(default_factory=list)

    @property
    def services(self) -> IdpServices:
        """The provider's services (store, keys, clients)."""
        found: IdpServices = self.client.app.state.services  # type: ignore[attr-defined]
        return found

    @property
    def issuer(self) -> str:
        """The provider's issuer URL."""
        return self.settings.issuer

    def now(self) -> int:
        """The kit's clock."""
        return int(self.clock[0])

    def advance(self, seconds: float) -> None:
        """Move the provider's clock forward (the test federation keeps its own)."""
        self.clock[0] += seconds

    def account(
        self, username: str, claims: dict[str, Any] | None = None, *, password: str = PASSWORD
    ) -> Account:
        """A new account with ``password`` (fast hashing) and ``claims``."""
        found = self.services
        return found.accounts.create(username, found.passwords.hash(password), claims or {})

    def rows_of(self, table: Table, account_id: str) -> list[Any]:
        """The rows of ``table`` (one with an ``account_id`` column) belonging to the account."""
        with self.services.accounts.engine.connect() as connection:
            return list(connection.execute(select(table).where(table.c.account_id == account_id)).all())

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, to compare before and after a rejected request."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return {
                    table.name: sorted(tuple(map(repr, row)) for row in connection.execute(select(table)))
                    for table in metadata.sorted_tables
                }
        finally:
            engine.dispose()


@contextmanager
def idp_kit(database_url: str, tmp_path: Path, **overrides: Any) -> Iterator[IdpKit]:
    """A provider on ``database_url`` with the static test clients, clock under test control."""
    fed = TestFederation(lifetime=86400)
    clock = [float(fed.now)]
    values: dict[str, Any] = {
        "environment": "dev",
        "issuer": ISSUER,
        "database_url": database_url,
        "data_dir": tmp_path / "idp-data",
        "generate_keys": True,
        "migrate_on_start": True,
        "seed_accounts": False,
        "password_hashing": "fast",
        "static_clients_file": static_clients_file(tmp_path),
        **overrides,
    }
    settings = IdpSettings(**values)
    transport = httpx.MockTransport(fed._handle)
    app = create_app(
        settings,
        clock=lambda: clock[0],
        http_client=httpx.AsyncClient(transport=transport),
        protocol_keys=fresh_protocol_keys(lambda: clock[0]),
    )
    with TestClient(app, base_url=settings.issuer, raise_server_exceptions=False) as client:
        yield IdpKit(client, fed, settings, database_url, clock)


def assert_error(
    response: httpx.Response, status: int, error: str, description: str, *, exact: bool = True
) -> None:
    """An OAuth error response (RFC 6749 §5.2): the status, ``application/json``, exactly
    ``{"error", "error_description"}``, and the description (equal, or containing it if not ``exact``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.headers
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error, body
    if exact:
        assert body["error_description"] == description, body
    else:
        assert description in body["error_description"], body


@contextmanager
def unchanged(kit: IdpKit) -> Iterator[None]:
    """Assert that nothing in the store changed while the block ran (a rejected request writes nothing)."""
    before = kit.snapshot()
    yield
    assert kit.snapshot() == before
