"""Service policies: the ``vtr`` they send (RFC 8485 §6.1), the ``claims`` request for
``verified_claims`` (OpenID Connect Core §5.5, OIDC for Identity Assurance §6) and the
``claim_purposes`` metadata of the relying party."""

from __future__ import annotations

import pytest

from relying_party.core.policy import ServicePolicy, claim_purposes, identity_vector, policies_by_name
from schemas.gpg45 import LevelOfConfidence
from schemas.requests import ClaimsRequest
from schemas.vot import parse_vtr
from tests.relying_party.rpkit import service_policy

CLAIMS = {"given_name": "To address you", "address": "To send your permit"}


@pytest.mark.parametrize(
    ("level", "credential", "vtr"),
    [
        ("low", "Cl", ["P1.Cl"]),
        ("low", "Cl.Cm", ["P1.Cl.Cm"]),
        ("medium", "Cl", ["P2.Cl"]),
        ("medium", "Cl.Cm", ["P2.Cl.Cm"]),
        ("high", "Cl", ["P3.Cl"]),
        ("high", "Cl.Cm", ["P3.Cl.Cm"]),
        ("very_high", "Cl.Cm", ["P3.Cl.Cm"]),
    ],
)
def test_rfc8485_6_1_vtr_is_the_needed_vector(level: str, credential: str, vtr: list[str]) -> None:
    policy = service_policy(level, credential=credential)
    assert policy.vtr() == vtr
    parse_vtr(vtr)


@pytest.mark.parametrize(
    ("level", "credential", "vtr"),
    [
        ("low", "Cl", ["P1.Cl", "Cl"]),
        ("medium", "Cl", ["P2.Cl", "P1.Cl", "Cl"]),
        ("high", "Cl", ["P3.Cl", "P2.Cl", "P1.Cl", "Cl"]),
        ("low", "Cl.Cm", ["P1.Cl.Cm", "P1.Cl", "Cl.Cm", "Cl"]),
        ("medium", "Cl.Cm", ["P2.Cl.Cm", "P1.Cl.Cm", "P2.Cl", "P1.Cl", "Cl.Cm", "Cl"]),
        ("high", "Cl.Cm", ["P3.Cl.Cm", "P2.Cl.Cm", "P1.Cl.Cm", "P3.Cl", "P2.Cl", "P1.Cl", "Cl.Cm", "Cl"]),
    ],
)
def test_rfc8485_6_1_a_first_login_asks_the_needed_vector_first_then_a_ladder_down(
    level: str, credential: str, vtr: list[str]
) -> None:
    policy = service_policy(level, credential=credential)
    assert policy.request_vtr() == vtr
    assert policy.request_vtr()[0] == policy.vtr()[0]
    parse_vtr(vtr)


def test_gpg45_very_high_has_no_one_login_value_and_asks_p3() -> None:
    assert identity_vector(LevelOfConfidence.VERY_HIGH) == "P3"
    assert identity_vector(LevelOfConfidence.LOW) == "P1"


def test_ida_6_claims_request_asks_verified_claims_at_userinfo() -> None:
    policy = service_policy("medium", claims=CLAIMS, required=["given_name"])
    request = policy.claims_request()
    assert list(request) == ["userinfo"]
    assert list(request["userinfo"]) == ["verified_claims"]
    verified = request["userinfo"]["verified_claims"]
    assert verified["claims"] == {
        "given_name": {"essential": True, "purpose": "To address you"},
        "address": {"purpose": "To send your permit"},
    }
    assert verified["verification"]["trust_framework"] == {"value": "uk_diatf"}
    assert ClaimsRequest.model_validate(request).to_json_dict() == request


def test_ida_6_several_trust_frameworks_are_asked_as_values() -> None:
    policy = service_policy("medium", claims=CLAIMS, frameworks=["uk_diatf", "eidas"])
    request = policy.claims_request()
    verification = request["userinfo"]["verified_claims"]["verification"]
    assert verification["trust_framework"] == {"values": ["eidas", "uk_diatf"]}
    assert ClaimsRequest.model_validate(request).to_json_dict() == request


