"""Assurance policy evaluation: the level of confidence comes from the GPG 45 scores, and every
failure is reported in words a citizen can read (ukid-interop assurance policy, GPG 45, IDA §5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.gpg45 import LevelOfConfidence
from schemas.policy import AssurancePolicy, FailureCode, evaluate_policy
from schemas.verified_claims import VerifiedClaimsPayload
from tests.schemas.uk_payloads import DELETE, passport_m1a

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

COUNCIL = AssurancePolicy.model_validate(
    {
        "service": "Resident parking permit",
        "minimum_level": "medium",
        "required_claims": ["given_name", "family_name", "address"],
        "max_verification_age_days": 365,
    }
)
GP_P9 = AssurancePolicy.model_validate(
    {
        "service": "Register with a GP practice",
        "minimum_level": "medium",
        "required_check_methods": [
            {
                "any_of": ["pvp", "pvr", "bvp", "bvr"],
                "description": "a check that you look like the photo on your ID",
            }
        ],
        "required_claims": ["given_name", "family_name", "birthdate", "nhs_number"],
    }
)


def payload(**changes: Any) -> VerifiedClaimsPayload:
    return VerifiedClaimsPayload.model_validate(passport_m1a(**changes))


def test_policy_accepts_m1a_for_council_and_gp() -> None:
    for policy in (COUNCIL, GP_P9):
        decision = evaluate_policy(policy, payload(), NOW)
        assert decision.accepted, decision.reasons
        assert decision.level is not None and decision.level.value == "medium"
        assert decision.profiles == ("L1A", "L1B", "M1A")
        assert decision.failures == ()


def test_policy_level_too_low_is_explained() -> None:
    high = COUNCIL.model_copy(update={"minimum_level": LevelOfConfidence.HIGH})
    decision = evaluate_policy(high, payload(), NOW)
    assert not decision.accepted
    assert [(f.code, f.message) for f in decision.failures] == [
        (
            FailureCode.LEVEL_TOO_LOW,
            "This service needs a high level of confidence in your identity; your identity check reached "
            "a medium level.",
        )
    ]


def test_policy_level_comes_from_scores_not_the_label() -> None:
    # verification score 1 instead of 2: only L1A and L1B are met, whatever the label says
    weak = payload(assurance_process__assurance_details__2__assurance_classification="score_1")
    decision = evaluate_policy(COUNCIL, weak, NOW)
    assert decision.level is not None and decision.level.value == "low"
    assert [f.code for f in decision.failures] == [FailureCode.PROCEDURE_NOT_MET, FailureCode.LEVEL_TOO_LOW]
    assert decision.reasons[0] == (
        "Your identity provider said your identity was checked to profile M1A, but the check results it "
        "sent do not support that (they support L1A, L1B)."
    )


def test_policy_nhs_p9_needs_photo_comparison() -> None:
    no_bio = payload(evidence__0__check_details__1__check_method="kbv")
    decision = evaluate_policy(GP_P9, no_bio, NOW)
    assert [(f.code, f.message) for f in decision.failures] == [
        (
            FailureCode.MISSING_CHECK_METHOD,
            "This service needs a check that you look like the photo on your ID, and your identity check "
            "did not include one (physical comparison with the photo, in person or physical comparison "
            "with the photo, remote or biometric comparison with the photo, in person or biometric "
            "comparison with the photo, remote).",
        )
    ]


def test_policy_every_failure_reported_together() -> None:
    element = passport_m1a(trust_framework="uk_tfida", assurance_process=DELETE, time="2020-01-01T00:00:00Z")
    element["verified_claims"]["claims"].pop("family_name")
    decision = evaluate_policy(
        COUNCIL.model_copy(update={"max_verification_age_days": 30}),
        VerifiedClaimsPayload.model_validate(element),
        NOW,
    )
    assert [f.code for f in decision.failures] == [
        FailureCode.NO_SCORES,
        FailureCode.MISSING_CLAIMS,
        FailureCode.TOO_OLD,
    ]
    assert decision.reasons[1] == "Your identity provider did not confirm your last name."
    assert decision.reasons[2] == (
        "Your identity was last checked on 1 January 2020; this service needs a check from the last 30 days."
    )


def test_policy_untrusted_framework() -> None:
    foreign = payload(trust_framework="eidas", assurance_level="substantial")
    decision = evaluate_policy(COUNCIL, foreign, NOW)
    assert decision.failures[0].code is FailureCode.UNTRUSTED_FRAMEWORK
    assert decision.failures[0].message == (
        "Your identity was checked under a scheme this service does not accept (eidas)."
    )


def test_policy_missing_time_when_age_limited() -> None:
    decision = evaluate_policy(COUNCIL, payload(time=DELETE), NOW)
    assert [f.code for f in decision.failures] == [FailureCode.NO_VERIFICATION_TIME]


def test_policy_picks_the_element_that_passes() -> None:
    bad = passport_m1a(trust_framework="eidas", assurance_level="substantial")["verified_claims"]
    good = passport_m1a()["verified_claims"]
    decision = evaluate_policy(
        COUNCIL, VerifiedClaimsPayload.model_validate({"verified_claims": [bad, good]}), NOW
    )
    assert decision.accepted
    assert (
        decision.verified_claims is not None
        and decision.verified_claims.verification.trust_framework == "uk_diatf"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"minimum_level": "gold"}, "Input should be 'low', 'medium', 'high' or 'very_high'"),
        ({"accepted_trust_frameworks": ["uk_gold"]}, "Value error, unknown trust framework 'uk_gold'"),
        ({"required_claims": ["shoe_size"]}, "Value error, unknown claim 'shoe_size'"),
        ({"max_verification_age_days": 0}, "Input should be greater than or equal to 1"),
        (
            {"required_check_methods": [{"any_of": [], "description": "x"}]},
            "List should have at least 1 item after validation, not 0",
        ),
    ],
)
def test_policy_document_rejects_bad_input(change: dict[str, Any], message: str) -> None:
    document = {"service": "s", "minimum_level": "low", **change}
    with pytest.raises(ValidationError) as caught:
        AssurancePolicy.model_validate(document)
    assert [e["msg"] for e in caught.value.errors()] == [message]


def test_policy_legacy_framework_name_normalised() -> None:
    policy = AssurancePolicy.model_validate(
        {"service": "s", "minimum_level": "low", "accepted_trust_frameworks": ["uk_tfida"]}
    )
    assert policy.accepted_trust_frameworks == ["uk_diatf"]
