"""``ukid check rp`` against the project's relying parties on real servers (the ``stack`` fixture, its
provider in conformance mode): the council and the GP practice pass every case; a council made to
skip the ID token's signature and nonce checks fails exactly those cases (OpenID Connect Core
§3.1.3.7, §10.1.1; RFC 9207 §2.4; RFC 8485 §6.1; IDA §5); bad targets fail with a reason."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import KeySet
from typer.testing import CliRunner

import relying_party.core.id_token as id_token_module
import relying_party.core.login as login_module
from federation.jose import decode_unverified, sign_jwt
from federation.keys import generate_key
from idp.core.personas import DEV_PASSWORD
from relying_party.core.id_token import Expected
from tests.e2e.stack import Stack
from tests.federation.http_server import Response, serve
from ukid.check.agent import Credentials
from ukid.check.cases import Result, Status, run_suite
from ukid.check.rp import RpContext, rp_cases
from ukid.cli import build_app

CASES = [
    "idp.conformance",
    "rp.login",
    "rp.key_rotation",
    "rp.authorization.wrong_state",
    "rp.authorization.mix_up",
    "rp.id_token.bad_signature",
    "rp.id_token.alg_none",
    "rp.id_token.unknown_kid",
    "rp.id_token.wrong_iss",
    "rp.id_token.wrong_aud",
    "rp.id_token.wrong_nonce",
    "rp.id_token.expired",
    "rp.id_token.future_iat",
    "rp.id_token.missing_vot",
    "rp.id_token.vot_outside_vtr",
    "rp.verified_claims.unknown_trust_framework",
    "rp.verified_claims.under_scored",
]
#: Password only: both services accept a low level of confidence, and no TOTP code is spent.
LOW = Credentials("low@example.test", DEV_PASSWORD)


@pytest.fixture(scope="module")
def idp_session() -> dict[str, httpx.Cookies]:
    """The provider's cookies, kept between the module's runs: the test account signs in once."""
    return {}


def check(
    stack: Stack, login_url: str, session: dict[str, httpx.Cookies] | None = None, **options: Any
) -> list[Result]:
    context = RpContext(
        login_url=login_url,
        idp=stack.idp,
        credentials=LOW,
        idp_cookies=(session or {}).get("cookies"),
        clock=lambda: time.time() + stack.offset[0],
        **options,
    )

    async def run() -> list[Result]:
        try:
            return await run_suite(rp_cases(), context, deadline=60)
        finally:
            await context.aclose()

    results = asyncio.run(run())
    if session is not None and context.idp_client is not None:
        session["cookies"] = context.idp_client.cookies
    return results


def statuses(results: list[Result]) -> dict[str, Status]:
    return {r.id: r.status for r in results}


@pytest.mark.parametrize("page", ["council:/parking-permit/apply", "gp:/register/apply"])
def test_rp_suite_the_projects_services_pass_every_case(
    stack: Stack, idp_session: dict[str, httpx.Cookies], page: str
) -> None:
    service, path = page.split(":")
    results = check(stack, getattr(stack, service) + path, idp_session)
    assert [r.id for r in results] == CASES
    assert {r.id: (r.status, r.reason) for r in results if r.status is not Status.PASS} == {}
    by_id = {r.id: r for r in results}
    assert by_id["rp.login"].reason.endswith(f"ends at {getattr(stack, service)}{path} (HTTP 200)")
    assert by_id["rp.id_token.expired"].reason.startswith("refused: ended at ")


def careless(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the RP library skip the ID token's signature and nonce checks (everything else still
    checked): the token is read unverified, its nonce replaced by the expected one, and that copy,
    signed with a throwaway key, is validated."""
    real = id_token_module.validate_id_token
    key = generate_key("ES256")

    def validate(token: str, _keys: KeySet, expected: Expected, *, now: float) -> dict[str, Any]:
        _header, claims = decode_unverified(token)
        claims["nonce"] = expected.nonce
        return real(sign_jwt(claims, key, "JWT", alg="ES256"), KeySet([key]), expected, now=now)

    monkeypatch.setattr(login_module, "validate_id_token", validate)


