"""Policy evaluation of what a provider sent: OIDC for Identity Assurance §5 (``verified_claims``
read with the assurance schema), GPG 45 (the level computed from the scores), RFC 8485 §6.1 (a
step-up asks a higher vector) and the service's result (``LoginResult``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from relying_party.core.errors import LoginError, Refusal
from relying_party.core.evaluate import evaluate
from relying_party.core.policy import ServicePolicy
from relying_party.core.result import Evidence, Failure, LoginResult, StepUp
from schemas.gpg45 import LevelOfConfidence
from tests.relying_party.rpkit import IDP, NOW, id_claims, make_provider, service_policy, verified_element

PARKING = "council-resident-parking"  # medium, M1B: a driving permit and a council tax record
GP = "gp-registration"  # high, H1A: a passport with a biometric comparison (bvr)
VOUCH = "vouching-prison-leaver"  # low, L1A: a vouch
COMPARISON = ("pvp", "pvr", "bvp", "bvr")
UNREADABLE = "The identity provider sent verified_claims this service cannot read: "


def run_policy(
    policy: ServicePolicy,
    verified: Any,
    *,
    vot: str | None = "P2.Cl",
    userinfo: dict[str, Any] | None = None,
    id_token: dict[str, Any] | None = None,
) -> LoginResult:
    info: dict[str, Any] = {"sub": "subject-1", **(userinfo or {})}
    if verified is not None:
        info["verified_claims"] = verified
    claims = id_claims(vot=vot, vtm=f"{IDP}/trustmark", **(id_token or {}))
    if vot is None:
        claims.pop("vot")
    return evaluate(policy, make_provider(), claims, info, now=NOW)


def unreadable(verified: Any) -> LoginError:
    with pytest.raises(LoginError) as caught:
        run_policy(service_policy(), verified)
    assert caught.value.refusal is Refusal.INVALID_VERIFIED_CLAIMS
    assert caught.value.check == "verified_claims"
    return caught.value


# -- accepted -----------------------------------------------------------------------------------------
def test_ida_5_medium_evidence_is_accepted_at_medium_with_its_claims_and_evidence() -> None:
    result = run_policy(service_policy("medium"), verified_element(PARKING))
    assert result.accepted
    assert result.decision.level is LevelOfConfidence.MEDIUM
    assert result.decision.failures == ()
    assert result.decision.step_up is None
    assert "M1B" in result.decision.profiles
    assert result.service == "parking"
    assert result.subject == "subject-1"
    assert result.claim("given_name") == "Sarah"
    assert result.claim("address")["uprn"] == "100120812345"
    assert result.verified == ("given_name", "address")
    assert result.evidence == (
        Evidence("document", "driving permit", ("vpiruv", "data")),
        Evidence("electronic_record", "council tax register", ("data", "kbv")),
    )
    assert result.trust_framework == "uk_diatf"
    assert result.verified_at == "2026-03-02T10:15:00+00:00"
    assert result.vot == "P2.Cl"
    assert result.vtm == f"{IDP}/trustmark"
    assert result.auth_time == NOW - 10
    assert result.received_at == NOW
    assert result.verified_claims is not None
    assert result.verified_claims["verification"]["assurance_level"] == "medium"
    assert result.provider.issuer == IDP
    assert result.provider.kind == "federation"
    assert result.provider.certified_levels == ("high", "medium")


def test_ida_5_high_evidence_is_accepted_by_a_service_needing_a_photo_comparison() -> None:
    policy = service_policy("high", claims={"given_name": "To address you"}, methods=COMPARISON)
    result = run_policy(policy, verified_element(GP), vot="P3.Cl")
    assert result.accepted
    assert result.decision.level is LevelOfConfidence.HIGH
    assert result.evidence[0] == Evidence("document", "passport", ("vcrypt", "bvr"))


def test_ida_5_a_vouch_is_accepted_at_low_and_described() -> None:
    result = run_policy(service_policy("low"), verified_element(VOUCH), vot="P1.Cl")
    assert result.accepted
    assert result.decision.level is LevelOfConfidence.LOW
    assert result.evidence == (
        Evidence("vouch", "vouch by Resettlement officer, HMP Bristol", ("vpip", "data", "pvp")),
    )


def test_ida_5_verified_claims_as_an_array_use_the_element_that_passes() -> None:
    result = run_policy(service_policy("high"), [verified_element(PARKING), verified_element(GP)])
    assert result.accepted
    assert result.claim("given_name") == "Aisha"


def test_ida_5_verified_claims_in_the_id_token_are_read_too() -> None:
    result = run_policy(service_policy(), None, id_token={"verified_claims": verified_element(PARKING)})
    assert result.accepted
    assert result.claim("given_name") == "Sarah"


# -- refused, with the reason and a step-up -----------------------------------------------------------
def test_gpg45_a_level_too_low_is_refused_with_the_schema_message_and_a_step_up() -> None:
    policy = service_policy("high")
    result = run_policy(policy, verified_element(PARKING))
    assert not result.accepted
    assert result.decision.level is LevelOfConfidence.MEDIUM
    assert result.decision.failures == (
        Failure(
            "level_too_low",
            "This service needs a high level of confidence in your identity; your identity check reached "
            "a medium level.",
        ),
    )
    assert result.decision.step_up == StepUp(tuple(policy.vtr()), "prove your identity to a high level")
    assert result.decision.step_up.vtr == ("P3.Cl",)


def test_gpg45_a_missing_check_method_asks_for_the_next_level_up() -> None:
    policy = service_policy("medium", methods=COMPARISON)
    result = run_policy(policy, verified_element(PARKING))
    assert not result.accepted
    assert [f.code for f in result.decision.failures] == ["missing_check_method"]
    assert result.decision.failures[0].message == (
        "This service needs a check that you look like the photo on your ID, and your identity check did not "
        "include one (physical comparison with the photo, in person or physical comparison with the photo, "
        "remote or biometric comparison with the photo, in person or biometric comparison with the photo, "
        "remote)."
    )
    assert result.decision.step_up == StepUp(
        ("P3.Cl",), "prove your identity to a high level, with the checks this service needs"
    )


def test_gpg45_a_missing_check_method_keeps_the_needed_credential_in_the_step_up() -> None:
    policy = service_policy("medium", methods=COMPARISON, credential="Cl.Cm")
    result = run_policy(policy, verified_element(PARKING), vot="P2.Cl.Cm")
    assert result.decision.step_up is not None
    assert result.decision.step_up.vtr == ("P3.Cl.Cm",)


def test_ida_5_1_an_unknown_trust_framework_is_a_refusal_not_an_error() -> None:
    element = verified_element(PARKING)
    element["verification"]["trust_framework"] = "atlantis_kyc"
    result = run_policy(service_policy(), element)
    assert not result.accepted
    assert result.decision.failures == (
        Failure(
            "untrusted_framework",
            "Your identity was checked under a scheme this service does not accept (atlantis_kyc).",
        ),
    )
    assert result.decision.step_up is None
    assert result.claims == {}
    assert result.trust_framework is None


def test_ida_5_no_verified_claims_gives_no_scores_and_a_step_up() -> None:
    policy = service_policy("medium")
    result = run_policy(policy, None)
    assert not result.accepted
    assert result.decision.failures == (
        Failure("no_scores", "Your identity provider did not send any verified details."),
    )
    assert result.decision.step_up == StepUp(("P2.Cl",), "prove your identity to a medium level")
    assert result.verified == ()
    assert result.evidence == ()


def test_gpg44_a_password_alone_is_too_weak_for_a_service_needing_a_security_code() -> None:
    policy = service_policy("medium", credential="Cl.Cm")
    result = run_policy(policy, verified_element(PARKING), vot="P2.Cl")
    assert not result.accepted
    assert result.decision.level is LevelOfConfidence.MEDIUM
    assert result.decision.failures == (
        Failure(
            "credential_too_weak",
            "This service needs you to sign in with a security code as well as your password.",
        ),
    )
    assert result.decision.step_up == StepUp(
        ("P2.Cl.Cm",), "sign in again with a security code as well as your password"
    )


def test_gpg44_a_security_code_in_the_vot_meets_the_credential() -> None:
    result = run_policy(
        service_policy("medium", credential="Cl.Cm"), verified_element(PARKING), vot="P2.Cl.Cm"
    )
    assert result.accepted


def test_gpg44_no_vot_at_all_is_too_weak_for_a_service_needing_a_security_code() -> None:
    result = run_policy(service_policy("medium", credential="Cl.Cm"), verified_element(PARKING), vot=None)
    assert [f.code for f in result.decision.failures] == ["credential_too_weak"]
    assert result.vot is None


def test_ida_5_a_missing_required_claim_is_refused_without_a_step_up() -> None:
    policy = service_policy("medium", claims={"birthdate": "Age check"}, required=["birthdate"])
    result = run_policy(policy, verified_element(PARKING))
    assert result.decision.failures == (
        Failure("missing_claims", "Your identity provider did not confirm your date of birth."),
    )
    assert result.decision.step_up is None


def test_ida_5_1_a_check_too_old_asks_for_a_fresh_one() -> None:
    policy = service_policy("medium", max_age_days=30)
    result = run_policy(policy, verified_element(PARKING))
    assert result.decision.failures == (
        Failure(
            "too_old",
            "Your identity was last checked on 2 March 2026; this service needs a check from the last 30 days.",
        ),
    )
    assert result.decision.step_up == StepUp(("P2.Cl",), "prove your identity to a medium level")


# -- unreadable verified_claims -----------------------------------------------------------------------
def test_ida_5_1_an_assurance_level_outside_gpg45_is_an_error_naming_it() -> None:
    element = verified_element(PARKING)
    element["verification"]["assurance_level"] = "bogus"
    error = unreadable(element)
    assert error.description == (
        f"{UNREADABLE}element 0: verification: Value error, assurance_level 'bogus' is not a GPG 45 level of "
        "confidence (low, medium, high, very_high)"
    )


def test_ida_5_1_1_evidence_without_a_type_is_an_error_naming_it() -> None:
    element = verified_element(PARKING)
    del element["verification"]["evidence"][0]["type"]
    error = unreadable(element)
    assert error.description == (
        f"{UNREADABLE}element 0: verification.evidence.0: Unable to extract tag using discriminator 'type'"
    )


def test_ida_5_a_verification_that_is_not_an_object_is_an_error_not_a_crash() -> None:
    element = verified_element(PARKING)
    element["verification"] = "verified"
    error = unreadable(element)
    assert error.description == (
        f"{UNREADABLE}element 0: verification: Input should be a valid dictionary or instance of Verification"
    )


def test_ida_5_an_element_that_is_not_an_object_is_an_error_naming_its_index() -> None:
    error = unreadable([verified_element(GP), "verified"])
    assert error.description == (
        f"{UNREADABLE}element 1: (element): Input should be a valid dictionary or instance of VerifiedClaims"
    )


# -- claims kept --------------------------------------------------------------------------------------
def test_uk_gdpr_5_1_c_only_requested_claims_are_copied_from_userinfo() -> None:
    policy = service_policy("medium", claims={"given_name": "To address you", "email": "To write to you"})
    userinfo = {"email": "sarah@example.com", "phone_number": "+441234567890", "iss": "https://x.example"}
    result = run_policy(policy, verified_element(PARKING), userinfo=userinfo)
    assert result.claim("email") == "sarah@example.com"
    assert "phone_number" not in result.claims
    assert "iss" not in result.claims
    assert "sub" not in result.claims
    assert "email" not in result.verified


def test_uk_gdpr_5_1_c_a_verified_claim_not_requested_is_dropped() -> None:
    policy = service_policy("medium", claims={"given_name": "To address you"})
    element = verified_element(PARKING)
    assert element["claims"]["family_name"] == "Morgan"
    result = run_policy(policy, element, userinfo={"family_name": "Morgan"})
    assert result.accepted
    assert result.claims == {"given_name": "Sarah"}
    assert result.verified == ("given_name",)
    assert result.verified_claims is not None
    assert result.verified_claims["claims"] == {"given_name": "Sarah"}
    assert result.verified_claims["verification"] == element["verification"]


def test_ida_5_a_verified_claim_is_not_overwritten_by_an_unverified_one() -> None:
    policy = service_policy("medium", claims={"given_name": "To address you"})
    result = run_policy(policy, verified_element(PARKING), userinfo={"given_name": "Mallory"})
    assert result.claim("given_name") == "Sarah"


def test_login_result_round_trips_through_json() -> None:
    for result in (
        run_policy(service_policy("medium"), verified_element(PARKING)),
        run_policy(service_policy("high"), verified_element(PARKING)),
        run_policy(service_policy("medium"), None, vot=None),
    ):
        stored = json.loads(json.dumps(result.to_json()))
        assert LoginResult.from_json(stored) == result
