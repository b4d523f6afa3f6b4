"""The relying-party service's observability (:mod:`federation.service.observability`): ``/metrics`` in
the Prometheus text format, logins counted by outcome (``accepted``, ``refused`` by the policy, or the
refusal code of a failed login), and one access line per request that never holds the authorization
response's parameters (OpenID Connect Core §3.1.2.5: ``code``, ``state``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from prometheus_client import CONTENT_TYPE_LATEST

from federation.service.observability import ACCESS_LOGGER
from relying_party.core.login import Finished
from relying_party.core.result import LoginResult
from tests.relying_party.services.councilkit import CouncilKit, council_kit, login_result, refused_result

ACCESS_KEYS = {"time", "service", "request_id", "method", "path", "route", "status", "duration_ms", "client"}


@pytest.fixture
def kit(database_url: str, tmp_path: Path) -> Iterator[CouncilKit]:
    with council_kit(database_url, tmp_path) as running:
        yield running


def logins(kit: CouncilKit) -> dict[str, float]:
    """``ukid_logins_total`` by outcome."""
    registry = kit.client.app.state.metrics.registry  # type: ignore[attr-defined]
    return {
        s.labels["outcome"]: s.value
        for metric in registry.collect()
        if metric.name == "ukid_logins"
        for s in metric.samples
        if s.name == "ukid_logins_total"
    }


def finishing_with(kit: CouncilKit, monkeypatch: pytest.MonkeyPatch, result: LoginResult) -> None:
    """The login library finishes every callback with ``result`` (the provider's side is tested with
    a real provider in ``tests/e2e``; here only the outcome's counting matters)."""

    async def finish(_params: Mapping[str, str], *, session: str | None) -> Finished:
        return Finished(result, "/parking-permit")

    monkeypatch.setattr(kit.services.rp, "finish", finish)


def test_accepted_and_refused_logins_are_counted(kit: CouncilKit, monkeypatch: pytest.MonkeyPatch) -> None:
    finishing_with(kit, monkeypatch, login_result("parking-permit"))
    accepted = kit.get("/auth/callback?code=c1&state=s1")
    assert (accepted.status_code, accepted.headers["location"]) == (303, "/parking-permit")
    finishing_with(kit, monkeypatch, refused_result("blue-badge"))
    refused = kit.get("/auth/callback?code=c2&state=s2")
    assert (refused.status_code, refused.headers["location"]) == (303, "/auth/why-not?service=blue-badge")
    assert logins(kit) == {"accepted": 1.0, "refused": 1.0}


def test_core_3_1_2_7_a_failed_login_is_counted_by_its_refusal_code(kit: CouncilKit) -> None:
    assert kit.get("/auth/callback?code=c1").status_code == 400  # no state
    assert kit.get("/auth/callback?code=c2&state=unknown").status_code == 400
    started = kit.post("/auth/start", {"service": "parking-permit", "issuer": "https://unknown.example"})
    assert started.status_code == 400
    assert logins(kit) == {"invalid_state": 2.0, "untrusted_provider": 1.0}


def test_access_line_of_the_callback_holds_neither_code_nor_state(
    kit: CouncilKit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    response = kit.get("/auth/callback?code=SECRET-CODE&state=SECRET-STATE")
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]
    assert set(line) == ACCESS_KEYS
    assert {k: line[k] for k in ("service", "request_id", "method", "path", "route", "status")} == {
        "service": "council",
        "request_id": response.headers["X-Request-ID"],
        "method": "GET",
        "path": "/auth/callback",
        "route": "/auth/callback",
        "status": 400,
    }
    assert not any("SECRET" in r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER)


def test_metrics_endpoint_serves_the_prometheus_text_format(kit: CouncilKit) -> None:
    kit.get("/healthz")
    response = kit.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    lines = response.text.splitlines()
    assert "# TYPE ukid_logins_total counter" in lines
    assert (
        'ukid_http_requests_total{method="GET",route="/healthz",service="council",status="200"} 1.0' in lines
    )
    assert not any(line.startswith("ukid_authorization_codes") for line in lines)
