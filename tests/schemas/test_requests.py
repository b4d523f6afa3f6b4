"""The ``claims`` request parameter (OpenID Connect Core §5.5) with ``verified_claims`` request
elements (OpenID Connect for Identity Assurance 1.0 §6): the working group's examples, and exact
reasons for bad requests. What an OP releases for a request is in ``test_release.py``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError
from referencing import Registry, Resource

from schemas import evidence, requests, verified_claims
from schemas.requests import (
    ClaimsRequest,
    DocumentEvidenceRequest,
    Leaf,
    essential_claims,
    requested_claim_names,
)

OIDF = Path(__file__).resolve().parents[1] / "vectors" / "oidf-ida"
REQUESTS = OIDF / "examples" / "request"
OIDF_SCHEMA_BASE = "https://bitbucket.org/openid/ekyc-ida/raw/master/schema/"

REJECTED = {
    "verification_with_attachments.json": [
        (
            ("userinfo", "verified_claims", "object", "verification"),
            "unknown member 'attachments': expected trust_framework, assurance_level, assurance_process, "
            "time, verification_process, evidence",
        )
    ],
}
"""Request examples rejected on purpose (see tests/vectors/oidf-ida/README.md)."""


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def claims_errors(payload: object) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        ClaimsRequest.model_validate(payload)
    return [(tuple(error["loc"]), error["msg"]) for error in caught.value.errors()]


def in_userinfo(verification: dict[str, Any] | None = None, claims: Any = None) -> dict[str, Any]:
    return {
        "userinfo": {
            "verified_claims": {
                "verification": {"trust_framework": None} if verification is None else verification,
                "claims": {"given_name": None} if claims is None else claims,
            }
        }
    }


VC = ("userinfo", "verified_claims", "object")


@cache
def oidf_validator(name: str) -> Draft202012Validator:
    """A validator for one of the working group's schemas, ``$ref``s resolved offline."""
    registry: Registry = Registry().with_resources(
        (OIDF_SCHEMA_BASE + path.name, Resource.from_contents(load(path)))
        for path in sorted((OIDF / "schema").glob("*.json"))
    )
    return Draft202012Validator(registry.contents(OIDF_SCHEMA_BASE + name), registry=registry)


# --- parsing the working group's request examples ------------------------------------------------

ACCEPTED = sorted(path.name for path in REQUESTS.glob("*.json") if path.name not in REJECTED)


def test_ida_s6_every_request_example_is_parsed_or_recorded_as_rejected() -> None:
    assert len(ACCEPTED) == 20
    assert set(REJECTED) <= {path.name for path in REQUESTS.glob("*.json")}


@pytest.mark.parametrize("name", ACCEPTED)
def test_ida_s6_request_example_parses_and_round_trips(name: str) -> None:
    original = load(REQUESTS / name)
    parsed = ClaimsRequest.model_validate(original)
    assert parsed.to_json_dict() == original
    assert list(oidf_validator("verified_claims_request.json").iter_errors(parsed.to_json_dict())) == []


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_ida_s6_request_example_rejected_with_recorded_reason(name: str) -> None:
    assert claims_errors(load(REQUESTS / name)) == REJECTED[name]


def test_core_s5_5_1_null_requests_a_member_with_no_constraints() -> None:
    parsed = ClaimsRequest.model_validate(load(REQUESTS / "verification.json"))
    assert parsed.userinfo is not None
    (element,) = parsed.userinfo.verified_elements()
    assert element.verification.trust_framework == Leaf()
    assert element.verification.requested_members() == ("trust_framework", "time")
    assert element.verification.has_constraint() is False
    assert element.claims["birthdate"].essential is None


def test_core_s5_5_other_claims_requested_beside_verified_claims() -> None:
    parsed = ClaimsRequest.model_validate(load(REQUESTS / "id_token.json"))
    assert parsed.userinfo is None and parsed.id_token is not None
    assert sorted(parsed.id_token.other_claims()) == ["email", "picture", "preferred_username"]
    assert requested_claim_names(parsed) == {
        "email",
        "picture",
        "preferred_username",
        "given_name",
        "family_name",
        "birthdate",
    }


