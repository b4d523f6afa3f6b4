"""What an OP releases for a ``verified_claims`` request (OpenID Connect for Identity Assurance 1.0
§6), with the working group's UK example (document_UK_DIATF.json) as the data the OP holds."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.claims import Claims
from schemas.release import select_verified_claims
from schemas.requests import ClaimsRequest, VerifiedClaimsRequest
from schemas.verified_claims import VerifiedClaims, VerifiedClaimsPayload
from tests.schemas.test_requests import OIDF, REQUESTS, load, oidf_validator

NOW = datetime(2024, 1, 1, tzinfo=UTC)
VERIFIED_AT = datetime(2021, 6, 6, 5, 32, tzinfo=UTC)

HELD_CLAIMS = {
    "given_name": "Inga",
    "family_name": "Silverstone",
    "birthdate": "1991-11-06",
    "place_of_birth": {"country": "USA"},
    "address": {
        "locality": "Shoshone",
        "postal_code": "CA 92384",
        "country": "USA",
        "street_address": "114 Old State Hwy 127",
    },
}
DOC_CHECK_ID = "DL1-93h506th2f45hf"
FACE_CHECK_ID = "v-93jfk284ugjfj2093"
VALIDITY_DETAIL = {
    "assurance_type": "evidence_validation",
    "assurance_classification": "score_3",
    "evidence_ref": [
        {"check_id": DOC_CHECK_ID, "evidence_metadata": {"evidence_classification": "score_3_strength"}}
    ],
}
VERIFICATION_DETAIL = {
    "assurance_type": "verification",
    "assurance_classification": "score_3",
    "evidence_ref": [{"check_id": FACE_CHECK_ID}],
}


@cache
def uk_held() -> VerifiedClaims:
    """The working group's UK example: a uk_diatf medium (m1c) verification with a driving permit."""
    data = load(OIDF / "examples" / "response" / "document_UK_DIATF.json")
    (element,) = VerifiedClaimsPayload.model_validate(data).elements()
    return element


def eidas_held(**claims: Any) -> VerifiedClaims:
    verification = {"trust_framework": "eidas", "assurance_level": "high"}
    return VerifiedClaims.model_validate(
        {"verification": verification, "claims": claims or {"given_name": "Ingrid"}}
    )


def request(
    trust_framework: Any = None, claims: dict[str, Any] | None = None, **verification: Any
) -> VerifiedClaimsRequest:
    """A verified_claims request element; ``given_name`` is requested unless ``claims`` are given."""
    return VerifiedClaimsRequest.model_validate(
        {
            "verification": {"trust_framework": trust_framework, **verification},
            "claims": claims or {"given_name": None},
        }
    )


def document(**members: Any) -> list[dict[str, Any]]:
    """An evidence request with one ``document`` entry."""
    return [{"type": {"value": "document"}, **members}]


def example(name: str) -> tuple[VerifiedClaimsRequest, ...]:
    parsed = ClaimsRequest.model_validate(load(REQUESTS / name))
    assert parsed.userinfo is not None
    return parsed.userinfo.verified_elements()


def release(
    wanted: Any, held: list[VerifiedClaims] | None = None, now: datetime = NOW
) -> list[dict[str, Any]]:
    chosen = select_verified_claims(wanted, [uk_held()] if held is None else held, now)
    return [element.to_json_dict() for element in chosen]


def uk(claims: dict[str, Any] | None = None, **verification: Any) -> list[dict[str, Any]]:
    """The expected release: one uk_diatf element (given name only unless ``claims`` are given)."""
    return [
        {
            "verification": {"trust_framework": "uk_diatf", **verification},
            "claims": claims or {"given_name": "Inga"},
        }
    ]


def test_ida_s6_2_only_trust_framework_when_nothing_else_requested() -> None:
    names = {"given_name": "Inga", "family_name": "Silverstone", "birthdate": "1991-11-06"}
    assert release(example("claims.json")) == uk(names)


def test_ida_s6_unrequested_verification_members_not_released() -> None:
    wanted = request(time=None, assurance_process={"procedure": None})
    assert release(wanted) == uk(assurance_process={"procedure": "m1c"}, time="2021-06-06T05:32:00Z")


