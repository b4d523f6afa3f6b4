"""``ukid check entity`` against faulty entities served over real loopback HTTP (tests.federation.fedkit):
exactly the expected case fails, with its reason; bad input (unreachable, HTML, timeout, TLS, 404)
is a failed case, never a traceback; usage errors exit 2."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from federation.trust_marks import TrustMarkStatus, issue_trust_mark
from tests.federation.fedkit import Subordination, TestFederation
from tests.federation.http_server import LoopbackServer, Response, serve
from ukid._format import iso_utc
from ukid.cli import build_app

MARK = "https://ta.example/trust-mark-types/council"
RP_EXTRA = {"client_registration_types": ["automatic"], "response_types": ["code"]}
ALL_CASES = [
    "entity_id",
    "trust_anchor",
    "configuration.fetch",
    "configuration.header",
    "configuration.self_signed",
    "configuration.validity",
    "configuration.authority_hints",
    "chain.resolves",
    "chain.metadata_policy",
    "trust_marks",
    "profile.https",
    "profile.algorithms",
    "profile.federation_entity",
    "profile.openid_provider",
    "profile.openid_relying_party",
]
#: A conformant relying party with no trust marks and no provider metadata.
HEALTHY = dict.fromkeys(ALL_CASES, "PASS") | {"trust_marks": "SKIP", "profile.openid_provider": "SKIP"}
AFTER_FETCH = [c for c in ALL_CASES[3:] if c != "trust_marks"]


@dataclass
class Fed:
    fed: TestFederation
    server: LoopbackServer
    jwks: Path

    def url(self, name: str) -> str:
        return f"{self.server.base_url}/{name}"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Fed]:
    with serve({}) as server:
        fed = TestFederation.three_level(server.base_url)
        server.fallback = fed.loopback_handler(server.base_url)
        gp = fed.entities[f"{server.base_url}/gp"]
        gp.metadata["openid_relying_party"].update(RP_EXTRA, jwks=gp.keys.public_jwks())
        jwks = tmp_path / "ta.jwks"
        jwks.write_text(json.dumps(fed.entities[f"{server.base_url}/ta"].keys.public_jwks()))
        yield Fed(fed, server, jwks)


def check(f: Fed, url: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "report.json"
    args = ["check", "entity", url, "--trust-anchor", f.url("ta"), "--trust-anchor-jwks", str(f.jwks)]
    result = CliRunner().invoke(build_app(), [*args, "--dev", "--json", str(out), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(out.read_text()), result.output


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in report["cases"]}


def reason(report: dict[str, Any], case_id: str) -> str:
    return next(str(c["reason"]) for c in report["cases"] if c["id"] == case_id)


def fetch_failed() -> dict[str, str]:
    """Only the fetch fails; every case that needs the configuration is skipped."""
    return (
        HEALTHY
        | {"configuration.fetch": "FAIL"}
        | dict.fromkeys(AFTER_FETCH, "SKIP")
        | {"trust_marks": "SKIP"}
    )


def test_10_conformant_relying_party_passes(fed: Fed, tmp_path: Path) -> None:
    code, report, output = check(fed, fed.url("gp"), tmp_path)
    assert (code, statuses(report)) == (0, HEALTHY)
    assert reason(report, "chain.resolves").startswith(
        f"{fed.url('gp')} -> {fed.url('health')} -> {fed.url('ta')};"
    )
    assert reason(report, "trust_anchor") == "verifies with the pinned keys"
    assert "[ 8] PASS  chain.resolves: Trust chain resolves to the trust anchor" in output
    assert "15 cases: 13 passed, 0 failed, 2 skipped" in output


def test_3_1_expired_entity_configuration(fed: Fed, tmp_path: Path) -> None:
    gp = fed.url("gp")
    claims = fed.fed.configuration_claims(gp)
    exp = int(time.time()) - 3600
    claims.update(iat=exp - 3600, exp=exp)
    fed.fed.serve_token(fed.fed.ec_url(gp), fed.fed.sign(claims, by=gp))
    code, report, _ = check(fed, gp, tmp_path)
    blocked = {"chain.resolves": "SKIP", "chain.metadata_policy": "SKIP", "trust_marks": "SKIP"}
    assert (code, statuses(report)) == (1, HEALTHY | {"configuration.validity": "FAIL"} | blocked)
    assert reason(report, "configuration.validity").startswith(f"expired at {iso_utc(exp)}, 36")
    assert reason(report, "chain.resolves") == "prerequisite configuration.validity failed"


def test_10_entity_not_onboarded(fed: Fed, tmp_path: Path) -> None:
    stranger = fed.url("stranger")
    fed.fed.add(stranger, metadata={"openid_relying_party": {"redirect_uris": [f"{stranger}/cb"]}})
    fed.fed.entities[stranger].authority_hints = [fed.url("ta")]
    md = fed.fed.entities[stranger].metadata["openid_relying_party"]
    md.update(
        RP_EXTRA,
        token_endpoint_auth_method="private_key_jwt",
        jwks=fed.fed.entities[stranger].keys.public_jwks(),
    )
    code, report, _ = check(fed, stranger, tmp_path)
    expected = HEALTHY | {"chain.resolves": "FAIL", "chain.metadata_policy": "SKIP"}
    assert (code, statuses(report)) == (1, expected)
    ta = fed.url("ta")
    assert reason(report, "chain.resolves") == (
        f"no valid trust chain to {ta}: via {stranger} -> {ta}: subordinate statement by {ta} about "
        f"{stranger}: {ta}/fetch: answered HTTP 404: not_found: {stranger} is not a subordinate of {ta}"
    )
    assert reason(report, "profile.openid_relying_party") == (
        "openid_relying_party in the entity's own metadata (the chain did not resolve)"
    )


def test_6_1_metadata_policy_rejects_the_metadata(fed: Fed, tmp_path: Path) -> None:
    fed.fed.entities[fed.url("health")].subordinates[fed.url("gp")] = Subordination(
        metadata_policy={
            "openid_relying_party": {"token_endpoint_auth_method": {"one_of": ["self_signed_tls"]}}
        }
    )
    code, report, _ = check(fed, fed.url("gp"), tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"chain.metadata_policy": "FAIL"})
    assert "token_endpoint_auth_method" in reason(report, "chain.metadata_policy")
    assert reason(report, "chain.metadata_policy").startswith(f"metadata policy for {fed.url('gp')}: ")


def test_8_4_revoked_trust_mark(fed: Fed, tmp_path: Path) -> None:
    ta, gp = fed.url("ta"), fed.url("gp")
    token = issue_trust_mark(
        fed.fed.entities[ta].keys, issuer=ta, subject=gp, trust_mark_type=MARK, iat=int(time.time())
    )
    fed.fed.entities[ta].trust_mark_issuers = {MARK: [ta]}
    fed.fed.entities[ta].trust_mark_status[token] = TrustMarkStatus.REVOKED
    fed.fed.entities[gp].trust_marks = [{"trust_mark_type": MARK, "trust_mark": token}]
    code, report, _ = check(fed, gp, tmp_path)
    marks = {"trust_mark[council]": "PASS", "trust_mark_status[council]": "FAIL"}
    expected = {k: v for k, v in HEALTHY.items() if k != "trust_marks"} | marks
    assert (code, statuses(report)) == (1, expected)
    assert list(statuses(report))[9:11] == list(marks)
    assert reason(report, "trust_mark_status[council]") == f"the issuer {ta} says the trust mark is revoked"


def test_5_1_2_relying_party_with_a_client_secret(fed: Fed, tmp_path: Path) -> None:
    fed.fed.entities[fed.url("gp")].metadata["openid_relying_party"]["token_endpoint_auth_method"] = (
        "client_secret_basic"
    )
    code, report, _ = check(fed, fed.url("gp"), tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"profile.openid_relying_party": "FAIL"})
    assert reason(report, "profile.openid_relying_party") == (
        "openid_relying_party.token_endpoint_auth_method is 'client_secret_basic', not private_key_jwt"
    )


def test_9_unreachable_url(fed: Fed, tmp_path: Path) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    url = f"http://127.0.0.1:{port}"
    code, report, _ = check(fed, url, tmp_path)
    assert (code, statuses(report)) == (1, fetch_failed())
    assert (
        reason(report, "configuration.fetch")
        == f"{url}/.well-known/openid-federation: connection failed: ConnectError"
    )


def test_9_html_page_instead_of_a_statement(fed: Fed, tmp_path: Path) -> None:
    fed.server.routes["/portal/.well-known/openid-federation"] = Response(
        200, b"<html>Sign in</html>", "text/html"
    )
    code, report, _ = check(fed, fed.url("portal"), tmp_path)
    assert (code, statuses(report)) == (1, fetch_failed())
    assert reason(report, "configuration.fetch") == (
        f"{fed.url('portal')}/.well-known/openid-federation: expected application/entity-statement+jwt, got text/html"
    )


def test_9_non_federation_url_404(fed: Fed, tmp_path: Path) -> None:
    code, report, _ = check(fed, fed.url("blog"), tmp_path)
    assert (code, statuses(report)) == (1, fetch_failed())
    assert reason(report, "configuration.fetch") == (
        f"{fed.url('blog')}/.well-known/openid-federation: answered HTTP 404: not_found: no entity at {fed.url('blog')}"
    )


def test_9_server_that_never_answers_times_out(fed: Fed, tmp_path: Path) -> None:
    fed.server.routes["/slow/.well-known/openid-federation"] = Response(
        200, b"", "application/entity-statement+jwt", delay_before=5
    )
    started = time.monotonic()
    code, report, _ = check(fed, fed.url("slow"), tmp_path, "--timeout", "0.5")
    assert time.monotonic() - started < 4
    assert (code, statuses(report)) == (1, fetch_failed())
    assert reason(report, "configuration.fetch") in (
        f"{fed.url('slow')}/.well-known/openid-federation: read timed out after 0.5 s",
        f"{fed.url('slow')}/.well-known/openid-federation: exceeded the total deadline of 0.5 s",
    )


def test_9_tls_failure(fed: Fed, tmp_path: Path) -> None:
    url = fed.url("gp").replace("http://", "https://")
    code, report, _ = check(fed, url, tmp_path)
    assert (code, statuses(report)) == (1, fetch_failed())
    assert (
        reason(report, "configuration.fetch")
        == f"{url}/.well-known/openid-federation: connection failed: ConnectError"
    )


def test_1_2_plain_http_outside_development(fed: Fed, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    ta = fed.url("ta").replace("http://", "https://")
    result = CliRunner().invoke(
        build_app(),
        ["check", "entity", fed.url("gp"), "--trust-anchor", ta, "--json", str(out), "--timeout", "1"],
    )
    report = json.loads(out.read_text())
    assert result.exit_code == 1
    assert statuses(report)["entity_id"] == "FAIL"
    assert statuses(report)["configuration.fetch"] == "SKIP"
    assert reason(report, "entity_id") == (
        f"{fed.url('gp')} uses plain http (only allowed in a development federation: --dev)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["not a url", "--trust-anchor", "https://ta.example"],
            "Error: URL: 'not a url' contains whitespace",
        ),
        (
            ["https://rp.example", "--trust-anchor", "http://ta.example"],
            "Error: --trust-anchor: http://ta.example is plain http",
        ),
        (
            ["https://rp.example", "--trust-anchor", "https://ta.example", "--timeout", "0"],
            "Error: --timeout: must be a positive",
        ),
        (
            [
                "https://rp.example",
                "--trust-anchor",
                "https://ta.example",
                "--trust-anchor-jwks",
                "/nonexistent",
            ],
            "Error: --trust-anchor-jwks: cannot read /nonexistent",
        ),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(build_app(), ["check", "entity", *args])
    assert result.exit_code == 2
    assert message in result.output