def test_rp_suite_a_careless_rp_fails_exactly_the_signature_and_nonce_cases(
    stack: Stack, idp_session: dict[str, httpx.Cookies], monkeypatch: pytest.MonkeyPatch
) -> None:
    careless(monkeypatch)
    results = check(stack, f"{stack.council}/parking-permit/apply", idp_session)
    failed = {r.id: r.reason for r in results if r.status is Status.FAIL}
    assert set(failed) == {
        "rp.id_token.bad_signature",
        "rp.id_token.alg_none",
        "rp.id_token.unknown_kid",
        "rp.id_token.wrong_nonce",
    }
    assert failed["rp.id_token.wrong_nonce"] == (
        f"the RP accepted it: it ended at {stack.council}/parking-permit/apply (HTTP 200), like the genuine login"
    )
    assert statuses(results)["rp.id_token.expired"] is Status.PASS


def test_rp_suite_signed_in_text_must_appear_on_the_genuine_page(
    stack: Stack, idp_session: dict[str, httpx.Cookies]
) -> None:
    results = check(
        stack, f"{stack.council}/parking-permit/apply", idp_session, signed_in_text="no such words"
    )
    by_id = {r.id: r for r in results}
    assert by_id["rp.login"].status is Status.FAIL
    assert by_id["rp.login"].reason == (
        f"the genuine login ended at {stack.council}/parking-permit/apply (HTTP 200) without 'no such words'"
    )
    assert {r.status for r in results[2:]} == {Status.SKIP}


def test_rp_suite_a_provider_not_in_conformance_mode_fails_with_the_fix(stack: Stack) -> None:
    discovery = {"authorization_endpoint": "http://127.0.0.1:1/authorize"}
    with serve({"/.well-known/openid-configuration": Response.json(discovery)}) as server:
        context = RpContext(
            login_url=f"{stack.council}/parking-permit/apply", idp=server.base_url, credentials=LOW
        )
        results = asyncio.run(run_suite(rp_cases(), context))
    assert (results[0].status, results[0].reason) == (
        Status.FAIL,
        f"{server.base_url} is not in conformance mode (GET /conformance: HTTP 404)",
    )
    assert results[0].fix == "Run the sample provider with UKID_IDP_CONFORMANCE=true in dev (`ukid up` does)."
    assert {(r.status, r.blocked_by) for r in results[1:]} == {(Status.SKIP, "idp.conformance")}


def test_rp_suite_a_login_url_that_does_not_lead_to_the_provider_fails_with_the_page(stack: Stack) -> None:
    page = Response(200, b"<html><h1>Welcome to the library</h1></html>", "text/html")
    with serve({"/": page}) as server:
        results = check(stack, f"{server.base_url}/")
    by_id = {r.id: r for r in results}
    assert by_id["rp.login"].status is Status.FAIL
    assert by_id["rp.login"].reason == (
        f"the login URL did not lead to {stack.idp}: it ended at {server.base_url}/ (HTTP 200): Welcome to the library"
    )


def test_rp_suite_an_unreachable_login_url_fails_with_the_reason(stack: Stack) -> None:
    results = check(stack, "http://127.0.0.1:9/login")
    by_id = {r.id: r for r in results}
    assert by_id["rp.login"].status is Status.FAIL
    assert by_id["rp.login"].reason.startswith("the login: ConnectError: ")


def test_rp_cli_writes_reports_and_exits_0(stack: Stack, tmp_path: Path) -> None:
    report = tmp_path / "rp.json"
    args = ["check", "rp", f"{stack.gp}/register/apply", "--idp", stack.idp, "--username", LOW.username]
    result = CliRunner().invoke(
        build_app(),
        [*args, "--json", str(report)],
        env={"TZ": "UTC"},
    )
    assert result.exit_code == 0, result.output
    assert "17 cases: 17 passed, 0 failed, 0 skipped" in result.output
    assert [c["id"] for c in json.loads(report.read_text())["cases"]] == CASES


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ftp://x/login"], "Error: LOGIN_URL: 'ftp://x/login' is not an absolute http(s) URL"),
        (
            ["http://localhost:8400/", "--timeout", "0"],
            "Error: --timeout: must be a positive number of seconds",
        ),
    ],
)
def test_rp_cli_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(build_app(), ["check", "rp", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_rp_cli_password_from_the_environment(stack: Stack) -> None:
    args = [
        "check",
        "rp",
        f"{stack.council}/parking-permit/apply",
        "--idp",
        stack.idp,
        "--username",
        LOW.username,
    ]
    result = CliRunner().invoke(build_app(), args, env={"UKID_CHECK_PASSWORD": "not-the-password"})
    assert result.exit_code == 1, result.output
    assert (
        "the provider did not accept the credentials: Enter a correct username and password" in result.output
    )
