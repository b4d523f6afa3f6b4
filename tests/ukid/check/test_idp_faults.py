"""``ukid check idp`` against a provider served over real loopback HTTP (tests.federation.http_server),
broken one way per test: exactly the expected case fails, with its reason (OpenID Connect Discovery
1.0 §3, §4; RFC 7517; RFC 7636; Identity Assurance 1.0 §8; RFC 8485); bad input is a failed case,
never a traceback; usage errors exit 2."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from federation.keys import generate_key, public_jwk
from schemas.vot import gov_uk_one_login_trustmark
from tests.federation.http_server import LoopbackServer, Response, serve
from ukid.cli import build_app

STATIC = [
    "issuer_url",
    "discovery.fetch",
    "discovery.issuer",
    "discovery.required",
    "discovery.https",
    "discovery.algorithms",
    "discovery.pkce",
    "discovery.client_auth",
    "discovery.iss_parameter",
    "discovery.par",
    "jwks.fetch",
    "jwks.public_only",
    "jwks.unique_kids",
    "jwks.keys_usable",
    "jwks.id_token_keys",
    "assurance.metadata",
    "vot.metadata",
    "vot.trustmark",
]
HEALTHY = dict.fromkeys(STATIC, "PASS") | {"federation": "SKIP", "login": "SKIP"}
AFTER_FETCH = STATIC[2:]


@dataclass
class Provider:
    server: LoopbackServer
    discovery: dict[str, Any]
    keys: list[dict[str, Any]]

    @property
    def issuer(self) -> str:
        return self.server.base_url


def healthy_discovery(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "pushed_authorization_request_endpoint": f"{issuer}/par",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks.json",
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "claims_supported": ["sub", "given_name", "family_name", "birthdate", "verified_claims"],
        "vtr_values_supported": ["Cl.Cm", "Cl.Cm.P2"],
        "trustmarks": f"{issuer}/trustmark",
        "verified_claims_supported": True,
        "trust_frameworks_supported": ["uk_diatf"],
        "evidence_supported": ["document"],
        "documents_supported": ["passport"],
        "documents_check_methods_supported": ["vpip", "vri"],
        "claims_in_verified_claims_supported": ["given_name", "family_name", "birthdate"],
    }


@pytest.fixture
def op() -> Iterator[Provider]:
    with serve({}) as server:
        issuer = server.base_url
        provider = Provider(server, healthy_discovery(issuer), [public_jwk(generate_key("ES256"), "ES256")])
        server.routes.update(
            {
                "/.well-known/openid-configuration": lambda *_: Response.json(provider.discovery),
                "/jwks.json": lambda *_: Response.json({"keys": provider.keys}),
                "/trustmark": Response.json(
                    gov_uk_one_login_trustmark(issuer, "https://ta.example").model_dump(mode="json")
                ),
            }
        )
        yield provider


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


def test_discovery_3_conformant_provider_passes(op: Provider, tmp_path: Path) -> None:
    code, report, output = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (0, HEALTHY)
    assert reason(report, "federation") == "no --trust-anchor given: the federation cases did not run"
    assert reason(report, "jwks.id_token_keys") == f"signing keys for ES256 ({op.keys[0]['kid']})"
    assert "20 cases: 18 passed, 0 failed, 2 skipped" in output


def test_discovery_4_3_issuer_mismatch(op: Provider, tmp_path: Path) -> None:
    op.discovery["issuer"] = op.issuer + "/"
    code, report, _ = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"discovery.issuer": "FAIL"})
    assert reason(report, "discovery.issuer") == (
        f"issuer is '{op.issuer}/', not the URL checked '{op.issuer}' (they must be identical)"
    )


def test_rfc9700_2_1_1_plain_pkce_advertised(op: Provider, tmp_path: Path) -> None:
    op.discovery["code_challenge_methods_supported"] = ["S256", "plain"]
    code, report, output = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"discovery.pkce": "FAIL"})
    assert reason(report, "discovery.pkce") == "discovery.code_challenge_methods_supported has plain"
    assert "fix: Refuse plain PKCE; accept S256 only." in output


def test_rfc7636_4_2_no_s256(op: Provider, tmp_path: Path) -> None:
    del op.discovery["code_challenge_methods_supported"]
    code, report, _ = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"discovery.pkce": "FAIL"})
    assert reason(report, "discovery.pkce") == "discovery.code_challenge_methods_supported lacks S256 (PKCE)"


def test_discovery_3_none_algorithm_advertised(op: Provider, tmp_path: Path) -> None:
    op.discovery["id_token_signing_alg_values_supported"] = ["ES256", "none"]
    code, report, _ = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"discovery.algorithms": "FAIL"})
    assert reason(report, "discovery.algorithms") == (
        "id_token_signing_alg_values_supported has none; discovery.id_token_signing_alg_values_supported: "
        "'none' not in the allow-list (ES256, PS256, RS256)"
    )


def test_rfc7517_private_key_member_published(op: Provider, tmp_path: Path) -> None:
    private = generate_key("ES256")
    op.keys = [{**public_jwk(private, "ES256"), "d": private.as_dict(private=True)["d"]}]
    code, report, output = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"jwks.public_only": "FAIL"})
    assert reason(report, "jwks.public_only") == f"private key material published: key '{private.kid}' has d"
    assert "fix: Remove private members (d, p, q, dp, dq, qi, oth) and symmetric keys (k) NOW" in output


def test_rfc7517_4_5_duplicate_kids(op: Provider, tmp_path: Path) -> None:
    second = public_jwk(generate_key("ES256"), "ES256") | {"kid": op.keys[0]["kid"]}
    op.keys.append(second)
    code, report, _ = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"jwks.unique_kids": "FAIL"})
    assert reason(report, "jwks.unique_kids") == f"kid used more than once: {second['kid']}"


def test_discovery_3_no_key_for_an_advertised_algorithm(op: Provider, tmp_path: Path) -> None:
    op.discovery["id_token_signing_alg_values_supported"] = ["ES256", "PS256"]
    code, report, _ = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"jwks.id_token_keys": "FAIL"})
    assert reason(report, "jwks.id_token_keys") == "no signing key for PS256"


def test_ia_8_missing_identity_assurance_metadata(op: Provider, tmp_path: Path) -> None:
    for name in (
        "verified_claims_supported",
        "trust_frameworks_supported",
        "claims_in_verified_claims_supported",
    ):
        del op.discovery[name]
    code, report, _ = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"assurance.metadata": "FAIL"})
    assert reason(report, "assurance.metadata") == "verified_claims_supported is None, not true"


def test_ia_8_no_uk_diatf_and_unknown_evidence(op: Provider, tmp_path: Path) -> None:
    op.discovery.update(trust_frameworks_supported=["eidas"], evidence_supported=["document", "selfie"])
    code, report, _ = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"assurance.metadata": "FAIL"})
    assert reason(report, "assurance.metadata") == (
        "trust_frameworks_supported lacks uk_diatf; evidence_supported has 'selfie', not an evidence type "
        "(document, electronic_record, vouch, electronic_signature)"
    )


def test_rfc8485_5_trustmark_for_another_provider(op: Provider, tmp_path: Path) -> None:
    other = gov_uk_one_login_trustmark("https://other.example", "https://ta.example")
    op.server.routes["/trustmark"] = Response.json(other.model_dump(mode="json"))
    code, report, _ = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"vot.trustmark": "FAIL"})
    assert reason(report, "vot.trustmark") == (
        f"{op.issuer}/trustmark: the trustmark is for idp 'https://other.example', not '{op.issuer}'"
    )


def test_rfc8485_no_vectors_of_trust_is_a_skip(op: Provider, tmp_path: Path) -> None:
    del op.discovery["vtr_values_supported"], op.discovery["trustmarks"]
    code, report, _ = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (0, HEALTHY | {"vot.metadata": "SKIP", "vot.trustmark": "SKIP"})
    assert reason(report, "vot.trustmark") == (
        "prerequisite vot.metadata was skipped: the provider publishes no Vectors of Trust metadata "
        "(vtr_values_supported, trustmarks)"
    )


def test_discovery_4_html_instead_of_json(op: Provider, tmp_path: Path) -> None:
    op.server.routes["/.well-known/openid-configuration"] = Response(200, b"<html>hi</html>", "text/html")
    code, report, _ = check(op.issuer, tmp_path)
    expected = HEALTHY | {"discovery.fetch": "FAIL"} | dict.fromkeys(AFTER_FETCH, "SKIP")
    assert (code, statuses(report)) == (1, expected)
    assert reason(report, "discovery.fetch") == (
        f"{op.issuer}/.well-known/openid-configuration: expected application/json, got text/html"
    )
    assert reason(report, "vot.trustmark") == "prerequisite discovery.fetch failed"


def test_discovery_4_unreachable(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    code, report, _ = check(url, tmp_path, "--timeout", "3")
    expected = HEALTHY | {"discovery.fetch": "FAIL"} | dict.fromkeys(AFTER_FETCH, "SKIP")
    assert (code, statuses(report)) == (1, expected)
    assert reason(report, "discovery.fetch") == (
        f"{url}/.well-known/openid-configuration: connection failed: ConnectError"
    )


def test_discovery_2_plain_http_needs_dev(op: Provider, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(build_app(), ["check", "idp", op.issuer, "--json", str(out)])
    report = json.loads(out.read_text())
    assert result.exit_code == 1
    assert statuses(report) == dict.fromkeys(STATIC, "SKIP") | {
        "issuer_url": "FAIL",
        "federation": "SKIP",
        "login": "SKIP",
    }
    assert reason(report, "issuer_url") == (
        f"{op.issuer} uses plain http (only allowed in a development federation: --dev)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trust-anchor-jwks", "x.json"], "Error: --trust-anchor-jwks: needs --trust-anchor"),
        (["--timeout", "0"], "Error: --timeout: must be a positive number of seconds"),
        (["--trust-anchor", "http://127.0.0.1:1"], "Error: --trust-anchor: http://127.0.0.1:1 is plain http"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(build_app(), ["check", "idp", "https://op.example", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_rfc8485_3_malformed_vector_advertised(op: Provider, tmp_path: Path) -> None:
    op.discovery["vtr_values_supported"] = ["Cl.Cm", "cl.Cm"]
    code, report, _ = check(op.issuer, tmp_path)
    assert (code, statuses(report)) == (1, HEALTHY | {"vot.metadata": "FAIL", "vot.trustmark": "SKIP"})
    assert reason(report, "vot.metadata") == (
        "vtr_values_supported: 'cl.Cm': bad component 'cl' in vector 'cl.Cm': a component is an uppercase "
        "letter A-Z (the category) followed by one letter or digit (the value)"
    )
