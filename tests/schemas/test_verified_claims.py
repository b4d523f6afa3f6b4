"""OpenID Connect for Identity Assurance 1.0 §5 verified_claims, with the UK profile rules."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from schemas.evidence import CheckMethod, DocumentEvidence
from schemas.gpg45 import EvidenceScore, Gpg45Scores
from schemas.verified_claims import VerifiedClaimsPayload
from tests.schemas.uk_payloads import DELETE, passport_m1a


def errors(payload: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        VerifiedClaimsPayload.model_validate(payload)
    return [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()]


def test_ida_s5_uk_payload_parses_and_round_trips() -> None:
    payload = passport_m1a()
    parsed = VerifiedClaimsPayload.model_validate(payload)
    (element,) = parsed.elements()
    assert element.verification.trust_framework == "uk_diatf"
    evidence = element.verification.evidence
    assert evidence is not None and isinstance(evidence[0], DocumentEvidence)
    assert element.verification.check_methods() == {"vcrypt", "bvr", "data"}
    assert parsed.to_json_dict() == payload


def test_ida_s5_legacy_uk_tfida_is_emitted_as_uk_diatf() -> None:
    parsed = VerifiedClaimsPayload.model_validate(passport_m1a(trust_framework="uk_tfida"))
    assert parsed.to_json_dict()["verified_claims"]["verification"]["trust_framework"] == "uk_diatf"


def test_ida_s5_several_elements_allowed() -> None:
    one = passport_m1a()["verified_claims"]
    parsed = VerifiedClaimsPayload.model_validate({"sub": "abc", "verified_claims": [one, one]})
    assert len(parsed.elements()) == 2
    assert parsed.other_claims() == {"sub": "abc"}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"verified_claims": []},
            [(("verified_claims", "array"), "List should have at least 1 item after validation, not 0")],
        ),
        (
            {"verified_claims": "x"},
            [(("verified_claims",), "verified_claims must be an object or a non-empty array of objects")],
        ),
    ],
)
def test_ida_s5_verified_claims_object_or_array(payload: dict[str, Any], expected: list[Any]) -> None:
    assert errors(payload) == expected


def test_ida_s5_1_unknown_trust_framework_rejected() -> None:
    assert errors(passport_m1a(trust_framework="uk_gold")) == [
        (
            ("verified_claims", "object", "verification", "trust_framework"),
            "Value error, unknown trust framework 'uk_gold'; known trust frameworks: uk_diatf, eidas, "
            "nist_800_63A, de_aml, jp_aml, jp_mpiupa, it_spid, se_bankid",
        )
    ]


def test_ida_s5_1_1_unknown_evidence_type_rejected() -> None:
    found = errors(passport_m1a(evidence__1__type="utility_bill"))
    assert found == [
        (
            ("verified_claims", "object", "verification", "evidence", 1),
            "Input tag 'utility_bill' found using 'type' does not match any of the expected tags: "
            "'document', 'electronic_record', 'vouch', 'electronic_signature'",
        )
    ]


def test_ida_check_method_must_be_in_vocabulary() -> None:
    found = errors(passport_m1a(evidence__0__check_details__0__check_method="pipp"))
    assert found[0][0][-1] == "check_method"
    assert found[0][1].startswith("Input should be 'vpip', 'vpiruv', 'vri'")
    assert {m.value for m in CheckMethod} == {
        "vpip",
        "vpiruv",
        "vri",
        "vdig",
        "vcrypt",
        "data",
        "auth",
        "token",
        "kbv",
        "pvp",
        "pvr",
        "bvp",
        "bvr",
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"assurance_level": "substantial"},
            "Value error, assurance_level 'substantial' is not a GPG 45 level of confidence (low, medium, high, very_high)",
        ),
        (
            {"assurance_process__policy": "nist"},
            "Value error, assurance_process.policy must be 'gpg45' for uk_diatf, not 'nist'",
        ),
        (
            {"assurance_process__procedure": "M1A"},
            "Value error, assurance_process.procedure 'M1A' is not a GPG 45 profile in lower case (l1a to v3a)",
        ),
        (
            {"assurance_process__procedure": "h1a"},
            "Value error, assurance_process.procedure 'h1a' gives a high level of confidence, but assurance_level is 'medium'",
        ),
        (
            {"assurance_process__assurance_details__2__evidence_ref__0__check_id": "nope"},
            "Value error, assurance_details refer to check_id 'nope' but no evidence has a check with that check_id",
        ),
        (
            {"assurance_process__assurance_details__1__assurance_classification": "score_4"},
            "Value error, assurance_details[1] (counter_fraud): score 4 is out of range: GPG 45 allows 0 to 3",
        ),
        (
            {"assurance_process__assurance_details__0__evidence_ref__0__evidence_metadata": DELETE},
            "Value error, assurance_details[0] (evidence_validation): give the strength of the evidence exactly once, "
            "as evidence_ref[].evidence_metadata.evidence_classification 'score_N_strength'",
        ),
        (
            {"assurance_process__assurance_details__2__assurance_classification": "strong"},
            "Value error, assurance_details[2] (verification): assurance_classification must be 'score_N', not 'strong'",
        ),
    ],
)
def test_uk_profile_rules(changes: dict[str, Any], message: str) -> None:
    assert errors(passport_m1a(**changes)) == [(("verified_claims", "object", "verification"), message)]


def test_uk_profile_rules_do_not_apply_to_other_frameworks() -> None:
    VerifiedClaimsPayload.model_validate(
        passport_m1a(trust_framework="nist_800_63A", assurance_level="ial2", assurance_process=DELETE)
    )


def test_eidas_levels_checked() -> None:
    assert errors(
        passport_m1a(trust_framework="eidas", assurance_level="medium", assurance_process=DELETE)
    ) == [
        (
            ("verified_claims", "object", "verification"),
            "Value error, assurance_level 'medium' is not an eIDAS level (low, substantial, high)",
        )
    ]


@pytest.mark.parametrize(
    ("changes", "loc_tail", "message"),
    [
        ({"time": "yesterday"}, ("time",), "Input should be a valid datetime or date, input is too short"),
        ({"time": "2026-10-01T10:15:00"}, ("time",), "Input should have timezone info"),
        ({"time": 1700000000}, ("time",), "Value error, must be a string in ISO 8601 format"),
        ({"time": None}, ("time",), "Value error, must be a string in ISO 8601 format"),
        ({"trust_framwork": "uk_diatf"}, ("trust_framwork",), "Extra inputs are not permitted"),
        ({"evidence": []}, ("evidence",), "List should have at least 1 item after validation, not 0"),
    ],
)
def test_ida_s5_1_bad_members(changes: dict[str, Any], loc_tail: tuple[str, ...], message: str) -> None:
    found = errors(passport_m1a(**changes))
    assert found == [(("verified_claims", "object", "verification", *loc_tail), message)]


def test_uk_profile_gpg45_scores_read_from_assurance_details() -> None:
    parsed = VerifiedClaimsPayload.model_validate(passport_m1a())
    scores = parsed.elements()[0].verification.gpg45
    assert scores == Gpg45Scores(
        evidence=[EvidenceScore(strength=4, validity=2)], activity_history=0, identity_fraud=1, verification=2
    )


def test_uk_profile_no_assurance_details_means_no_scores() -> None:
    parsed = VerifiedClaimsPayload.model_validate(passport_m1a(assurance_process=DELETE))
    assert parsed.elements()[0].verification.gpg45 is None