def test_core_s5_5_1_essential_claims() -> None:
    parsed = ClaimsRequest.model_validate(load(REQUESTS / "essential.json"))
    assert essential_claims(parsed) == {"given_name", "family_name"}
    assert requested_claim_names(parsed) == {"given_name", "family_name", "birthdate"}


def test_core_s5_5_1_acr_may_be_requested_in_the_id_token() -> None:
    parsed = ClaimsRequest.model_validate({"id_token": {"acr": {"essential": True, "values": ["Cl.Cm.P2"]}}})
    assert parsed.id_token is not None
    assert parsed.id_token.other_claims()["acr"].allowed() == ("Cl.Cm.P2",)
    assert essential_claims(parsed) == {"acr"}


def test_core_s5_5_unknown_top_level_members_are_ignored() -> None:
    parsed = ClaimsRequest.model_validate({"userInfo": {"given_name": None}, "id_token": {"email": None}})
    assert parsed.ignored_members() == {"userInfo"}
    assert parsed.userinfo is None
    assert parsed.to_json_dict() == {"id_token": {"email": None}}


MIRRORED = [
    (requests.VerificationRequest, verified_claims.Verification),
    (requests.AssuranceProcessRequest, verified_claims.AssuranceProcess),
    (requests.AssuranceDetailRequest, verified_claims.AssuranceDetail),
    (requests.EvidenceRefRequest, verified_claims.EvidenceRef),
    (requests.EvidenceMetadataRequest, verified_claims.EvidenceMetadata),
    (requests.DocumentEvidenceRequest, evidence.DocumentEvidence),
    (requests.ElectronicRecordEvidenceRequest, evidence.ElectronicRecordEvidence),
    (requests.VouchEvidenceRequest, evidence.VouchEvidence),
    (requests.ElectronicSignatureEvidenceRequest, evidence.ElectronicSignatureEvidence),
    (requests.CheckDetailRequest, evidence.CheckDetail),
    (requests.DocumentDetailsRequest, evidence.DocumentDetails),
    (requests.IssuerRequest, evidence.Issuer),
    (requests.RecordRequest, evidence.RecordDetails),
    (requests.RecordSourceRequest, evidence.RecordSource),
    (requests.AttestationRequest, evidence.AttestationDetails),
    (requests.VoucherRequest, evidence.Voucher),
]


@pytest.mark.parametrize(("wanted", "held"), MIRRORED, ids=lambda model: model.__name__)
def test_ida_s6_2_request_members_mirror_the_verified_claims_members(wanted: Any, held: Any) -> None:
    """Every member a request may name is a member of the held model (release relies on it)."""
    assert set(wanted.model_fields) <= set(held.model_fields)


# --- bad requests: exact reasons -----------------------------------------------------------------


def test_ida_s6_2_misspelt_member_rejected_by_name() -> None:
    assert claims_errors(in_userinfo({"trust_framework": None, "tyme": None})) == [
        (
            (*VC, "verification"),
            "unknown member 'tyme': expected trust_framework, assurance_level, assurance_process, time, "
            "verification_process, evidence",
        )
    ]


def test_ida_s6_1_unknown_claim_name_rejected() -> None:
    assert claims_errors(in_userinfo(claims={"nick_name": None})) == [
        (
            (*VC, "claims", "nick_name", "[key]"),
            "unknown claim 'nick_name': not in this federation's claims vocabulary",
        )
    ]


def test_core_s5_5_unknown_claim_name_outside_verified_claims_rejected() -> None:
    assert claims_errors({"userinfo": {"email": None, "favourite_colour": None}}) == [
        (("userinfo",), "unknown claim 'favourite_colour': not in this federation's claims vocabulary")
    ]