@pytest.mark.parametrize("framework", ["uk_diatf", "uk_tfida"])
def test_ida_s6_3_1_legacy_uk_tfida_request_matches_uk_diatf(framework: str) -> None:
    assert release(request({"value": framework})) == uk()


@pytest.mark.parametrize(
    "wanted",
    [
        {"trust_framework": {"value": "eidas"}},
        {"trust_framework": {"values": ["gold", "silver"]}},
        {"assurance_level": {"value": "high"}},
        {"assurance_process": {"policy": {"value": "nist_800_63A"}}},
        {"assurance_process": {"procedure": {"values": ["m1a", "m1b"]}}},
        {"verification_process": {"value": "other"}},
    ],
)
def test_ida_s6_verification_constraint_unmet_omits_element(wanted: dict[str, Any]) -> None:
    assert release(request(**{"trust_framework": None, **wanted})) == []


def test_ida_s6_3_1_values_met_releases_the_constrained_members() -> None:
    wanted = request(
        {"value": "uk_diatf"},
        assurance_level={"values": ["medium", "high"]},
        assurance_process={"policy": {"value": "gpg45"}, "procedure": {"values": ["m1b", "m1c"]}},
    )
    assert release(wanted) == uk(
        assurance_level="medium", assurance_process={"policy": "gpg45", "procedure": "m1c"}
    )


def test_ida_s6_max_age_too_old_omits_element() -> None:
    assert release(request(time={"max_age": 99}), now=VERIFIED_AT + timedelta(seconds=100)) == []


def test_ida_s6_3_2_max_age_met_at_the_boundary() -> None:
    released = release(request(time={"max_age": 100}), now=VERIFIED_AT + timedelta(seconds=100))
    assert released == uk(time="2021-06-06T05:32:00Z")


def test_ida_s6_3_2_max_age_of_a_date_counts_from_its_last_second() -> None:
    def wanted(max_age: int) -> VerifiedClaimsRequest:
        return request(evidence=document(document_details={"date_of_issuance": {"max_age": max_age}}))

    now = datetime(2019, 9, 6, 0, 0, 59, tzinfo=UTC)  # 60 s after 2019-09-05T23:59:59Z
    assert release(wanted(59), now=now) == []
    details = {"type": "driving_permit", "date_of_issuance": "2019-09-05"}
    assert release(wanted(60), now=now) == uk(evidence=[{"type": "document", "document_details": details}])


def test_ida_s6_3_2_max_age_on_a_member_not_held_omits_element() -> None:
    assert release(request(time={"max_age": 10**9}), [eidas_held()]) == []


def test_ida_s6_2_evidence_entry_is_a_filter_and_a_template() -> None:
    evidence = {
        "type": "document",
        "check_details": [{"check_method": "vpiruv"}, {"check_method": "pvp"}],
        "document_details": {
            "type": "driving_permit",
            "document_number": "I1234568",
            "date_of_issuance": "2019-09-05",
            "issuer": {"name": "CA DMV", "country": "US"},
        },
    }
    names = {"given_name": "Inga", "family_name": "Silverstone", "birthdate": "1991-11-06"}
    assert release(example("verification_document.json")) == uk(
        names, time="2021-06-06T05:32:00Z", evidence=[evidence]
    )


@pytest.mark.parametrize("kind", ["vouch", "electronic_record", "electronic_signature"])
def test_ida_s6_2_evidence_type_not_held_omits_element(kind: str) -> None:
    assert release(request(evidence=[{"type": {"value": kind}}])) == []


def test_ida_s6_2_evidence_filters_are_ored() -> None:
    wanted = request(evidence=[{"type": {"value": "vouch"}}, *document()])
    assert release(wanted) == uk(evidence=[{"type": "document"}])


def test_ida_s6_2_check_details_filtered_by_check_method() -> None:
    pvp = {"check_method": {"value": "pvp"}, "check_id": None, "time": None}
    face = {"check_method": "pvp", "check_id": FACE_CHECK_ID, "time": "2021-06-08T11:42:00Z"}
    assert release(request(evidence=document(check_details=[pvp]))) == uk(
        evidence=[{"type": "document", "check_details": [face]}]
    )
    either = [
        {"check_method": {"value": "bvr"}},
        {"check_method": {"values": ["vpiruv", "pvp"]}, "organization": None},
    ]
    checks = [
        {"check_method": "vpiruv", "organization": "doc_checker"},
        {"check_method": "pvp", "organization": "face_checker"},
    ]
    assert release(request(evidence=document(check_details=either))) == uk(
        evidence=[{"type": "document", "check_details": checks}]
    )


