"""A trust registry under test: the real app on a real store (SQLite or PostgreSQL), called through
``TestClient``, with its outgoing federation HTTP served by a :class:`TestFederation` of members.

Members are fedkit entities (real keys, real signed configurations) whose ``authority_hints``
name the registry. ``RegistryKit.snapshot()`` captures every table so a test can assert that a
rejected request changed nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from federation.keys import KeyStore
from tests.federation.fedkit import Entity, TestFederation
from trust_registry.app import create_app
from trust_registry.settings import RegistrySettings
from trust_registry.tables import metadata

ANCHOR = "https://registry.example"
ADMIN_TOKEN = "test-admin-token-0123456789abcdefghijklmnop"


@dataclass
class RegistryKit:
    """A running registry with a federation of prospective members around it."""

    client: TestClient
    fed: TestFederation
    settings: RegistrySettings
    database_url: str
    clock: list[float] = field(default_factory=list)

    @property
    def entity_id(self) -> str:
        """The registry's entity ID."""
        return self.settings.entity_id

    def advance(self, seconds: float) -> None:
        """Move the registry's and the members' clocks forward."""
        self.clock[0] += seconds
        self.fed.now += seconds

    def member(
        self,
        entity_id: str,
        metadata: dict[str, dict[str, Any]] | None = None,
        *,
        hints: list[str] | None = None,
    ) -> Entity:
        """A prospective member naming this registry in its authority hints."""
        entity = self.fed.add(entity_id, metadata=metadata)
        entity.authority_hints = [self.entity_id] if hints is None else hints
        return entity

    def admin(self, method: str, path: str, body: Any = None, **params: str) -> httpx.Response:
        """Call the admin API with the test administrator's token."""
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        response: httpx.Response = self.client.request(
            method, f"/admin{path}", json=body, params=params or None, headers=headers
        )
        return response

    def onboard(self, entity_id: str, **options: Any) -> dict[str, Any]:
        """Onboard a member through the admin API; fails the test if refused."""
        response = self.admin("POST", "/subordinates", {"entity_id": entity_id, **options})
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def issue(self, kind: str, sub: str, claims: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """Issue a trust mark through the admin API; fails the test if refused."""
        body = {"trust_mark_type": kind, "sub": sub, "claims": claims, **extra}
        response = self.admin("POST", "/trust-marks", body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, to compare before and after a rejected request."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return {
                    table.name: sorted(tuple(map(repr, row)) for row in connection.execute(select(table)))
                    for table in metadata.sorted_tables
                    if table.name != "documents"  # derived, re-signed on demand
                }
        finally:
            engine.dispose()


def council_metadata(entity_id: str) -> dict[str, dict[str, Any]]:
    """Metadata of a council relying party that meets the federation profile."""
    return {
        "federation_entity": {"organization_name": "Example Borough Council"},
        "openid_relying_party": {
            "redirect_uris": [f"{entity_id}/callback"],
            "token_endpoint_auth_method": "private_key_jwt",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "client_registration_types": ["automatic"],
        },
    }


def idp_metadata(entity_id: str) -> dict[str, dict[str, Any]]:
    """Metadata of an OpenID provider that meets the federation profile."""
    return {
        "federation_entity": {"organization_name": "Sample Citizen IdP"},
        "openid_provider": {
            "issuer": entity_id,
            "authorization_endpoint": f"{entity_id}/authorize",
            "token_endpoint": f"{entity_id}/token",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "client_registration_types_supported": ["automatic", "explicit"],
        },
    }


@contextmanager
def registry_kit(database_url: str, tmp_path: Path, **overrides: Any) -> Iterator[RegistryKit]:
    """A trust anchor (or, with overrides, an intermediate) on ``database_url``, clock under test control."""
    fed = TestFederation(lifetime=86400)
    clock = [fed.now]
    keys_dir = tmp_path / "registry-keys"
    KeyStore.open(keys_dir, clock=lambda: clock[0])
    values: dict[str, Any] = {
        "environment": "test",
        "entity_id": ANCHOR,
        "database_url": database_url,
        "keys_dir": keys_dir,
        "migrate_on_start": True,
        "admin_tokens": {"tester": ADMIN_TOKEN},
        **overrides,
    }
    settings = RegistrySettings(**values)
    transport = httpx.MockTransport(fed._handle)
    app = create_app(settings, clock=lambda: clock[0], http_client=httpx.AsyncClient(transport=transport))
    with TestClient(app, base_url=settings.entity_id, raise_server_exceptions=False) as client:
        yield RegistryKit(client, fed, settings, database_url, clock)


def assert_error(
    response: httpx.Response, status: int, error: str, description: str, *, exact: bool = True
) -> None:
    """A federation error response (OpenID Federation 1.0 §8.9): the status, ``application/json``,
    exactly ``{"error", "error_description"}``, and the description (equal, or containing it if not ``exact``)."""
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
def unchanged(kit: RegistryKit) -> Iterator[None]:
    """Assert that nothing in the store changed while the block ran (a rejected request writes nothing)."""
    before = kit.snapshot()
    yield
    assert kit.snapshot() == before


def make_unreachable(fed: TestFederation, entity_id: str) -> None:
    """Every connection to ``entity_id``'s host fails with ``httpx.ConnectError`` (a host that is down)."""
    host = urlsplit(entity_id).hostname
    answer = fed.respond

    def respond(method: str, url: str, form: Mapping[str, list[str]]) -> httpx.Response:
        if urlsplit(url).hostname == host:
            raise httpx.ConnectError(f"connection to {host} refused")
        return answer(method, url, form)

    fed.respond = respond  # type: ignore[method-assign]


def cases(*rows: tuple[Any, ...]) -> list[Any]:
    """``pytest.mark.parametrize`` values from rows ``(id, *values)``, one row per case."""
    return [pytest.param(*row[1:], id=row[0]) for row in rows]