@pytest.mark.parametrize("claims", [{}, None])
def test_ida_s6_1_claims_must_name_a_claim(claims: Any) -> None:
    payload = in_userinfo()
    payload["userinfo"]["verified_claims"]["claims"] = claims
    assert claims_errors(payload) == [((*VC, "claims"), "claims must name at least one claim")]


def test_ida_s6_3_1_values_must_not_be_empty() -> None:
    assert claims_errors(in_userinfo({"trust_framework": {"values": []}})) == [
        ((*VC, "verification", "trust_framework", "values"), "values must list at least one value")
    ]


def test_ida_s6_3_1_value_and_values_together_rejected() -> None:
    assert claims_errors(in_userinfo({"trust_framework": {"value": "uk_diatf", "values": ["eidas"]}})) == [
        ((*VC, "verification", "trust_framework"), "give value or values, not both")
    ]


def test_ida_s6_3_2_max_age_must_not_be_negative() -> None:
    assert claims_errors(in_userinfo({"trust_framework": None, "time": {"max_age": -1}})) == [
        ((*VC, "verification", "time", "max_age"), "max_age must be 0 or more seconds, not -1")
    ]


def test_ida_s6_3_2_max_age_only_on_dates_and_times() -> None:
    assert claims_errors(in_userinfo({"trust_framework": None, "assurance_level": {"max_age": 5}})) == [
        (
            (*VC, "verification", "assurance_level"),
            "unknown member 'max_age': expected essential, value, values",
        )
    ]


def test_ida_s6_2_trust_framework_required() -> None:
    assert claims_errors(in_userinfo({"time": None})) == [
        (
            (*VC, "verification"),
            "trust_framework is required: null for any trust framework, or value/values to constrain it",
        )
    ]


@pytest.mark.parametrize(
    ("purpose", "ok"), [("ab", False), ("abc", True), ("x" * 300, True), ("x" * 301, False)]
)
def test_ida_s6_1_purpose_is_3_to_300_characters(purpose: str, ok: bool) -> None:
    payload = in_userinfo(claims={"given_name": {"purpose": purpose}})
    if ok:
        ClaimsRequest.model_validate(payload)
    else:
        assert claims_errors(payload) == [
            (
                (*VC, "claims", "given_name", "purpose"),
                f"purpose must be 3 to 300 characters long, not {len(purpose)}",
            )
        ]


EVIDENCE_TYPE_ERROR = (
    'each evidence entry needs type {"value": ...} naming one of document, electronic_record, vouch, '
    "electronic_signature (values is not allowed for the evidence type)"
)


@pytest.mark.parametrize(
    "entry",
    [
        {"type": {"values": ["document"]}},
        {"type": {"value": "id_document"}},
        {"type": None},
        {"check_details": []},
    ],
)
def test_ida_s6_2_evidence_entry_needs_a_type_value(entry: dict[str, Any]) -> None:
    assert claims_errors(in_userinfo({"trust_framework": None, "evidence": [entry]})) == [
        ((*VC, "verification", "evidence", 0), EVIDENCE_TYPE_ERROR)
    ]


def test_ida_s6_2_evidence_members_follow_the_evidence_type() -> None:
    entry = {"type": {"value": "document"}, "record": None}
    assert claims_errors(in_userinfo({"trust_framework": None, "evidence": [entry]})) == [
        (
            (*VC, "verification", "evidence", 0, "document"),
            "unknown member 'record': expected type, derived_claims, attachments, check_details, document_details",
        )
    ]
    with pytest.raises(ValidationError, match="type must be 'document'"):
        DocumentEvidenceRequest.model_validate({"type": {"value": "vouch"}})


def test_ida_s6_2_null_only_for_leaves() -> None:
    entry = {"type": {"value": "document"}, "document_details": None}
    assert claims_errors(in_userinfo({"trust_framework": None, "evidence": [entry]})) == [
        (
            (*VC, "verification", "evidence", 0, "document", "document_details"),
            "must not be null: give an object, or leave the member out",
        )
    ]
