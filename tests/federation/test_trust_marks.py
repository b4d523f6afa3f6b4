"""OpenID Federation 1.0 §7 (trust marks) and §8.4 (trust mark status): issue, verify, revoke."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from federation.errors import Check, InvalidTrustMark
from federation.jose import JwtType
from federation.keys import KeyStore
from federation.trust_marks import (
    TrustMarkStatus,
    issue_delegation,
    issue_trust_mark,
    parse_status_response,
    request_status,
    sign_status_response,
    verify_in_federation,
    verify_trust_mark,
)
from tests.federation.fedkit import IDP, INTERMEDIATE, LEAF, TA, TestFederation, run

CERTIFIED = f"{TA}/trust-mark-types/certified-idsp"
NHS = f"{TA}/trust-mark-types/nhs-organisation"
OWNER = "https://nhs-england.example"


@pytest.fixture
def fed() -> TestFederation:
    fed = TestFederation.three_level()
    fed.entities[TA].trust_mark_issuers = {CERTIFIED: [TA], NHS: [INTERMEDIATE]}
    return fed


def certify(fed: TestFederation, subject: str = IDP, **changes: object) -> str:
    token = issue_trust_mark(
        fed.entities[TA].keys, issuer=TA, subject=subject, trust_mark_type=CERTIFIED, iat=int(fed.now)
    )
    if changes:
        _header, payload, _signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "==")) | changes
        token = fed.sign(claims, by=TA, typ=JwtType.TRUST_MARK)
    return token


def verify(fed: TestFederation, token: str, *, subject: str = IDP, check_status: bool = True) -> object:
    resolver = fed.resolver()
    return run(
        verify_in_federation(
            token, resolver, fed.fetcher(), trust_anchor=TA, subject=subject, check_status=check_status
        )
    )


def test_7_3_trust_mark_issued_by_the_anchor_verifies(fed: TestFederation) -> None:
    token = certify(fed)
    mark = run(verify_in_federation(token, fed.resolver(), fed.fetcher(), trust_anchor=TA, subject=IDP))
    assert (mark.iss, mark.sub, mark.trust_mark_type) == (TA, IDP, CERTIFIED)
    assert mark.exp == int(fed.now) + 365 * 86400


def test_7_3_trust_mark_issued_by_a_member_is_verified_with_its_resolved_keys(fed: TestFederation) -> None:
    token = issue_trust_mark(
        fed.entities[INTERMEDIATE].keys,
        issuer=INTERMEDIATE,
        subject=LEAF,
        trust_mark_type=NHS,
        iat=int(fed.now),
    )
    mark = run(verify_in_federation(token, fed.resolver(), fed.fetcher(), trust_anchor=TA, subject=LEAF))
    assert mark.iss == INTERMEDIATE


def test_7_1_trust_mark_with_the_wrong_typ(fed: TestFederation) -> None:
    token = fed.sign(
        {"iss": TA, "sub": IDP, "trust_mark_type": CERTIFIED, "iat": int(fed.now)},
        by=TA,
        typ=JwtType.ENTITY_STATEMENT,
    )
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, token)
    assert err.value.check is Check.TYP
    assert err.value.description == "trust mark: JWT typ is 'entity-statement+jwt', expected 'trust-mark+jwt'"


def test_7_3_expired_trust_mark(fed: TestFederation) -> None:
    token = certify(fed, iat=int(fed.now) - 7200, exp=int(fed.now) - 3600)
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, token)
    assert err.value.check is Check.EXP
    assert err.value.description == f"trust mark {CERTIFIED} expired (exp {int(fed.now) - 3600})"


def test_7_3_trust_mark_without_exp_does_not_expire(fed: TestFederation) -> None:
    token = issue_trust_mark(
        fed.entities[TA].keys,
        issuer=TA,
        subject=IDP,
        trust_mark_type=CERTIFIED,
        iat=int(fed.now),
        lifetime=None,
    )
    assert "exp" not in json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    verify(fed, token)


def test_8_4_revoked_trust_mark(fed: TestFederation) -> None:
    token = certify(fed)
    fed.entities[TA].trust_mark_status[token] = TrustMarkStatus.REVOKED
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, token)
    assert err.value.check is Check.STATUS
    assert err.value.description == f"trust mark {CERTIFIED} for {IDP} is revoked (status from {TA})"
    verify(fed, token, check_status=False)  # the signature itself is still good


def test_7_3_issuer_the_anchor_does_not_allow(fed: TestFederation) -> None:
    token = issue_trust_mark(
        fed.entities[INTERMEDIATE].keys,
        issuer=INTERMEDIATE,
        subject=IDP,
        trust_mark_type=CERTIFIED,
        iat=int(fed.now),
    )
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, token)
    assert err.value.check is Check.TRUST_MARK_ISSUER
    assert err.value.description == f"trust anchor {TA} does not allow {INTERMEDIATE} to issue {CERTIFIED}"


def test_7_3_trust_mark_type_the_anchor_does_not_recognise(fed: TestFederation) -> None:
    token = issue_trust_mark(
        fed.entities[TA].keys,
        issuer=TA,
        subject=IDP,
        trust_mark_type=f"{TA}/trust-mark-types/other",
        iat=int(fed.now),
    )
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, token)
    assert err.value.check is Check.TRUST_MARK_ISSUER
    assert (
        err.value.description
        == f"trust anchor {TA} does not recognise trust mark type {TA}/trust-mark-types/other"
    )


def test_7_3_issuer_outside_the_federation(fed: TestFederation) -> None:
    outsider = KeyStore.open(None)
    token = issue_trust_mark(
        outsider, issuer="https://outsider.example", subject=IDP, trust_mark_type=CERTIFIED, iat=int(fed.now)
    )
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, token)
    assert err.value.check is Check.TRUST_MARK_ISSUER
    assert err.value.description.startswith(
        "trust mark issuer https://outsider.example has no valid trust chain: "
    )


def test_7_3_trust_mark_signed_with_another_key(fed: TestFederation) -> None:
    token = issue_trust_mark(
        fed.entities[IDP].keys, issuer=TA, subject=IDP, trust_mark_type=CERTIFIED, iat=int(fed.now)
    )
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, token)
    assert err.value.check is Check.KID


def test_7_3_trust_mark_about_another_subject(fed: TestFederation) -> None:
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, certify(fed, subject=LEAF))
    assert err.value.check is Check.SUB
    assert err.value.description == f"trust mark is about {LEAF}, expected {IDP}"


def test_7_3_trust_mark_of_an_unexpected_type(fed: TestFederation) -> None:
    chain = run(fed.resolver().resolve(TA))
    with pytest.raises(InvalidTrustMark) as err:
        verify_trust_mark(
            certify(fed),
            anchor=chain.leaf,
            issuer_keys=chain.leaf.keys(),
            now=fed.now,
            subject=IDP,
            trust_mark_type=NHS,
        )
    assert err.value.check is Check.TRUST_MARK_TYPE


def owned(fed: TestFederation) -> KeyStore:
    """Make NHS trust marks owned by OWNER, delegated to the intermediate."""
    owner_keys = KeyStore.open(None)
    fed.entities[TA].trust_mark_owners = {NHS: {"sub": OWNER, "jwks": owner_keys.public_jwks()}}
    return owner_keys


def nhs_mark(fed: TestFederation, delegation: str | None) -> str:
    return issue_trust_mark(
        fed.entities[INTERMEDIATE].keys,
        issuer=INTERMEDIATE,
        subject=LEAF,
        trust_mark_type=NHS,
        iat=int(fed.now),
        delegation=delegation,
    )


def test_7_2_1_delegated_trust_mark_verifies(fed: TestFederation) -> None:
    owner_keys = owned(fed)
    delegation = issue_delegation(
        owner_keys, owner=OWNER, issuer=INTERMEDIATE, trust_mark_type=NHS, iat=int(fed.now)
    )
    verify(fed, nhs_mark(fed, delegation), subject=LEAF)


def test_7_2_1_owned_type_without_delegation(fed: TestFederation) -> None:
    owned(fed)
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, nhs_mark(fed, None), subject=LEAF)
    assert err.value.check is Check.DELEGATION
    assert err.value.description == (
        f"trust mark type {NHS} has an owner, and the trust mark carries no delegation"
    )


def test_7_2_1_delegation_signed_by_someone_other_than_the_owner(fed: TestFederation) -> None:
    owned(fed)
    forged = issue_delegation(
        fed.entities[INTERMEDIATE].keys,
        owner=OWNER,
        issuer=INTERMEDIATE,
        trust_mark_type=NHS,
        iat=int(fed.now),
    )
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, nhs_mark(fed, forged), subject=LEAF)
    assert err.value.check is Check.DELEGATION
    assert err.value.description.startswith("delegation: no trusted key has kid")


def test_7_2_1_delegation_to_another_issuer(fed: TestFederation) -> None:
    owner_keys = owned(fed)
    delegation = issue_delegation(owner_keys, owner=OWNER, issuer=IDP, trust_mark_type=NHS, iat=int(fed.now))
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, nhs_mark(fed, delegation), subject=LEAF)
    assert err.value.check is Check.DELEGATION
    assert err.value.description == f"delegation is for {IDP}, the trust mark is issued by {INTERMEDIATE}"


def test_7_2_1_expired_delegation(fed: TestFederation) -> None:
    owner_keys = owned(fed)
    delegation = issue_delegation(
        owner_keys,
        owner=OWNER,
        issuer=INTERMEDIATE,
        trust_mark_type=NHS,
        iat=int(fed.now) - 7200,
        lifetime=3600,
    )
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, nhs_mark(fed, delegation), subject=LEAF)
    assert err.value.check is Check.DELEGATION
    assert err.value.description == f"delegation expired (exp {int(fed.now) - 3600})"


def test_8_4_2_status_response_is_signed_by_the_issuer(fed: TestFederation) -> None:
    token = certify(fed)
    answer = sign_status_response(
        fed.entities[IDP].keys, issuer=TA, trust_mark=token, status=TrustMarkStatus.ACTIVE, iat=0
    )
    with pytest.raises(InvalidTrustMark) as err:
        parse_status_response(
            answer, issuer=TA, issuer_keys=fed.entities[TA].keys.key_set(), trust_mark=token, now=fed.now
        )
    assert err.value.check is Check.KID


def test_8_4_2_status_response_about_another_trust_mark(fed: TestFederation) -> None:
    token = certify(fed)
    answer = sign_status_response(
        fed.entities[TA].keys,
        issuer=TA,
        trust_mark=certify(fed, subject=LEAF),
        status=TrustMarkStatus.ACTIVE,
        iat=0,
    )
    with pytest.raises(InvalidTrustMark) as err:
        parse_status_response(
            answer, issuer=TA, issuer_keys=fed.entities[TA].keys.key_set(), trust_mark=token, now=fed.now
        )
    assert err.value.check is Check.STATUS
    assert err.value.description == "status response is about another trust mark"


def test_8_4_2_status_response_with_an_unknown_status(fed: TestFederation) -> None:
    token = certify(fed)
    answer = fed.sign(
        {"iss": TA, "iat": int(fed.now), "trust_mark": token, "status": "suspended"},
        by=TA,
        typ=JwtType.TRUST_MARK_STATUS_RESPONSE,
    )
    with pytest.raises(InvalidTrustMark) as err:
        parse_status_response(
            answer, issuer=TA, issuer_keys=fed.entities[TA].keys.key_set(), trust_mark=token, now=fed.now
        )
    assert err.value.check is Check.STATUS
    assert err.value.description == "unknown trust mark status 'suspended'"


def test_8_4_status_endpoint_answering_html(fed: TestFederation) -> None:
    token = certify(fed)
    fed.serve_token(
        f"{TA}/trust-mark-status",
        httpx.Response(200, text="<html></html>", headers={"content-type": "text/html"}),
    )
    chain = run(fed.resolver().resolve(TA))
    with pytest.raises(InvalidTrustMark) as err:
        run(request_status(fed.fetcher(), chain.leaf, token, now=fed.now))
    assert err.value.check is Check.CONTENT_TYPE
    assert err.value.description.startswith(f"trust mark status from {TA}: ")


@pytest.mark.parametrize("status", list(TrustMarkStatus))
def test_8_4_2_every_status_is_reported(fed: TestFederation, status: TrustMarkStatus) -> None:
    token = certify(fed)
    fed.entities[TA].trust_mark_status[token] = status
    chain = run(fed.resolver().resolve(TA))
    assert run(request_status(fed.fetcher(), chain.leaf, token, now=fed.now)) is status


def test_3_empty_issuer_list_lets_anyone_issue_the_type(fed: TestFederation) -> None:
    fed.entities[TA].trust_mark_issuers[NHS] = []
    token = issue_trust_mark(
        fed.entities[IDP].keys, issuer=IDP, subject=LEAF, trust_mark_type=NHS, iat=int(fed.now)
    )
    fed.entities[IDP].metadata["federation_entity"]["federation_trust_mark_status_endpoint"] = (
        f"{IDP}/trust-mark-status"
    )
    assert (
        run(verify_in_federation(token, fed.resolver(), fed.fetcher(), trust_anchor=TA, subject=LEAF)).iss
        == IDP
    )


def test_17_5_unlisted_type_is_accepted_only_when_the_policy_allows(fed: TestFederation) -> None:
    other = f"{TA}/trust-mark-types/other"
    token = issue_trust_mark(
        fed.entities[TA].keys, issuer=TA, subject=IDP, trust_mark_type=other, iat=int(fed.now)
    )
    anchor = run(fed.resolver().resolve(TA)).leaf
    mark = verify_trust_mark(
        token, anchor=anchor, issuer_keys=anchor.keys(), now=fed.now, subject=IDP, require_listed_type=False
    )
    assert mark.trust_mark_type == other


def test_7_3_delegation_without_an_owner_is_refused(fed: TestFederation) -> None:
    owner_keys = KeyStore.open(None)
    delegation = issue_delegation(
        owner_keys, owner=OWNER, issuer=INTERMEDIATE, trust_mark_type=NHS, iat=int(fed.now)
    )
    with pytest.raises(InvalidTrustMark) as err:
        verify(fed, nhs_mark(fed, delegation), subject=LEAF)
    assert err.value.check is Check.DELEGATION
    assert (
        err.value.description
        == f"trust mark carries a delegation, but trust anchor {TA} names no owner for {NHS}"
    )


def test_7_2_1_delegation_may_carry_ref(fed: TestFederation) -> None:
    owner_keys = owned(fed)
    delegation = issue_delegation(
        owner_keys,
        owner=OWNER,
        issuer=INTERMEDIATE,
        trust_mark_type=NHS,
        iat=int(fed.now),
        ref="https://nhs.example/tm",
    )
    verify(fed, nhs_mark(fed, delegation), subject=LEAF)
