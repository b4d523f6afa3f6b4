"""``ukid check entity`` against the project's own members on real servers (the ``stack`` fixture):
every case passes (with ``--dev``); the only skips are entity types a member does not have and trust
marks the anchor and intermediate do not hold (OpenID Federation 1.0 §9, §10, §7.3, §8.4, §5.1)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from federation.jose import decode_unverified
from tests.e2e.stack import Stack
from ukid.cli import build_app

COMMON = [
    "entity_id",
    "trust_anchor",
    "configuration.fetch",
    "configuration.header",
    "configuration.self_signed",
    "configuration.validity",
    "configuration.authority_hints",
    "chain.resolves",
    "chain.metadata_policy",
]
PROFILE = ["profile.https", "profile.algorithms", "profile.federation_entity"]
NO_OP = "no openid_provider metadata"
NO_RP = "no openid_relying_party metadata"
NO_MARKS = "the entity configuration carries no trust marks"


def expected(marks: str | None, provider: bool, relying_party: bool) -> list[tuple[str, str, str | None]]:
    """(case, status, reason of a skip) in run order."""
    rows: list[tuple[str, str, str | None]] = [(c, "PASS", None) for c in COMMON]
    if marks is None:
        rows.append(("trust_marks", "SKIP", NO_MARKS))
    else:
        rows += [(f"trust_mark[{marks}]", "PASS", None), (f"trust_mark_status[{marks}]", "PASS", None)]
    rows += [(c, "PASS", None) for c in PROFILE]
    rows.append(
        ("profile.openid_provider", "PASS", None) if provider else ("profile.openid_provider", "SKIP", NO_OP)
    )
    rows.append(
        ("profile.openid_relying_party", "PASS", None)
        if relying_party
        else ("profile.openid_relying_party", "SKIP", NO_RP)
    )
    return rows


def run_check(stack: Stack, url: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "report.json"
    args = ["check", "entity", url, "--trust-anchor", stack.ta, "--dev", "--json", str(out), *extra]
    result = CliRunner().invoke(build_app(), args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(out.read_text()), result.output


@pytest.fixture
def anchor_jwks(stack: Stack, tmp_path: Path) -> Path:
    token = httpx.get(f"{stack.ta}/.well-known/openid-federation", timeout=10).text
    path = tmp_path / "ta.jwks"
    path.write_text(json.dumps(decode_unverified(token)[1]["jwks"]))
    return path


MEMBERS = {
    "ta": (None, False, False),
    "health": (None, False, False),
    "idp": ("certified_identity_service_provider", True, False),
    "council": ("council", False, True),
    "gp": ("nhs_organisation", False, True),
}


@pytest.mark.parametrize("member", list(MEMBERS))
def test_10_project_members_conform(stack: Stack, anchor_jwks: Path, tmp_path: Path, member: str) -> None:
    marks, provider, relying_party = MEMBERS[member]
    url = getattr(stack, member)
    code, report, output = run_check(stack, url, tmp_path, "--trust-anchor-jwks", str(anchor_jwks))
    found = [(c["id"], c["status"], c["reason"] if c["status"] == "SKIP" else None) for c in report["cases"]]
    assert found == expected(marks, provider, relying_party)
    assert code == 0
    assert output.startswith(f"Checking {url} against trust anchor {stack.ta} (development federation)\n")
    total = len(found)
    skipped = sum(1 for row in found if row[1] == "SKIP")
    assert f"{total} cases: {total - skipped} passed, 0 failed, {skipped} skipped" in output


def test_10_1_anchor_keys_on_first_use_and_every_report_format(stack: Stack, tmp_path: Path) -> None:
    junit, page = tmp_path / "r.xml", tmp_path / "r.html"
    code, report, output = run_check(stack, stack.gp, tmp_path, "--junit", str(junit), "--html", str(page))
    assert code == 0
    trust_anchor = next(c for c in report["cases"] if c["id"] == "trust_anchor")
    assert trust_anchor["status"] == "PASS"
    assert trust_anchor["reason"].endswith(
        "taken from the anchor's own configuration (trust on first use): pin them with --trust-anchor-jwks"
    )
    assert report["details"]["Anchor keys"] == "trust on first use"
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.attrib["tests"], suite.attrib["failures"]) == (str(len(report["cases"])), "0")
    assert len(suite.findall("testcase")) == len(report["cases"])
    html = page.read_text()
    assert html.count('<span class="status PASS">PASS</span>') == report["summary"]["passed"]
    assert f"wrote {junit}\nwrote {page}\n" in output