def test_ida_s6_2_check_method_unmet_omits_element() -> None:
    assert release(example("verification_spid_document_biometric.json")) == []  # it_spid, bvr
    assert release(request(evidence=document(check_details=[{"check_method": {"value": "bvr"}}]))) == []


@pytest.mark.parametrize(
    ("allowed", "released"), [(["idcard", "driving_permit"], True), (["passport"], False)]
)
def test_ida_s6_3_1_document_type_values(allowed: list[str], released: bool) -> None:
    wanted = request(evidence=document(document_details={"type": {"values": allowed}}))
    expected = uk(evidence=[{"type": "document", "document_details": {"type": "driving_permit"}}])
    assert release(wanted) == (expected if released else [])


def test_ida_s6_2_assurance_details_released_with_all_they_hold() -> None:
    wanted = request(
        # a constraint inside assurance_details has no filtering effect (IDA §6.2)
        assurance_process={"assurance_details": [{"assurance_type": {"value": "counter_fraud"}}]},
        evidence=document(check_details=[{"check_method": None, "check_id": None}]),
    )
    checks = [
        {"check_method": "vpiruv", "check_id": DOC_CHECK_ID},
        {"check_method": "pvp", "check_id": FACE_CHECK_ID},
    ]
    assert release(wanted) == uk(
        assurance_process={"assurance_details": [VALIDITY_DETAIL, VERIFICATION_DETAIL]},
        evidence=[{"type": "document", "check_details": checks}],
    )


def test_ida_s6_5_3_assurance_detail_referring_to_an_unreleased_check_left_out() -> None:
    process: dict[str, Any] = {"policy": None, "assurance_details": [{}]}
    pvp = {"check_method": {"value": "pvp"}, "check_id": None}
    assert release(request(assurance_process=process, evidence=document(check_details=[pvp]))) == uk(
        assurance_process={"policy": "gpg45", "assurance_details": [VERIFICATION_DETAIL]},
        evidence=[
            {"type": "document", "check_details": [{"check_method": "pvp", "check_id": FACE_CHECK_ID}]}
        ],
    )
    # no check released: every detail refers to one, so none is released
    assert release(request(assurance_process=process)) == uk(assurance_process={"policy": "gpg45"})


def test_ida_s6_5_2_claim_value_unmet_omits_only_that_claim() -> None:
    claims = {
        "given_name": {"value": "Inga"},
        "family_name": {"values": ["Smith", "Jones"]},
        "birthdate": None,
    }
    assert release(request(claims=claims)) == uk({"given_name": "Inga", "birthdate": "1991-11-06"})


def test_ida_s6_5_1_claim_not_held_omitted() -> None:
    assert (
        release(request(claims={"given_name": None, "email": None, "nhs_number": {"essential": True}}))
        == uk()
    )


def test_ida_s6_5_no_requested_claim_available_omits_element() -> None:
    assert release(request(claims={"email": None})) == []
    assert release(request(claims={"given_name": {"value": "Ingrid"}})) == []


def test_ida_s6_1_structured_claims_released_whole() -> None:
    claims = {"address": None, "place_of_birth": {"purpose": "To check where you were born"}}
    assert release(request(claims=claims)) == uk(
        {"address": HELD_CLAIMS["address"], "place_of_birth": {"country": "USA"}}
    )


def test_ida_s6_4_elements_processed_independently() -> None:
    # eidas high: given and family name; eidas high or substantial: birthdate
    elements = example("verification_claims_by_trust_frameworks.json")
    eidas = {"trust_framework": "eidas", "assurance_level": "high"}
    assert release(elements, [uk_held(), eidas_held(given_name="Ingrid", birthdate="1991-11-06")]) == [
        {"verification": eidas, "claims": {"given_name": "Ingrid"}},
        {"verification": eidas, "claims": {"birthdate": "1991-11-06"}},
    ]
    assert release(elements) == []


def test_ida_s6_4_same_claims_in_several_elements_released_in_each() -> None:
    elements = [request({"value": "uk_diatf"}), request({"value": "eidas"})]
    assert release(elements, [eidas_held(), uk_held()]) == [
        *uk(),
        {"verification": {"trust_framework": "eidas"}, "claims": {"given_name": "Ingrid"}},
    ]


