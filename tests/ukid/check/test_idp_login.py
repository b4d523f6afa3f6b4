"""``ukid check idp`` logs in to the project's own provider (the ``stack`` fixture) as a test account,
through the static client ``ukid-check`` the stack registers, and every login and probe case passes:
the authorization response (RFC 6749 §4.1.2, RFC 9207), the token response (§5.1), the ID token (OpenID
Connect Core §3.1.3.7), ``vot``/``vtm`` (RFC 8485 §5), UserInfo (Core §5.3.2), ``verified_claims``
(Identity Assurance 1.0 §5) and the probes (RFC 7636, RFC 6749 §10.5, RFC 7523 §3). Credentials
mode fills in the provider's pages; interactive mode is played by a test "browser" that reads the
printed URL."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from federation.http import FederationFetcher, FetchPolicy
from idp.core.personas import DEV_PASSWORD, MEDIUM_TOTP_SECRET
from tests.e2e.stack import Stack
from tests.ukid.check.test_idp_faults import STATIC
from tests.ukid.check.test_idp_probes import LOGIN, PROBES
from ukid.check.agent import Agent, Credentials
from ukid.check.cases import Result, Status, run_suite
from ukid.check.client import ClientConfig, LoginState, redirected_to
from ukid.check.client_options import load_client_key
from ukid.check.idp import IdpContext, idp_cases
from ukid.check.idp_login import login_cases
from ukid.check.idp_probes import probe_cases
from ukid.cli import build_app

PASSING = LOGIN + PROBES


def client(stack: Stack) -> tuple[str, Path, tuple[str, ...]]:
    assert stack.check is not None
    return stack.check.client_id, stack.check.key_file, stack.check.redirect_uris


def run(stack: Stack, config: ClientConfig) -> dict[str, Result]:
    """Every case of ``ukid check idp`` with ``config`` (the provider's clock is ``stack.offset`` ahead)."""

    async def main() -> list[Result]:
        fetcher = FederationFetcher(FetchPolicy.development())
        login = LoginState(config)
        context = IdpContext(issuer=stack.idp, fetcher=fetcher, dev=True, login=login)
        items = [*idp_cases(federation=False), *login_cases(enabled=True), *probe_cases()]
        try:
            async with fetcher:
                return await run_suite(items, context, deadline=60)
        finally:
            await login.aclose()

    return {r.id: r for r in asyncio.run(main())}


def config_for(stack: Stack, **changes: Any) -> ClientConfig:
    client_id, key_file, uris = client(stack)
    key, alg = load_client_key(str(key_file))
    values: dict[str, Any] = {
        "client_id": client_id,
        "redirect_uri": uris[0],
        "key": key,
        "alg": alg,
        "clock": lambda: time.time() + stack.offset[0],
    }
    return ClientConfig(**(values | changes))


def test_rfc6749_4_1_login_as_low_persona_from_the_command_line(stack: Stack, tmp_path: Path) -> None:
    client_id, key_file, uris = client(stack)
    out = tmp_path / "report.json"
    options = ["--client-id", client_id, "--client-key", str(key_file), "--redirect-uri", uris[0]]
    options += ["--username", "low@example.test", "--password", DEV_PASSWORD]
    result = CliRunner().invoke(
        build_app(), ["check", "idp", stack.idp, "--dev", "--json", str(out), *options]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    report = json.loads(out.read_text())
    by_id = {c["id"]: c for c in report["cases"]}
    assert [c["id"] for c in report["cases"]] == [*STATIC, "federation", *PASSING]
    assert {i: by_id[i]["status"] for i in PASSING} == dict.fromkeys(PASSING, "PASS")
    assert result.exit_code == 0
    assert by_id["login.vot"]["reason"] == f"vot P1.Cl is within the requested vtr; vtm {stack.idp}/trustmark"
    assert by_id["login.authorization"]["reason"].startswith(
        f"code, state and iss returned to {uris[0]}; asked for vtr ['P3.Cl.Cm', 'P2.Cl.Cm', 'P1.Cl.Cm',"
    )
    assert by_id["probe.assertion_replay"]["reason"] == (
        "replayed assertion (same jti) refused: HTTP 401 invalid_client: client assertion jti has been used before"
    )
    assert by_id["probe.code_reuse"]["reason"].endswith("; the access token issued with it is revoked")
    assert report["details"]["Test account"] == "low@example.test"


def test_rfc8485_5_login_with_a_security_code_asserts_p2_cl_cm(stack: Stack) -> None:
    credentials = Credentials("medium@example.test", DEV_PASSWORD, MEDIUM_TOTP_SECRET)
    results = run(stack, config_for(stack, credentials=credentials))
    assert {i: results[i].status for i in PASSING} == dict.fromkeys(PASSING, Status.PASS)
    assert (
        results["login.vot"].reason == f"vot P2.Cl.Cm is within the requested vtr; vtm {stack.idp}/trustmark"
    )
    assert results["login.verified_claims"].reason == (
        "1 element(s) valid against the assurance schema (trust framework uk_diatf)"
    )
    assert results["probe.pkce_plain"].reason.startswith(
        "refused: error=invalid_request (code_challenge_method"
    )


def test_rfc6749_4_1_2_1_wrong_password_fails_the_login_with_the_providers_message(stack: Stack) -> None:
    credentials = Credentials("thin-file@example.test", "not-the-password")
    results = run(stack, config_for(stack, credentials=credentials))
    failed = results["login.authorization"]
    assert failed.status is Status.FAIL
    assert failed.reason == (
        f"{stack.idp}/login (HTTP 200): the provider did not accept the credentials: "
        "Enter a correct username and password"
    )
    assert failed.fix == "Check --username, --password and --totp-secret, or sign in with --interactive."
    assert results["login.token"].status is Status.SKIP
    assert results["login.token"].reason == "prerequisite login.authorization failed"
    # the probes that need no login still run
    assert results["probe.pkce_required"].status is Status.PASS


def test_rfc8252_7_3_interactive_login_received_on_a_loopback_redirect(stack: Stack) -> None:
    """The checker prints each URL; a test browser (its own cookies) signs in there and follows the
    provider's redirect to the checker's loopback server."""
    _client_id, _key, uris = client(stack)
    printed: list[str] = []
    browsing: list[asyncio.Task[None]] = []
    holder: dict[str, Agent] = {}
    clock = lambda: time.time() + stack.offset[0]  # noqa: E731
    credentials = Credentials("low@example.test", DEV_PASSWORD)  # no security code: no wait for a new step

    async def browse(url: str) -> None:
        if "agent" not in holder:
            holder["agent"] = Agent(httpx.AsyncClient(follow_redirects=False, timeout=10), clock=clock)
        agent = holder["agent"]
        page = await agent.sign_in(
            await agent.get(url), credentials, stop=lambda loc: redirected_to(loc, uris[1])
        )
        answer = await agent.get(agent.location(page))
        assert answer.status_code == 200
        assert "ukid check received the provider's redirect" in answer.text

    def say(line: str) -> None:
        printed.append(line)
        if line.startswith("  http"):
            browsing.append(asyncio.get_running_loop().create_task(browse(line.strip())))

    results = run(stack, config_for(stack, redirect_uri=uris[1], interactive=True, say=say, login_timeout=30))
    assert {i: results[i].status for i in PASSING} == dict.fromkeys(PASSING, Status.PASS)
    assert [line for line in printed if not line.startswith("  http")] == [
        f"Open this URL in a browser and sign in as the test account (waiting 30 s for the redirect to {uris[1]}):",
        "A second authorization (for the wrong code_verifier probe): open this URL too.",
        f"Open this URL in a browser and sign in as the test account (waiting 30 s for the redirect to {uris[1]}):",
    ]
    assert len(browsing) == 2 and all(task.done() and task.exception() is None for task in browsing)
    assert results["login.vot"].reason == f"vot P1.Cl is within the requested vtr; vtm {stack.idp}/trustmark"


def test_rfc8252_7_3_interactive_without_a_browser_fails_after_the_timeout(stack: Stack) -> None:
    _client_id, _key, uris = client(stack)
    printed: list[str] = []
    results = run(
        stack,
        config_for(stack, redirect_uri=uris[1], interactive=True, say=printed.append, login_timeout=0.2),
    )
    assert results["login.authorization"].status is Status.FAIL
    assert results["login.authorization"].reason == f"no redirect to {uris[1]} within 0.2 s"
    assert results["probe.code_verifier"].reason == "prerequisite login.authorization failed"
    assert printed[1].startswith(f"  {stack.idp}/authorize?response_type=code&client_id=ukid-check&")
