"""The ``ukid`` command line: ``ukid schemas export | check | spec``, in process and as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schemas.catalog import CATALOG
from ukid.cli import build_app

REPO = Path(__file__).resolve().parents[1]
COUNCIL = "schemas/examples/valid/council-resident-parking.json"
SCORES = "schemas/examples/valid/gpg45-scores-m1b.json"
BAD_NHS = "schemas/examples/invalid/invalid-nhs-number.json"
MALFORMED = "schemas/examples/invalid/malformed-json.json"


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _expected(path: str) -> list[str]:
    return (REPO / path).with_suffix(".expected").read_text(encoding="utf-8").splitlines()[1:]


def test_check_valid_files_prints_valid_with_schema_name_and_exits_0(in_repo: None) -> None:
    result = CliRunner().invoke(build_app(), ["schemas", "check", COUNCIL, SCORES])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{COUNCIL}: valid (verified-claims)",
        f"{SCORES}: valid (gpg45-scores)",
    ]


def test_check_prints_one_line_per_problem_and_exits_1_if_any_file_fails(in_repo: None) -> None:
    result = CliRunner().invoke(build_app(), ["schemas", "check", COUNCIL, BAD_NHS])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"{COUNCIL}: valid (verified-claims)", *_expected(BAD_NHS)]


def test_check_with_schema_option_applies_that_schema(in_repo: None) -> None:
    result = CliRunner().invoke(build_app(), ["schemas", "check", "--schema", "gpg45-scores", COUNCIL])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{COUNCIL}: $.sub: unknown member: not part of the schema",
        f"{COUNCIL}: $.verified_claims: unknown member: not part of the schema",
    ]


def test_check_with_unknown_schema_name_is_a_usage_error(in_repo: None) -> None:
    result = CliRunner().invoke(build_app(), ["schemas", "check", "--schema", "nope", COUNCIL])
    assert result.exit_code == 2
    assert (
        result.stderr
        == "Error: --schema: unknown schema 'nope'; known schemas: verified-claims, claims-request, gpg45-scores, assurance-policy, vtm-trustmark, trust-mark-certified-idsp, trust-mark-council, trust-mark-nhs-organisation, certification-record\n"
    )
    assert result.stdout == ""


def test_check_missing_file_is_a_problem_not_a_traceback(in_repo: None) -> None:
    result = CliRunner().invoke(build_app(), ["schemas", "check", "no/such/file.json"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "no/such/file.json: $: cannot read the file: No such file or directory"
    ]
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_export_writes_one_file_per_catalog_entry_and_check_detects_staleness(tmp_path: Path) -> None:
    runner = CliRunner()
    stale = runner.invoke(build_app(), ["schemas", "export", "--out", str(tmp_path), "--check"])
    assert stale.exit_code == 1
    assert f"{tmp_path / 'verified-claims.schema.json'}: missing" in stale.stdout.splitlines()
    assert "run `ukid schemas export`" in stale.stderr
    written = runner.invoke(build_app(), ["schemas", "export", "--out", str(tmp_path)])
    assert written.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(item.file_name for item in CATALOG)
    fresh = runner.invoke(build_app(), ["schemas", "export", "--out", str(tmp_path), "--check"])
    assert fresh.exit_code == 0
    (tmp_path / "gpg45-scores.schema.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "retired.schema.json").write_text("{}\n", encoding="utf-8")
    stale_again = runner.invoke(build_app(), ["schemas", "export", "--out", str(tmp_path), "--check"])
    assert stale_again.exit_code == 1
    assert stale_again.stdout.splitlines() == [
        f"{tmp_path / 'gpg45-scores.schema.json'}: out of date",
        f"{tmp_path / 'retired.schema.json'}: no catalog entry (delete it)",
    ]


def test_spec_writes_and_check_detects_staleness(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "SPEC.md"
    assert runner.invoke(build_app(), ["schemas", "spec", "--out", str(out), "--check"]).exit_code == 1
    assert runner.invoke(build_app(), ["schemas", "spec", "--out", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("# ukid-interop assurance schema\n")
    assert runner.invoke(build_app(), ["schemas", "spec", "--out", str(out), "--check"]).exit_code == 0


def test_committed_artefacts_are_fresh_by_the_cli(in_repo: None) -> None:
    runner = CliRunner()
    assert runner.invoke(build_app(), ["schemas", "export", "--check"]).exit_code == 0
    assert runner.invoke(build_app(), ["schemas", "spec", "--check"]).exit_code == 0


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "ukid", *args],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_python_m_ukid_checks_files_as_a_real_process() -> None:
    done = _run("schemas", "check", COUNCIL, MALFORMED, "no/such/file.json")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{COUNCIL}: valid (verified-claims)",
        *_expected(MALFORMED),
        "no/such/file.json: $: cannot read the file: No such file or directory",
    ]
    assert "Traceback" not in done.stderr
    assert done.stderr == ""


def test_python_m_ukid_exits_0_when_all_files_are_valid() -> None:
    done = _run("schemas", "check", COUNCIL, SCORES)
    assert (done.returncode, done.stderr) == (0, "")