def test_core_5_5_1_only_required_claims_are_essential() -> None:
    policy = service_policy(
        claims={**CLAIMS, "birthdate": "To check your age"}, required=["birthdate", "address"]
    )
    claims = policy.claims_request()["userinfo"]["verified_claims"]["claims"]
    assert {name for name, request in claims.items() if request.get("essential")} == {"birthdate", "address"}
    assert claims["given_name"] == {"purpose": "To address you"}


def test_uk_gdpr_5_1_c_nothing_is_asked_that_the_service_does_not_name() -> None:
    policy = service_policy(claims={"given_name": "To address you"})
    claims = policy.claims_request()["userinfo"]["verified_claims"]["claims"]
    assert list(claims) == ["given_name"]


def refusal(**changes: object) -> str:
    base = service_policy()
    fields: dict[str, object] = {
        "name": base.name,
        "title": base.title,
        "assurance": base.assurance,
        "claims": base.claims,
        "credential": base.credential,
    }
    fields.update(changes)
    with pytest.raises(ValueError) as caught:
        ServicePolicy(**fields)  # type: ignore[arg-type]
    return str(caught.value)


@pytest.mark.parametrize("name", ["Parking", "-parking", "blue badge", "a" * 64, "", "parking/x"])
def test_a_service_name_must_be_a_slug(name: str) -> None:
    assert refusal(name=name) == f"service name {name!r} must be a lower-case slug (a-z, 0-9, -)"


def test_a_credential_must_be_password_or_password_and_code() -> None:
    assert refusal(credential="Cm") == "credential 'Cm' must be one of Cl, Cl.Cm"


def test_a_claim_outside_the_assurance_schema_is_refused() -> None:
    assert refusal(claims={"shoe_size": "To fit you"}) == (
        "parking: 'shoe_size' is not a claim of the assurance schema"
    )


def test_a_required_claim_must_be_requested() -> None:
    with pytest.raises(ValueError) as caught:
        service_policy(claims={"given_name": "To address you"}, required=["birthdate"])
    assert str(caught.value) == "parking: the policy requires 'birthdate', which the service does not request"


@pytest.mark.parametrize("purpose", ["ab", "x" * 301])
def test_ida_6_2_a_purpose_must_be_3_to_300_characters(purpose: str) -> None:
    assert refusal(claims={"given_name": purpose}) == (
        "parking: the purpose of 'given_name' must be 3 to 300 characters (IDA §6.2)"
    )


def test_ida_6_2_purposes_of_3_and_300_characters_are_accepted() -> None:
    policy = service_policy(claims={"given_name": "abc", "family_name": "y" * 300})
    assert policy.claims["family_name"] == "y" * 300


def test_claim_purposes_join_the_distinct_purposes_of_every_service() -> None:
    a = service_policy(name="parking", claims={"given_name": "To address you", "address": "Your permit"})
    b = service_policy(name="blue-badge", claims={"given_name": "To greet you", "birthdate": "Age check"})
    c = service_policy(name="library", claims={"given_name": "To greet you"})
    assert claim_purposes([a, b, c]) == {
        "given_name": "To address you; To greet you",
        "address": "Your permit",
        "birthdate": "Age check",
    }


def test_claim_purposes_are_at_most_500_characters() -> None:
    policies = [service_policy(name=f"s{i}", claims={"given_name": str(i) * 300}) for i in range(3)]
    joined = claim_purposes(policies)["given_name"]
    assert len(joined) == 500
    assert joined == ("0" * 300 + "; " + "1" * 300)[:500]


def test_two_services_may_not_share_a_name() -> None:
    with pytest.raises(ValueError) as caught:
        policies_by_name([service_policy(name="parking"), service_policy(name="parking", level="high")])
    assert str(caught.value) == "two services are named 'parking'"
    found = policies_by_name([service_policy(name="parking"), service_policy(name="blue-badge")])
    assert list(found) == ["parking", "blue-badge"]
