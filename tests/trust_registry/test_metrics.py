"""The registry's observability (:mod:`federation.service.observability`): ``/metrics`` in the
Prometheus text format under the entity ID's path, requests counted by route template (the fetch
endpoint of OpenID Federation 1.0 §8.1 whatever its ``sub``), and one access line per request that
never holds the query string or the administrator's bearer token (RFC 6750 §2.1)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CONTENT_TYPE_LATEST

from federation.service.observability import ACCESS_LOGGER
from tests.trust_registry.regkit import ADMIN_TOKEN, RegistryKit, council_metadata, registry_kit

ANCHOR = "https://registry.example/ta"
COUNCIL = "https://council.example"
ACCESS_KEYS = {"time", "service", "request_id", "method", "path", "route", "status", "duration_ms", "client"}


@pytest.fixture
def kit(database_url: str, tmp_path: Path) -> Iterator[RegistryKit]:
    """A trust anchor whose entity ID has a path: every route, ``/metrics`` too, lives under it (the
    client's base URL is the entity ID, so its relative paths are under it too)."""
    with registry_kit(database_url, tmp_path, entity_id=ANCHOR) as running:
        yield running


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]


def test_federation_8_1_fetches_are_counted_by_route_template_not_by_sub(kit: RegistryKit) -> None:
    kit.member(COUNCIL, council_metadata(COUNCIL))
    kit.onboard(COUNCIL)
    assert kit.client.get("/fetch", params={"sub": COUNCIL}).status_code == 200
    assert kit.client.get("/fetch", params={"sub": "https://unknown.example"}).status_code == 404
    assert kit.client.get("/no-such-endpoint").status_code == 404
    response = kit.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    lines = response.text.splitlines()
    service = 'service="registry-anchor"'
    assert f'ukid_http_requests_total{{method="GET",route="/ta/fetch",{service},status="200"}} 1.0' in lines
    assert f'ukid_http_requests_total{{method="GET",route="/ta/fetch",{service},status="404"}} 1.0' in lines
    assert f'ukid_http_requests_total{{method="GET",route="unmatched",{service},status="404"}} 1.0' in lines
    assert (
        f'ukid_http_requests_total{{method="POST",route="/ta/admin/subordinates",{service},status="201"}} 1.0'
        in lines
    )
    assert not any("unknown.example" in line or "council.example" in line for line in lines)


def test_access_line_holds_no_query_string_nor_the_admin_bearer_token(
    kit: RegistryKit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    kit.member(COUNCIL, council_metadata(COUNCIL))
    kit.onboard(COUNCIL)
    fetched = kit.client.get("/fetch", params={"sub": COUNCIL}, headers={"X-Request-ID": "trace-42"})
    assert fetched.headers["X-Request-ID"] == "trace-42"
    onboard, fetch = access_lines(caplog)
    assert set(onboard) == ACCESS_KEYS
    assert {k: onboard[k] for k in ("service", "method", "path", "route", "status")} == {
        "service": "registry-anchor",
        "method": "POST",
        "path": "/ta/admin/subordinates",
        "route": "/ta/admin/subordinates",
        "status": 201,
    }
    assert {k: fetch[k] for k in ("request_id", "method", "path", "route", "status")} == {
        "request_id": "trace-42",
        "method": "GET",
        "path": "/ta/fetch",
        "route": "/ta/fetch",
        "status": 200,
    }
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER)
    assert ADMIN_TOKEN not in text
    assert "council.example" not in text
    assert "sub=" not in text


def test_health_readiness_and_metrics_live_beside_each_other(kit: RegistryKit) -> None:
    assert kit.client.get("/healthz").json() == {"status": "ok"}
    assert kit.client.get("/readyz").status_code == 200
    assert kit.client.get("/metrics").status_code == 200
    assert kit.client.get("https://registry.example/metrics").status_code == 404  # only under the path
