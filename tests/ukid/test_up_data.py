"""``ukid up`` without servers (issue 8): the data directory's checks name the problem and the fix and
write nothing, ``--reset`` deletes only what ``ukid up`` made, a port in use or given twice is named,
the onboarding's trust mark claims are valid for the federation profile, and a mark is issued again
only when it (or its delegation) expires within a day."""

from __future__ import annotations

import json
import socket
import stat
from dataclasses import fields
from pathlib import Path

import pytest
from typer.testing import CliRunner

from federation.jose import JwtType
from federation.keys import KeyStore
from federation.trust_marks import issue_delegation
from schemas.records import CertifiedIdspTrustMark as Certified
from schemas.records import CouncilTrustMark, NhsOrganisationTrustMark
from ukid._up_data import DataDir, UpError
from ukid._up_onboard import COUNCIL_CLAIMS, MARK_MARGIN, NHS_CLAIMS, Onboarding, certification_claims
from ukid._up_services import SERVICES, Ports, entity_ids
from ukid._up_stack import check_ports
from ukid.cli import build_app

PORTS = Ports(anchor=18000, health=18100, idp=18300, council=18400, gp=18500)
IDS = entity_ids(PORTS)
OPTIONS = {s.key: s.option for s in SERVICES}
NOW = 1_800_000_000
FIX = "restore it, or run `ukid up --reset` to start from scratch (deletes the federation's data in {})"


def made(tmp_path: Path, *, onboarded: bool = True) -> DataDir:
    """A data directory as a finished first start leaves it: databases, keys and the salt."""
    data = DataDir(tmp_path / "data")
    data.prepare(IDS)
    if onboarded:
        data.mark_onboarded()
    for service in SERVICES:
        directory = data.service_dir(service)
        (directory / service.database).write_bytes(b"SQLite format 3\x00" + bytes(100))
        for key_dir in service.key_dirs:
            KeyStore.open(directory / key_dir)
    (data.service_dir(SERVICES[2]) / "pairwise.salt").write_text("salt")
    return data


def snapshot(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def problem(data: DataDir, ids: dict[str, str] = IDS) -> str:
    before = snapshot(data.path)
    with pytest.raises(UpError) as err:
        data.check(ids, OPTIONS)
    assert snapshot(data.path) == before  # nothing written or overwritten
    return str(err.value)


def test_issue8_a_finished_data_directory_passes_and_is_private(tmp_path: Path) -> None:
    data = made(tmp_path)
    data.check(IDS, OPTIONS)
    assert stat.S_IMODE(data.path.stat().st_mode) == 0o700
    assert stat.S_IMODE(data.manifest.stat().st_mode) == 0o600
    assert json.loads(data.manifest.read_text()) == {"format": 1, "entity_ids": IDS, "onboarded": True}
    assert data.onboarded()


def test_issue8_a_new_or_half_made_data_directory_passes(tmp_path: Path) -> None:
    DataDir(tmp_path / "new").check(IDS, OPTIONS)
    data = DataDir(tmp_path / "half")
    data.prepare(IDS)
    data.check(IDS, OPTIONS)  # a first start stopped before any service wrote its database


def test_issue8_a_corrupt_database_is_named_with_the_fix(tmp_path: Path) -> None:
    data = made(tmp_path)
    database = data.path / "identity-provider" / "idp.db"
    database.write_bytes(b"this is not a database")
    assert problem(data) == (
        f"the identity provider's database {database} is not a SQLite database: {FIX.format(data.path)}"
    )


def test_issue8_a_missing_key_file_is_named_and_no_key_is_made(tmp_path: Path) -> None:
    data = made(tmp_path)
    keys = data.path / "trust-anchor" / "keys"
    for key in keys.iterdir():
        key.unlink()
    assert problem(data) == (
        f"the trust anchor's key files in {keys} are missing (its database is there, so new keys would not "
        f"match the federation's records): {FIX.replace('it,', 'them,').format(data.path)}"
    )
    assert list(keys.iterdir()) == []


def test_issue8_a_missing_database_or_salt_after_onboarding_is_named(tmp_path: Path) -> None:
    data = made(tmp_path)
    salt = data.path / "identity-provider" / "pairwise.salt"
    salt.unlink()
    assert problem(data) == (
        f"the identity provider's pairwise salt {salt} is missing (citizens' identifiers at each service "
        f"would change): {FIX.format(data.path)}"
    )
    salt.write_text("salt")
    database = data.path / "gp-service" / "rp.db"
    database.unlink()
    assert (
        problem(data) == f"the GP practice service's database {database} is missing: {FIX.format(data.path)}"
    )


def test_issue8_a_corrupt_or_missing_manifest_is_named(tmp_path: Path) -> None:
    data = made(tmp_path)
    data.manifest.write_text("{not json")
    assert problem(data) == (
        f"{data.manifest} is not valid JSON (Expecting property name enclosed in double quotes, line 1): "
        f"{FIX.format(data.path)}"
    )
    data.manifest.write_text('{"format": 7}')
    assert problem(data) == f"{data.manifest} is not a ukid up manifest (format 1): {FIX.format(data.path)}"
    data.manifest.unlink()
    assert problem(data) == (
        f"{data.path} holds service data (trust-anchor, health-intermediate, identity-provider, "
        f"council-service, gp-service) but no ukid-up.json: {FIX.format(data.path)}"
    )


def test_issue8_data_made_for_other_ports_is_refused(tmp_path: Path) -> None:
    data = made(tmp_path)
    other = entity_ids(Ports(anchor=18000, health=18100, idp=19300, council=18400, gp=18500))
    assert problem(data, other) == (
        f"{data.path} was set up for the identity provider at http://localhost:18300, not "
        "http://localhost:19300: pass the same port (--idp-port), another --data-dir, or --reset to start "
        "from scratch"
    )


def test_issue8_a_data_directory_that_is_a_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("mine")
    with pytest.raises(UpError) as err:
        DataDir(path).check(IDS, OPTIONS)
    assert str(err.value) == f"the data directory {path} is a file: pass another --data-dir"


def test_issue8_reset_deletes_only_what_ukid_up_made(tmp_path: Path) -> None:
    data = made(tmp_path)
    for service in SERVICES:
        data.log_file(service).write_text("log")
    (data.path / "notes.txt").write_text("mine")
    (data.logs / "other.log").write_text("mine")
    deleted = data.reset()
    assert sorted(p.name for p in deleted) == sorted(
        [s.directory for s in SERVICES] + [f"{s.key}.log" for s in SERVICES] + ["ukid-up.json"]
    )
    assert snapshot(data.path) == {"notes.txt": b"mine", "logs/other.log": b"mine"}
    data.check(IDS, OPTIONS)
    assert DataDir(tmp_path / "absent").reset() == []


def test_issue8_each_service_has_its_port_option_and_directory() -> None:
    assert [s.key for s in SERVICES] == [f.name for f in fields(Ports)]
    assert [s.option for s in SERVICES] == [f"--{s.key}-port" for s in SERVICES]
    assert Ports() == Ports(anchor=8000, health=8100, idp=8300, council=8400, gp=8500)
    assert entity_ids(Ports())["idp"] == "http://localhost:8300"
    assert len({s.directory for s in SERVICES}) == len(SERVICES)


def test_issue8_a_port_in_use_is_named_with_its_option() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UpError) as err:
            check_ports(Ports(anchor=18000, health=18100, idp=18300, council=port, gp=18500))
    assert str(err.value) == (
        f"port {port} (council service) is already in use: stop what uses it or pass --council-port"
    )
    with pytest.raises(UpError) as err:
        check_ports(Ports(anchor=18000, health=18100, idp=18300, council=18400, gp=18300))
    assert str(err.value) == "--idp-port and --gp-port are both 18300: give each service its own port"


