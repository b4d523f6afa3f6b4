"""``ukid check idp`` against the project's own provider on real servers (the ``stack`` fixture):
every static case passes with ``--dev`` (OpenID Connect Discovery 1.0 §3, §4; RFC 7517; Identity
Assurance 1.0 §8; RFC 8485); with ``--trust-anchor`` the ``check entity`` cases run prefixed
``entity.`` and the resolved metadata agrees with discovery. The only skips: the federation cases
without a trust anchor, and relying party metadata the provider does not have."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.e2e.stack import Stack
from tests.ukid.check.test_entity_stack import expected as entity_expected
from tests.ukid.check.test_idp_faults import STATIC
from ukid.check.idp_login import NO_CLIENT
from ukid.cli import build_app


def run_check(url: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(build_app(), ["check", "idp", url, "--dev", "--json", str(out), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(out.read_text()), result.output


def rows(report: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(c["id"], c["status"], c["reason"] if c["status"] == "SKIP" else None) for c in report["cases"]]


def test_discovery_4_project_provider_conforms(stack: Stack, tmp_path: Path) -> None:
    junit = tmp_path / "r.xml"
    code, report, output = run_check(stack.idp, tmp_path, "--junit", str(junit))
    skip = ("federation", "SKIP", "no --trust-anchor given: the federation cases did not run")
    login = ("login", "SKIP", NO_CLIENT)
    assert rows(report) == [*((c, "PASS", None) for c in STATIC), skip, login]
    assert code == 0
    assert output.startswith(f"Checking provider {stack.idp} (development federation)\n")
    assert "20 cases: 18 passed, 0 failed, 2 skipped" in output
    by_id = {c["id"]: c["reason"] for c in report["cases"]}
    assert by_id["discovery.par"] == f"pushed_authorization_request_endpoint {stack.idp}/par"
    assert by_id["vot.trustmark"] == (
        f"trustmark for {stack.idp} by {stack.ta}; allows every advertised vector"
    )
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.attrib["tests"], suite.attrib["failures"], suite.attrib["skipped"]) == ("20", "0", "2")


def test_federation_5_1_3_provider_in_the_federation(stack: Stack, tmp_path: Path) -> None:
    code, report, output = run_check(stack.idp, tmp_path, "--trust-anchor", stack.ta)
    entity = [
        (f"entity.{case}", status, skip)
        for case, status, skip in entity_expected("certified_identity_service_provider", True, False)
    ]
    expected = [
        *((c, "PASS", None) for c in STATIC),
        *entity,
        ("federation.consistent", "PASS", None),
        ("login", "SKIP", NO_CLIENT),
    ]
    assert rows(report) == expected
    assert code == 0
    assert report["details"]["Trust anchor"] == stack.ta
    consistent = next(c for c in report["cases"] if c["id"] == "federation.consistent")
    assert consistent["reason"].startswith("issuer, jwks_uri and ")
    assert consistent["reason"].endswith(" endpoint(s) agree with resolved metadata")
    assert f"{len(expected)} cases: {len(expected) - 2} passed, 0 failed, 2 skipped" in output
