"""Federation records: DIATF certification records and this federation's trust mark claims."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from schemas.gpg45 import LevelOfConfidence
from schemas.records import (
    CertificationRecord,
    CertificationStatus,
    CertifiedIdspTrustMark,
    CouncilTrustMark,
    DiatfRole,
    NhsOrganisationTrustMark,
    TrustMarkClaims,
    TrustMarkKind,
    trust_mark_type,
)

ANCHOR = "https://trust-anchor.example.gov.uk"
IDP = "https://idp.example.org"
COUNCIL = "https://parking.example-council.gov.uk"
GP = "https://gp.example.nhs.uk"


def certification(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "entity_id": IDP,
        "organisation_name": "Example Identity Ltd",
        "roles": ["identity_service_provider", "attribute_service_provider"],
        "framework": "uk_diatf",
        "framework_version": "0.4",
        "certification_body": {"name": "Example Certification Body", "ukas_accreditation_number": "1234"},
        "certificate_id": "CERT-0001",
        "valid_from": "2025-01-01",
        "valid_until": "2026-12-31",
        "status": "active",
        "levels_of_confidence": ["low", "medium"],
        "profiles": ["L1A", "M1B", "M1C"],
        "authentication_levels": ["medium"],
    }
    record.update(changes)
    return {key: value for key, value in record.items() if value is not ...}


def idsp_mark(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ANCHOR,
        "sub": IDP,
        "trust_mark_type": trust_mark_type(ANCHOR, TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER),
        "iat": 1_750_000_000,
        "exp": 1_781_536_000,
        "certification": certification(),
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not ...}


def errors(model: type[BaseModel], data: dict[str, Any]) -> list[str]:
    """Each validation error as ``location: message`` (location dotted, empty for the whole model)."""
    with pytest.raises(ValidationError) as raised:
        model.model_validate_json(json.dumps(data))
    return [f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in raised.value.errors()]


# ukid-interop federation profile: trust mark types


@pytest.mark.parametrize(
    ("base", "kind", "expected"),
    [
        (ANCHOR, TrustMarkKind.COUNCIL, f"{ANCHOR}/trust-mark-types/council"),
        (ANCHOR + "/", TrustMarkKind.NHS_ORGANISATION, f"{ANCHOR}/trust-mark-types/nhs_organisation"),
        (
            "http://localhost:8000//",
            TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER,
            "http://localhost:8000/trust-mark-types/certified_identity_service_provider",
        ),
    ],
)
def test_federation_profile_trust_mark_type_is_a_url_under_the_anchor(
    base: str, kind: TrustMarkKind, expected: str
) -> None:
    assert trust_mark_type(base, kind) == expected


def test_federation_profile_trust_mark_kinds() -> None:
    assert [kind.value for kind in TrustMarkKind] == [
        "certified_identity_service_provider",
        "council",
        "nhs_organisation",
    ]


# ukid-interop federation profile: certification records


def test_federation_profile_certification_record_round_trips() -> None:
    data = certification()
    record = CertificationRecord.model_validate_json(json.dumps(data))
    assert record.roles == [DiatfRole.IDENTITY_SERVICE_PROVIDER, DiatfRole.ATTRIBUTE_SERVICE_PROVIDER]
    assert record.status is CertificationStatus.ACTIVE
    assert record.valid_until == date(2026, 12, 31)
    assert record.to_json_dict() == data


def test_federation_profile_certification_record_from_a_python_dict() -> None:
    record = CertificationRecord.model_validate(certification())
    assert record.status is CertificationStatus.ACTIVE
    assert record.levels_of_confidence == [LevelOfConfidence.LOW, LevelOfConfidence.MEDIUM]


def test_federation_profile_certification_record_optional_members() -> None:
    data = certification(profiles=..., authentication_levels=..., certification_body={"name": "CB"})
    record = CertificationRecord.model_validate_json(json.dumps(data))
    assert record.profiles is None
    assert record.to_json_dict() == data


V = "Value error, "


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"valid_until": "2025-01-01"},
            f": {V}valid_until (2025-01-01) must be after valid_from (2025-01-01)",
        ),
        (
            {"valid_until": "2024-06-30"},
            f": {V}valid_until (2024-06-30) must be after valid_from (2025-01-01)",
        ),
        ({"roles": []}, "roles: List should have at least 1 item after validation, not 0"),
        (
            {"roles": ["identity_service_provider", "identity_service_provider"]},
            f"roles: {V}role 'identity_service_provider' is listed twice",
        ),
        (
            {"levels_of_confidence": []},
            "levels_of_confidence: List should have at least 1 item after validation, not 0",
        ),
        (
            {"levels_of_confidence": ["low", "medium", "low"], "profiles": ...},
            f"levels_of_confidence: {V}level of confidence 'low' is listed twice",
        ),
        ({"profiles": ["M1C", "m1b"]}, f"profiles: {V}profile 'm1b' must be in upper case, e.g. 'M1B'"),
        ({"profiles": ["M9Z"]}, f"profiles: {V}'M9Z' is not a GPG 45 profile"),
        ({"profiles": ["M1C", "M1C"]}, f"profiles: {V}profile 'M1C' is listed twice"),
        (
            {"profiles": ["M1C", "H1A"]},
            f": {V}profile H1A gives level of confidence high, which is not in levels_of_confidence",
        ),
        (
            {"authentication_levels": ["high", "high"]},
            f"authentication_levels: {V}authentication level 'high' is listed twice",
        ),
        ({"framework": "uk_tfida"}, "framework: Input should be 'uk_diatf'"),
        ({"framework_version": "1"}, "framework_version: String should match pattern '^[0-9]+\\.[0-9]+$'"),
        ({"entity_id": "idp.example.org"}, "entity_id: String should match pattern '^https?://\\S+$'"),
        ({"status": "revoked"}, "status: Input should be 'active', 'suspended', 'withdrawn' or 'expired'"),
        ({"valid_from": 20250101}, f"valid_from: {V}must be a string in ISO 8601 format"),
        ({"certificate_id": None}, "certificate_id: Input should be a valid string"),
        ({"profiles": None}, "profiles: Input should be a valid array"),
        ({"issued_by": "someone"}, "issued_by: Extra inputs are not permitted"),
        (
            {"levels_of_confidence": ["substantial"]},
            "levels_of_confidence.0: Input should be 'low', 'medium', 'high' or 'very_high'",
        ),
    ],
)
def test_federation_profile_bad_certification_record_is_refused(
    changes: dict[str, Any], expected: str
) -> None:
    assert errors(CertificationRecord, certification(**changes)) == [expected]


def _record(**changes: Any) -> CertificationRecord:
    return CertificationRecord.model_validate_json(json.dumps(certification(**changes)))


@pytest.mark.parametrize(
    ("day", "status", "expected"),
    [
        (date(2025, 1, 1), "active", True),
        (date(2026, 12, 31), "active", True),
        (date(2024, 12, 31), "active", False),
        (date(2027, 1, 1), "active", False),
        (date(2025, 6, 1), "suspended", False),
        (date(2025, 6, 1), "withdrawn", False),
        (date(2025, 6, 1), "expired", False),
    ],
)
def test_federation_profile_certification_valid_only_when_active_and_in_dates(
    day: date, status: str, expected: bool
) -> None:
    assert _record(status=status).is_valid_on(day) is expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_federation_profile_validity_is_the_inclusive_date_range(day: date) -> None:
    record = _record()
    assert record.is_valid_on(day) == (record.valid_from <= day <= record.valid_until)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (LevelOfConfidence.LOW, True),
        (LevelOfConfidence.MEDIUM, True),
        (LevelOfConfidence.HIGH, False),
        (LevelOfConfidence.VERY_HIGH, False),
    ],
)
def test_federation_profile_certification_covers_listed_levels_only(
    level: LevelOfConfidence, expected: bool
) -> None:
    assert _record().covers(level) is expected


def test_federation_profile_high_certification_does_not_cover_medium() -> None:
    record = _record(levels_of_confidence=["high"], profiles=["H1A"])
    assert not record.covers(LevelOfConfidence.MEDIUM)


# OpenID Federation 1.0 §7: trust mark claims


def test_oidf_s7_certified_idsp_trust_mark_round_trips() -> None:
    data = idsp_mark()
    mark = CertifiedIdspTrustMark.model_validate_json(json.dumps(data))
    assert mark.certification.entity_id == mark.sub == IDP
    assert mark.to_json_dict() == data


def test_oidf_s7_optional_claims() -> None:
    data = idsp_mark(
        exp=...,
        logo_uri=f"{ANCHOR}/logos/certified.svg",
        ref=f"{ANCHOR}/certified/{IDP.removeprefix('https://')}",
        delegation="eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJvd25lciJ9.c2lnbmF0dXJl",
    )
    assert CertifiedIdspTrustMark.model_validate_json(json.dumps(data)).to_json_dict() == data


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"exp": 1_750_000_000}, f": {V}exp (1750000000) must be after iat (1750000000)"),
        ({"exp": 1}, f": {V}exp (1) must be after iat (1750000000)"),
        ({"iat": -1}, "iat: Input should be greater than or equal to 0"),
        ({"iat": "1750000000"}, "iat: Input should be a valid integer"),
        ({"iat": 1.5}, "iat: Input should be a valid integer"),
        ({"iat": ...}, "iat: Field required"),
        ({"iss": "trust-anchor"}, "iss: String should match pattern '^https?://\\S+$'"),
        ({"logo_uri": None}, "logo_uri: Input should be a valid string"),
        ({"exp": None}, "exp: Input should be a valid integer"),
        (
            {"delegation": "not-a-jwt"},
            "delegation: String should match pattern '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$'",
        ),
        ({"trust_mark_id": "x"}, "trust_mark_id: Extra inputs are not permitted"),
        (
            {"sub": "https://other.example.org"},
            f": {V}certification.entity_id 'https://idp.example.org' is not the sub 'https://other.example.org'",
        ),
        (
            {"trust_mark_type": trust_mark_type(ANCHOR, TrustMarkKind.COUNCIL)},
            f": {V}trust_mark_type '{ANCHOR}/trust-mark-types/council' is not a "
            "certified_identity_service_provider type: expected "
            "{trust anchor}/trust-mark-types/certified_identity_service_provider",
        ),
    ],
)
def test_oidf_s7_bad_trust_mark_claims_are_refused(changes: dict[str, Any], expected: str) -> None:
    assert errors(CertifiedIdspTrustMark, idsp_mark(**changes)) == [expected]


def test_oidf_s7_certification_errors_are_located_in_the_trust_mark() -> None:
    data = idsp_mark(certification=certification(roles=[]))
    assert errors(CertifiedIdspTrustMark, data) == [
        "certification.roles: List should have at least 1 item after validation, not 0"
    ]


def test_oidf_s7_generic_trust_mark_keeps_other_claims() -> None:
    data = {
        "iss": ANCHOR,
        "sub": COUNCIL,
        "trust_mark_type": "https://other-federation.example/marks/accessible",
        "iat": 1_750_000_000,
        "wcag_level": "AA",
        "audited": {"by": "Example Audit", "year": 2025},
    }
    mark = TrustMarkClaims.model_validate_json(json.dumps(data))
    assert mark.model_extra == {"wcag_level": "AA", "audited": {"by": "Example Audit", "year": 2025}}
    assert mark.to_json_dict() == data


def test_oidf_s7_generic_trust_mark_accepts_any_type() -> None:
    mark = TrustMarkClaims.model_validate_json(
        json.dumps({**idsp_mark(certification=...), "trust_mark_type": "x"})
    )
    assert mark.trust_mark_type == "x"


def test_federation_profile_council_trust_mark() -> None:
    data = {
        "iss": ANCHOR,
        "sub": COUNCIL,
        "trust_mark_type": trust_mark_type(ANCHOR, TrustMarkKind.COUNCIL),
        "iat": 1_750_000_000,
        "council": {"gss_code": "E07000178", "name": "Oxford City Council"},
    }
    assert CouncilTrustMark.model_validate_json(json.dumps(data)).to_json_dict() == data
    bad = {**data, "council": {"gss_code": "e07000178", "name": "Oxford City Council"}}
    assert errors(CouncilTrustMark, bad) == [
        "council.gss_code: String should match pattern '^[ENSW][0-9]{8}$'"
    ]


def _nhs_mark(**organisation: Any) -> dict[str, Any]:
    return {
        "iss": ANCHOR,
        "sub": GP,
        "trust_mark_type": trust_mark_type(ANCHOR, TrustMarkKind.NHS_ORGANISATION),
        "iat": 1_750_000_000,
        "nhs_organisation": {
            "ods_code": "A81001",
            "name": "Example Surgery",
            "organisation_type": "gp_practice",
            **organisation,
        },
    }


@pytest.mark.parametrize("organisation_type", ["gp_practice", "nhs_trust", "integrated_care_board", "other"])
def test_federation_profile_nhs_organisation_trust_mark(organisation_type: str) -> None:
    data = _nhs_mark(organisation_type=organisation_type)
    assert NhsOrganisationTrustMark.model_validate_json(json.dumps(data)).to_json_dict() == data


@pytest.mark.parametrize(
    ("organisation", "expected"),
    [
        (
            {"organisation_type": "pharmacy"},
            "nhs_organisation.organisation_type: "
            "Input should be 'gp_practice', 'nhs_trust', 'integrated_care_board' or 'other'",
        ),
        ({"ods_code": "a81001"}, "nhs_organisation.ods_code: String should match pattern '^[A-Z0-9]{3,10}$'"),
        ({"name": ""}, "nhs_organisation.name: String should have at least 1 character"),
    ],
)
def test_federation_profile_bad_nhs_organisation_is_refused(
    organisation: dict[str, Any], expected: str
) -> None:
    assert errors(NhsOrganisationTrustMark, _nhs_mark(**organisation)) == [expected]


def test_federation_profile_own_trust_marks_refuse_other_claims() -> None:
    data = {**_nhs_mark(), "extra_claim": True}
    assert errors(NhsOrganisationTrustMark, data) == ["extra_claim: Extra inputs are not permitted"]


def test_federation_profile_trust_mark_of_the_wrong_kind_is_refused() -> None:
    data = {**_nhs_mark(), "trust_mark_type": trust_mark_type(ANCHOR, TrustMarkKind.COUNCIL)}
    assert errors(NhsOrganisationTrustMark, data) == [
        f": {V}trust_mark_type '{ANCHOR}/trust-mark-types/council' is not a nhs_organisation type: "
        "expected {trust anchor}/trust-mark-types/nhs_organisation"
    ]


@pytest.mark.parametrize(
    "model",
    [
        TrustMarkClaims,
        CertifiedIdspTrustMark,
        CouncilTrustMark,
        NhsOrganisationTrustMark,
        CertificationRecord,
    ],
)
def test_federation_profile_every_field_has_a_description_and_source(model: type[BaseModel]) -> None:
    for name, field in model.model_fields.items():
        assert field.description, name
        extra = field.json_schema_extra
        assert isinstance(extra, dict), name
        assert extra["x-source"] in {"OpenID Federation 1.0 §7", "ukid-interop federation profile"}, name
