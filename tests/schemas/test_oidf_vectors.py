"""The OpenID Foundation's eKYC & IDA response examples (openid/eKYC-IDA, commit b410908).

Each example is either accepted (it parses with ``VerifiedClaimsPayload`` and what the model
emits validates against the working group's own ``verified_claims.json``), or listed in
``tests/vectors/oidf-ida/rejected.json`` with the reason and the first problem expected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.check import check_payload
from schemas.verified_claims import VerifiedClaimsPayload
from tests.schemas.oidf import OIDF_DIR, oidf_errors

RESPONSES = sorted((OIDF_DIR / "examples" / "response").glob("*.json"))
REJECTED: dict[str, dict[str, str]] = json.loads((OIDF_DIR / "rejected.json").read_text(encoding="utf-8"))


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_response_examples_are_present() -> None:
    assert len(RESPONSES) == 30


def test_rejected_manifest_names_only_existing_examples_with_reason_and_error() -> None:
    names = {path.name for path in RESPONSES}
    assert set(REJECTED) <= names
    for name, entry in REJECTED.items():
        assert set(entry) == {"reason", "error"}, name
        assert entry["reason"] and entry["error"], name


@pytest.mark.parametrize("path", [p for p in RESPONSES if p.name not in REJECTED], ids=lambda p: p.name)
def test_accepted_example_parses_and_its_reemitted_form_validates_against_oidf_schema(path: Path) -> None:
    payload = _load(path)
    result = check_payload(payload, "verified-claims")
    assert result.valid, result.problems
    emitted = VerifiedClaimsPayload.model_validate(payload).to_json_dict()
    assert oidf_errors(emitted) == []


@pytest.mark.parametrize("path", [p for p in RESPONSES if p.name in REJECTED], ids=lambda p: p.name)
def test_rejected_example_is_rejected_with_the_listed_error(path: Path) -> None:
    result = check_payload(_load(path), "verified-claims")
    assert not result.valid
    first = result.problems[0]
    assert REJECTED[path.name]["error"] in f"{first.path}: {first.reason}"


def test_uk_diatf_example_keeps_its_gpg45_procedure_and_level() -> None:
    payload = VerifiedClaimsPayload.model_validate(
        _load(OIDF_DIR / "examples" / "response" / "document_UK_DIATF.json")
    )
    verification = payload.elements()[0].verification
    assert verification.trust_framework == "uk_diatf"
    assert verification.assurance_level == "medium"
    assert verification.assurance_process is not None
    assert verification.assurance_process.procedure == "m1c"


def test_readme_response_section_lists_every_rejected_example() -> None:
    readme = (OIDF_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Response examples", 1)[1].split("\n## ", 1)[0]
    assert [name for name in REJECTED if f"| `{name}` |" not in section] == []