def test_issue8_the_cli_reports_a_port_in_use_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            build_app(), ["up", "--data-dir", str(tmp_path / "d"), "--idp-port", str(port)]
        )
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Error: port {port} (identity provider) is already in use: stop what uses it or pass --idp-port"
    )
    assert not (tmp_path / "d").exists()


def test_profile_the_onboarding_claims_are_valid_trust_marks() -> None:
    base = {"iss": IDS["anchor"], "iat": NOW}
    idp = f"{IDS['anchor']}/trust-mark-types/certified_identity_service_provider"
    mark = Certified.model_validate(
        {**base, "sub": IDS["idp"], "trust_mark_type": idp, **certification_claims(IDS["idp"])}
    )
    assert [level.value for level in mark.certification.levels_of_confidence] == ["low", "medium", "high"]
    assert mark.certification.status.value == "active"
    council = f"{IDS['anchor']}/trust-mark-types/council"
    CouncilTrustMark.model_validate(
        {**base, "sub": IDS["council"], "trust_mark_type": council, **COUNCIL_CLAIMS}
    )
    nhs = f"{IDS['anchor']}/trust-mark-types/nhs_organisation"
    NhsOrganisationTrustMark.model_validate({**base, "sub": IDS["gp"], "trust_mark_type": nhs, **NHS_CLAIMS})


def test_7_2_1_a_mark_is_usable_until_a_day_before_it_or_its_delegation_expires() -> None:
    onboarding = Onboarding(IDS, client=None, clock=lambda: NOW)  # type: ignore[arg-type]
    keys = KeyStore()
    keys.generate()
    delegation = issue_delegation(
        keys,
        owner=IDS["anchor"],
        issuer=IDS["health"],
        trust_mark_type="t",
        iat=NOW,
        lifetime=MARK_MARGIN + 1,
    )
    short = issue_delegation(
        keys, owner=IDS["anchor"], issuer=IDS["health"], trust_mark_type="t", iat=NOW, lifetime=MARK_MARGIN
    )

    def view(exp: int | None, revoked: int | None = None, delegated: str | None = None) -> dict[str, object]:
        claims: dict[str, object] = {"iss": IDS["health"], "sub": IDS["gp"]}
        if delegated is not None:
            claims["delegation"] = delegated
        return {"exp": exp, "revoked_at": revoked, "trust_mark": keys.sign(claims, JwtType.TRUST_MARK)}

    assert onboarding.usable(view(None))
    assert onboarding.usable(view(NOW + MARK_MARGIN + 1, delegated=delegation))
    assert not onboarding.usable(view(NOW + MARK_MARGIN))
    assert not onboarding.usable(view(None, revoked=NOW - 1))
    assert not onboarding.usable(view(None, delegated=short))
    assert not onboarding.usable({"exp": None, "revoked_at": None, "trust_mark": "not a jwt"})
