"""A citizen's identity from their evidence: GPG 45 scores aggregated and evaluated by the schema,
and the held ``verified_claims`` element in the UK profile of OIDC for Identity Assurance 1.0 §5."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from federation.service.database import create_store_engine
from idp.core.identity import identity_of, scores_of
from idp.core.passwords import PasswordHasher
from idp.core.seed import DEV_PASSWORD, PERSONAS, seed_development_accounts
from idp.migrate import MIGRATIONS
from idp.store.accounts import Account, AccountStore
from schemas.evidence import CheckMethod
from schemas.gpg45 import LevelOfConfidence, evaluate
from schemas.verified_claims import VerifiedClaims, read_gpg45_scores
from tests.dbkit import database

NOW = 1_790_000_000


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def accounts(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AccountStore]:
    """An account store on a migrated database, with the development personas."""
    with database(request.param, tmp_path_factory.mktemp("identity")) as url:
        engine = create_store_engine(url)
        MIGRATIONS.migrate(engine)
        store = AccountStore(engine, lambda: NOW)
        seed_development_accounts(store, PasswordHasher("fast"))
        try:
            yield store
        finally:
            engine.dispose()


def persona(accounts: AccountStore, level: str) -> Account:
    username = next(p.username for p in PERSONAS if p.expected_level == level)
    found = accounts.by_username(username)
    assert found is not None
    return found


def fresh(accounts: AccountStore, claims: dict[str, Any] | None = None) -> Account:
    return accounts.create(f"{uuid.uuid4().hex[:10]}@example.test", "x", claims or {"given_name": "Sam"})


def record(check_id: str, method: str = "data") -> dict[str, Any]:
    return {
        "type": "electronic_record",
        "check_details": [{"check_method": method, "check_id": check_id}],
        "record": {"type": "bank_account"},
    }


@pytest.mark.parametrize(
    ("level", "expected", "profile"),
    [
        ("low", LevelOfConfidence.LOW, "l1a"),
        ("medium", LevelOfConfidence.MEDIUM, "m1b"),
        ("high", LevelOfConfidence.HIGH, "h1a"),
    ],
)
def test_gpg45_level_comes_from_the_evaluator(
    accounts: AccountStore, level: str, expected: LevelOfConfidence, profile: str
) -> None:
    account = persona(accounts, level)
    identity = identity_of(accounts, account, NOW)
    assert identity.level is expected
    assert profile.upper() in identity.profiles
    assert identity.profiles == evaluate(scores_of(accounts.evidence_of(account.id))).profiles
    element = identity.verified_claims
    assert element is not None
    verification = element.verification
    assert verification.trust_framework == "uk_diatf"
    assert verification.assurance_level == expected.value
    assert verification.assurance_process is not None
    assert verification.assurance_process.policy == "gpg45"
    assert verification.assurance_process.procedure == profile
    result = verification.gpg45_result()
    assert result is not None and result.level is expected


def test_ida_section_5_held_element_round_trips_through_the_schema(accounts: AccountStore) -> None:
    account = persona(accounts, "medium")
    identity = identity_of(accounts, account, NOW)
    assert identity.verified_claims is not None
    wire = identity.verified_claims.to_json_dict()
    again = VerifiedClaims.model_validate(wire)
    scores = scores_of(accounts.evidence_of(account.id))
    assert again.verification.gpg45 == scores
    key = read_gpg45_scores(again.verification.assurance_process)
    assert key == (((3, 2),), 1, 2, 2)
    details = wire["verification"]["assurance_process"]["assurance_details"]
    assert details == [
        {
            "assurance_type": "evidence_validation",
            "assurance_classification": "score_2",
            "evidence_ref": [
                {
                    "check_id": "dl-image-m1",
                    "evidence_metadata": {"evidence_classification": "score_3_strength"},
                },
                {"check_id": "dl-dvla-m1"},
            ],
        },
        {
            "assurance_type": "activity_history",
            "assurance_classification": "score_1",
            "evidence_ref": [{"check_id": "cra-m1"}],
        },
        {
            "assurance_type": "counter_fraud",
            "assurance_classification": "score_2",
            "evidence_ref": [{"check_id": "cra-m1"}],
        },
        {
            "assurance_type": "verification",
            "assurance_classification": "score_2",
            "evidence_ref": [{"check_id": "dl-kbv-m1"}],
        },
    ]
    assert wire["verification"]["time"] == "2026-09-21T14:13:20Z"
    assert sorted(e["type"] for e in wire["verification"]["evidence"]) == ["document", "electronic_record"]


def test_ida_section_5_verified_claims_hold_only_claims_allowed_inside(accounts: AccountStore) -> None:
    identity = identity_of(accounts, persona(accounts, "high"), NOW)
    assert identity.verified_claims is not None
    claims = identity.verified_claims.claims.to_json_dict()
    assert set(claims) == {"given_name", "family_name", "birthdate", "address", "nhs_number"}
    assert claims["address"]["uprn"] == "77123456"
    assert CheckMethod.BVR in identity.check_methods and CheckMethod.VCRYPT in identity.check_methods


def test_no_evidence_no_identity(accounts: AccountStore) -> None:
    identity = identity_of(accounts, fresh(accounts), NOW)
    assert identity.level is None and identity.verified_claims is None
    assert identity.profiles == () and identity.check_methods == frozenset()


def test_gpg45_evidence_meeting_no_profile_gives_no_level(accounts: AccountStore) -> None:
    account = fresh(accounts)
    accounts.add_evidence(account.id, "electronic_record", record("weak-1"), {"strength": 1, "validity": 1})
    identity = identity_of(accounts, account, NOW)
    assert identity.level is None and identity.verified_claims is None
    assert identity.check_methods == frozenset({CheckMethod.DATA})


def test_gpg45_very_high_profile(accounts: AccountStore) -> None:
    account = fresh(accounts)
    accounts.add_evidence(
        account.id,
        "document",
        {
            **record("v-1", "vcrypt"),
            "check_details": [
                {"check_method": "vcrypt", "check_id": "v-1"},
                {"check_method": "bvp", "check_id": "v-2"},
            ],
        },
        {"strength": 4, "validity": 4, "verification": 4},
    )
    identity = identity_of(accounts, account, NOW)
    assert identity.level is LevelOfConfidence.VERY_HIGH
    assert identity.verified_claims is not None
    process = identity.verified_claims.verification.assurance_process
    assert process is not None and process.procedure == "v1d"


def test_malformed_evidence_records_are_left_out(accounts: AccountStore) -> None:
    account = fresh(accounts)
    accounts.add_evidence(
        account.id, "electronic_record", {"type": "electronic_record", "record": {}}, {"strength": 4}
    )
    accounts.add_evidence(
        account.id, "electronic_record", record("bad-score"), {"strength": 9, "validity": 4}
    )
    accounts.add_evidence(
        account.id, "electronic_record", {"type": "electronic_record"}, {"strength": 3, "validity": 3}
    )
    accounts.add_evidence(
        account.id,
        "electronic_record",
        record("good-1"),
        {"strength": 2, "validity": 2, "identity_fraud": 1, "verification": 1},
    )
    identity = identity_of(accounts, account, NOW)
    assert identity.level is LevelOfConfidence.LOW
    assert identity.verified_claims is not None
    assert len(identity.verified_claims.verification.evidence or ()) == 1


def test_evidence_recorded_after_now_does_not_count(accounts: AccountStore) -> None:
    assert identity_of(accounts, persona(accounts, "high"), NOW - 1).level is None


def test_seeded_password_is_documented(accounts: AccountStore) -> None:
    account = persona(accounts, "low")
    assert PasswordHasher("fast").verify(account.password_hash, DEV_PASSWORD)