def test_ida_s6_first_held_element_meeting_the_request_is_released() -> None:
    assert release(request(), [eidas_held(), uk_held()]) == [
        {"verification": {"trust_framework": "eidas"}, "claims": {"given_name": "Ingrid"}}
    ]
    # a held element holding none of the requested claims does not answer: the next one does
    assert release(request(claims={"birthdate": None}), [eidas_held(), uk_held()]) == uk(
        {"birthdate": "1991-11-06"}
    )


def test_ida_s6_2_electronic_signature_keeps_its_required_members() -> None:
    signature = {
        "type": "electronic_signature",
        "signature_type": "qes_eidas",
        "issuer": "https://qtsp.example.eu",
        "serial_number": "1234567890",
        "created_at": "2021-03-03T09:42:00Z",
        "derived_claims": {"given_name": "Ingrid", "family_name": "Silverstone"},
    }
    held = [
        VerifiedClaims.model_validate(
            {
                "verification": {"trust_framework": "eidas", "evidence": [signature]},
                "claims": {"given_name": "Ingrid", "family_name": "Silverstone"},
            }
        )
    ]
    required = {key: signature[key] for key in ("type", "signature_type", "issuer", "serial_number")}

    def released(**members: Any) -> list[Any]:
        found = release(request(evidence=[{"type": {"value": "electronic_signature"}, **members}]), held)
        return [element["verification"]["evidence"] for element in found]

    assert released(created_at={"max_age": 10**9}) == [[{**required, "created_at": "2021-03-03T09:42:00Z"}]]
    assert released(derived_claims=None) == [[{**required, "derived_claims": signature["derived_claims"]}]]
    assert released(derived_claims={"family_name": None, "birthdate": None}) == [
        [{**required, "derived_claims": {"family_name": "Silverstone"}}]
    ]
    assert released(derived_claims={"family_name": {"value": "Smith"}}) == []


def test_ida_s6_released_elements_are_valid_under_the_working_group_schema() -> None:
    wanted = request(
        assurance_level=None,
        assurance_process={"policy": None, "procedure": None, "assurance_details": [{}]},
        time=None,
        verification_process=None,
        evidence=document(
            check_details=[{"check_method": None, "organization": None, "check_id": None, "time": None}],
            document_details={"type": None, "date_of_expiry": None, "issuer": {"jurisdiction": None}},
        ),
        claims=dict.fromkeys(HELD_CLAIMS),
    )
    (released,) = release(wanted)
    full = uk_held().to_json_dict()
    full["verification"]["evidence"][0]["document_details"] = {
        "type": "driving_permit",
        "date_of_expiry": "2024-08-01",
        "issuer": {"jurisdiction": "CA"},
    }
    assert released == full
    assert list(oidf_validator("verified_claims.json").iter_errors({"verified_claims": released})) == []


def test_ida_s6_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        select_verified_claims(request(), [uk_held()], datetime(2024, 1, 1))


def test_ida_s6_held_data_is_not_changed_by_release() -> None:
    before = copy.deepcopy(uk_held().to_json_dict())
    release(request(assurance_process={"assurance_details": [{}]}))
    assert uk_held().to_json_dict() == before


CLAIM_NAMES = sorted(Claims.model_fields)
VERIFICATION_MEMBERS: dict[str, Any] = {
    "assurance_level": None,
    "assurance_process": {"procedure": None},
    "time": None,
    "verification_process": None,
    "evidence": document(),
}


@given(st.frozensets(st.sampled_from(CLAIM_NAMES), min_size=1))
def test_ida_s6_released_claims_are_requested_and_held(names: frozenset[str]) -> None:
    released = release(request(claims=dict.fromkeys(names)))
    expected = {name: HELD_CLAIMS[name] for name in names & set(HELD_CLAIMS)}
    assert released == (uk(expected) if expected else [])


@given(st.frozensets(st.sampled_from(sorted(VERIFICATION_MEMBERS))))
def test_ida_s6_only_requested_verification_members_released(members: frozenset[str]) -> None:
    (element,) = release(request(**{name: VERIFICATION_MEMBERS[name] for name in members}))
    assert set(element["verification"]) == {"trust_framework", *members}
