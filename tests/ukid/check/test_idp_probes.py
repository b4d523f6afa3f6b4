"""``ukid check idp`` login and probe cases against a small provider on real loopback HTTP
(``tests.ukid.check.fake_op``) that gets one thing wrong per test: exactly the expected case fails,
with its reason (RFC 7636 §4.4.1, §4.6; RFC 6749 §4.1.2, §4.1.2.1, §10.5; RFC 7523 §3; RFC 9207);
bad answers (HTML from the token endpoint, an unreachable endpoint) are a failed case with a reason,
never a traceback; bad option values exit 2 with ``Error: --option: message``."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from federation.keys import generate_key
from tests.federation.http_server import Response
from tests.ukid.check.fake_op import CLIENT_ID, REDIRECT_URI, Faults, fake_provider
from tests.ukid.check.test_idp_faults import STATIC
from ukid.cli import build_app

LOGIN = [
    "login.authorization",
    "login.token",
    "login.id_token",
    "login.vot",
    "login.userinfo",
    "login.verified_claims",
]
PROBES = [
    "probe.pkce_required",
    "probe.pkce_plain",
    "probe.redirect_uri",
    "probe.code_reuse",
    "probe.code_verifier",
    "probe.assertion_audience",
    "probe.assertion_replay",
]
HEALTHY = dict.fromkeys(STATIC, "PASS") | {"federation": "SKIP"} | dict.fromkeys(LOGIN + PROBES, "PASS")


def key_file(tmp_path: Path) -> Path:
    key = generate_key("ES256")
    path = tmp_path / "client-key.json"
    path.write_text(json.dumps({**key.as_dict(private=True), "kid": key.kid, "alg": "ES256"}))
    return path


def client_options(tmp_path: Path) -> list[str]:
    return [
        "--client-id",
        CLIENT_ID,
        "--client-key",
        str(key_file(tmp_path)),
        "--redirect-uri",
        REDIRECT_URI,
        "--username",
        "someone@example.test",
        "--password",
        "not-needed-by-the-fake",
    ]


def check(url: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(build_app(), ["check", "idp", url, "--dev", "--json", str(out), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(out.read_text()), result.output


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in report["cases"]}


def reason(report: dict[str, Any], case_id: str) -> str:
    return next(str(c["reason"]) for c in report["cases"] if c["id"] == case_id)


def test_rfc7636_a_safe_provider_passes_every_login_and_probe_case(tmp_path: Path) -> None:
    with fake_provider() as op:
        code, report, output = check(op.issuer, tmp_path, *client_options(tmp_path))
    assert (code, statuses(report)) == (0, HEALTHY)
    assert (
        reason(report, "login.vot") == f"vot P2.Cl.Cm is within the requested vtr; vtm {op.issuer}/trustmark"
    )
    assert reason(report, "probe.pkce_plain") == "refused: error=invalid_request"
    assert reason(report, "probe.assertion_replay") == (
        "replayed assertion (same jti) refused: HTTP 401 invalid_client: jti used before"
    )
    assert report["details"]["Client"] == "ukid-check (private_key_jwt)"
    assert f"{len(HEALTHY)} cases: {len(HEALTHY) - 1} passed, 0 failed, 1 skipped" in output


def test_rfc6749_2_3_1_with_a_client_secret_the_assertion_probes_are_skipped(tmp_path: Path) -> None:
    options = client_options(tmp_path)
    at = options.index("--client-key")
    options[at : at + 2] = ["--client-secret", "a-development-client-secret"]
    with fake_provider() as op:
        code, report, _ = check(op.issuer, tmp_path, *options)
        token_requests = op.server.requested("/token")
    probes = ("probe.assertion_audience", "probe.assertion_replay")
    assert (code, statuses(report)) == (0, HEALTHY | dict.fromkeys(probes, "SKIP"))
    assert reason(report, "probe.assertion_replay") == (
        "the client authenticates with --client-secret: no client assertion to probe"
    )
    assert (
        reason(report, "login.token")
        == "Bearer access_token and id_token (client authenticated with client_secret_basic)"
    )
    assert (
        token_requests[0].headers["authorization"]
        == "Basic dWtpZC1jaGVjazphLWRldmVsb3BtZW50LWNsaWVudC1zZWNyZXQ="
    )
    assert b"client_assertion" not in token_requests[0].body


FAULTS = [
    (
        Faults(accept_plain=True),
        "probe.pkce_plain",
        "a request with code_challenge_method=plain was accepted: the provider issued an authorization code",
    ),
    (
        Faults(accept_no_pkce=True),
        "probe.pkce_required",
        "a request without code_challenge was accepted: the provider issued an authorization code",
    ),
    (Faults(reuse_code=True), "probe.code_reuse", "the provider issued tokens (HTTP 200)"),
    (Faults(ignore_verifier=True), "probe.code_verifier", "the provider issued tokens (HTTP 200)"),
    (
        Faults(any_audience=True),
        "probe.assertion_audience",
        "answered HTTP 400 invalid_grant: unknown or used code, not error invalid_client (RFC 6749 §5.2)",
    ),
    (
        Faults(replay_jti=True),
        "probe.assertion_replay",
        "answered HTTP 400 invalid_grant: unknown or used code, not error invalid_client (RFC 6749 §5.2)",
    ),
]


@pytest.mark.parametrize(("faults", "case", "why"), FAULTS, ids=[f[1] for f in FAULTS])
def test_rfc9700_2_1_1_each_unsafe_provider_fails_exactly_its_probe(
    faults: Faults, case: str, why: str, tmp_path: Path
) -> None:
    with fake_provider(faults) as op:
        code, report, _ = check(op.issuer, tmp_path, *client_options(tmp_path))
    assert (code, statuses(report)) == (1, HEALTHY | {case: "FAIL"})
    assert reason(report, case) == why


def test_rfc6749_4_1_2_1_a_provider_redirecting_to_an_unregistered_uri_fails(tmp_path: Path) -> None:
    with fake_provider(Faults(any_redirect_uri=True)) as op:
        code, report, _ = check(op.issuer, tmp_path, *client_options(tmp_path))
    assert (code, statuses(report)) == (1, HEALTHY | {"probe.redirect_uri": "FAIL"})
    assert reason(report, "probe.redirect_uri").startswith(
        "the provider redirected to the unregistered redirect URI: "
        "https://unregistered.ukid-check.invalid/callback?"
    )


def test_rfc9207_2_no_iss_fails_the_login_and_skips_what_needed_it(tmp_path: Path) -> None:
    with fake_provider(Faults(no_iss=True)) as op:
        code, report, _ = check(op.issuer, tmp_path, *client_options(tmp_path))
    blocked = ["login.token", "login.id_token", "login.vot", "login.userinfo", "login.verified_claims"]
    blocked += ["probe.code_reuse", "probe.code_verifier", "probe.assertion_replay"]
    assert (code, statuses(report)) == (
        1,
        HEALTHY | {"login.authorization": "FAIL"} | dict.fromkeys(blocked, "SKIP"),
    )
    assert reason(report, "login.authorization") == (
        f"iss is None, not the issuer {op.issuer!r} (RFC 9207 §2)"
    )
    assert reason(report, "login.vot") == "prerequisite login.authorization failed"


def test_rfc6749_5_1_html_from_the_token_endpoint_is_a_failed_case(tmp_path: Path) -> None:
    with fake_provider(Faults(html_token=True)) as op:
        code, report, _ = check(op.issuer, tmp_path, *client_options(tmp_path))
    html = "HTTP 200 with text/html, not a JSON object (Welcome to our portal)"
    assert reason(report, "login.token") == f"the token request was refused: {html}"
    assert (
        reason(report, "probe.code_verifier") == f"answered {html}, not error invalid_grant (RFC 6749 §5.2)"
    )
    assert reason(report, "probe.assertion_audience") == (
        f"answered {html}, not error invalid_client (RFC 6749 §5.2)"
    )
    failed = {"login.token", "probe.code_verifier", "probe.assertion_audience"}
    assert code == 1
    assert {k for k, v in statuses(report).items() if v == "FAIL"} == failed


def test_rfc6749_3_2_an_unreachable_token_endpoint_is_a_failed_case(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        gone = f"http://127.0.0.1:{closed.getsockname()[1]}/token"
    with fake_provider() as op:
        discovery = op.server.routes["/.well-known/openid-configuration"]
        assert isinstance(discovery, Response)
        changed = json.loads(discovery.body) | {"token_endpoint": gone}
        op.server.routes["/.well-known/openid-configuration"] = Response.json(changed)
        code, report, _ = check(op.issuer, tmp_path, *client_options(tmp_path))
    assert code == 1
    assert reason(report, "login.token").startswith(
        f"the token endpoint {gone} could not be reached (ConnectError"
    )
    assert statuses(report)["login.id_token"] == "SKIP"


def test_usage_without_client_options_one_skip_names_the_options(tmp_path: Path) -> None:
    with fake_provider() as op:
        code, report, _ = check(op.issuer, tmp_path)
    assert code == 0
    assert statuses(report)["login"] == "SKIP"
    assert reason(report, "login").startswith("no --client-id given: the login and probe cases did not run")
    assert not any(c["id"].startswith(("login.", "probe.")) for c in report["cases"])


USAGE = [
    (["--client-key", "k.json"], "Error: --client-key: needs --client-id"),
    (
        ["--client-id", "c"],
        "Error: --client-id: needs --client-key FILE (private_key_jwt) or --client-secret",
    ),
    (
        ["--client-id", "c", "--client-secret", "s" * 20],
        "Error: --redirect-uri: needed with --client-id (a redirect URI registered at the provider)",
    ),
    (
        ["--client-id", "c", "--client-secret", "s" * 20, "--redirect-uri", "not a url"],
        "Error: --redirect-uri: 'not a url' is not an absolute http(s) URI without a fragment",
    ),
    (
        ["--client-id", "c", "--client-secret", "s" * 20, "--redirect-uri", REDIRECT_URI],
        "Error: --username: needed with --client-id (or sign in in a browser with --interactive)",
    ),
    (
        [
            "--client-id",
            "c",
            "--client-secret",
            "s" * 20,
            "--redirect-uri",
            "https://rp.example/cb",
            "--interactive",
        ],
        "Error: --interactive: needs a loopback --redirect-uri (http://127.0.0.1:PORT/... or "
        "http://localhost:PORT/...): the checker receives the redirect itself",
    ),
    (
        [
            "--client-id",
            "c",
            "--client-secret",
            "s",
            "--client-key",
            "k.json",
            "--redirect-uri",
            REDIRECT_URI,
        ],
        "Error: --client-secret: give --client-key or --client-secret, not both",
    ),
    (
        [
            "--client-id",
            "c",
            "--client-secret",
            "s" * 20,
            "--redirect-uri",
            REDIRECT_URI,
            "--username",
            "u",
            "--password",
            "p",
            "--totp-secret",
            "not base32!",
        ],
        "Error: --totp-secret: is not a base32 TOTP secret (RFC 6238)",
    ),
    (
        [
            "--client-id",
            "c",
            "--client-secret",
            "s" * 20,
            "--redirect-uri",
            REDIRECT_URI,
            "--interactive",
            "--vtr",
            "Xx.Yy.zz",
        ],
        "Error: --vtr: ",
    ),
]


@pytest.mark.parametrize(("options", "message"), USAGE, ids=[u[1][7:40] for u in USAGE])
def test_usage_bad_login_options_exit_2(options: list[str], message: str) -> None:
    result = CliRunner().invoke(build_app(), ["check", "idp", "http://127.0.0.1:9", "--dev", *options])
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert "Traceback" not in result.output


def test_usage_a_client_key_that_is_not_a_private_key_exits_2(tmp_path: Path) -> None:
    public = tmp_path / "public.json"
    key = generate_key("ES256")
    public.write_text(json.dumps(key.as_dict(private=False)))
    options = [
        "--client-id",
        "c",
        "--client-key",
        str(public),
        "--redirect-uri",
        REDIRECT_URI,
        "--interactive",
    ]
    result = CliRunner().invoke(build_app(), ["check", "idp", "http://127.0.0.1:9", "--dev", *options])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: --client-key: {public} is not a private key (JWK or PEM): {public}: holds a public key; "
        "a signing key must be private\n"
    )
