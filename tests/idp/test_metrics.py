"""The provider's observability (:mod:`federation.service.observability`): ``/metrics`` in the
Prometheus text format, one access line per request without the authorization request's query
string (OpenID Connect Core §3.1.2.1 parameters, the code of §3.1.2.5), and sign-in outcomes and
authorization codes counted (Core §3.1.2.3, RFC 6238)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from prometheus_client import CONTENT_TYPE_LATEST

from federation.service.observability import ACCESS_LOGGER
from idp.core.signin import MAX_FAILURES, OUTCOMES
from tests.idp.flows import citizen, follow, sign_in
from tests.idp.idpkit import IdpKit
from tests.idp.securitykit import (
    account_area_code,
    account_area_sign_in,
    authorize,
    code,
    code_after_consent,
    enrol,
    module_kit,
    next_code,
    send_code,
    to_code_page,
)

shared = module_kit()


@pytest.fixture
def kit(shared: IdpKit) -> IdpKit:
    shared.client.cookies.clear()
    return shared


def logins(kit: IdpKit) -> dict[str, float]:
    """``ukid_logins_total`` by outcome."""
    return {
        s.labels["outcome"]: s.value
        for metric in kit.services.metrics.registry.collect()
        if metric.name == "ukid_logins"
        for s in metric.samples
        if s.name == "ukid_logins_total"
    }


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v != before.get(k, 0.0)}


def codes_issued(kit: IdpKit) -> float:
    value = kit.services.metrics.registry.get_sample_value(
        "ukid_authorization_codes_total", {"service": "idp"}
    )
    return value or 0.0


def wrong_code(kit: IdpKit, secret: str) -> str:
    window = {code(kit, secret, offset) for offset in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]


def test_core_3_1_2_5_password_sign_in_and_code_issued_are_counted(kit: IdpKit) -> None:
    who = citizen(kit)
    before, codes = logins(kit), codes_issued(kit)
    response, _verifier = authorize(kit)
    code_after_consent(kit, sign_in(kit, follow(kit, response), who.username))
    assert delta(before, logins(kit)) == {"success": 1.0}
    assert codes_issued(kit) == codes + 1


def test_core_3_1_2_3_failed_sign_ins_are_counted_by_outcome(kit: IdpKit) -> None:
    who = citizen(kit)
    before = logins(kit)
    response, _verifier = authorize(kit)
    login_page = follow(kit, response)
    assert sign_in(kit, login_page, "nobody@example.org").status_code == 200
    for _ in range(MAX_FAILURES):
        assert sign_in(kit, login_page, who.username, "wrong password").status_code == 200
    assert sign_in(kit, login_page, who.username).status_code == 200  # the right one, but locked
    assert delta(before, logins(kit)) == {"unknown_account": 1.0, "bad_password": MAX_FAILURES, "locked": 1.0}


def test_rfc6238_code_step_outcomes_are_counted(kit: IdpKit) -> None:
    enrolled = enrol(kit)  # the enrolment's own account-area sign-in counts as a success
    before, codes = logins(kit), codes_issued(kit)
    step = to_code_page(kit, enrolled.account.username)
    assert send_code(kit, step.code_page, wrong_code(kit, enrolled.secret)).status_code == 200
    typed = next_code(kit, enrolled.secret)
    code_after_consent(kit, send_code(kit, step.code_page, typed))
    kit.client.cookies.clear()
    account_area_code(kit, account_area_sign_in(kit, enrolled.account.username), typed)  # reused
    assert delta(before, logins(kit)) == {
        "code_required": 2.0,
        "code_wrong": 1.0,
        "success": 1.0,
        "code_reused": 1.0,
    }
    assert codes_issued(kit) == codes + 1
    assert set(logins(kit)) <= set(OUTCOMES)  # the documented, bounded label values


def test_metrics_endpoint_serves_the_prometheus_text_format(kit: IdpKit) -> None:
    kit.client.get("/.well-known/openid-configuration")
    response = kit.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    lines = response.text.splitlines()
    assert "# TYPE ukid_logins_total counter" in lines
    assert "# TYPE ukid_authorization_codes_total counter" in lines
    assert any(
        line.startswith(
            'ukid_http_requests_total{method="GET",route="/.well-known/openid-configuration",'
            'service="idp",status="200"} '
        )
        for line in lines
    ), response.text


def test_core_3_1_2_1_access_line_never_holds_the_authorization_request_or_response_parameters(
    kit: IdpKit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    who = citizen(kit)
    response, _verifier = authorize(kit)
    answer = sign_in(kit, follow(kit, response), who.username)
    authorization_code = code_after_consent(kit, answer)
    lines = access_lines(caplog)
    assert [(line["method"], line["path"], line["route"], line["status"]) for line in lines] == [
        ("GET", "/authorize", "/authorize", 303),
        ("GET", "/login", "/login", 200),
        ("POST", "/login", "/login", 303),
        ("GET", "/consent", "/consent", 200),
        ("POST", "/consent", "/consent", 303),
    ]
    assert {line["service"] for line in lines} == {"idp"}
    assert len({line["request_id"] for line in lines}) == len(lines)
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (authorization_code, "af0ifjsldkj", "code_challenge", "interaction="):
        assert secret not in text
