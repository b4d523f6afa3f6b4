"""Trust chains handed over by a resolver: OpenID Federation 1.0 §4 (a chain, leaf first), §10.2
(each statement verified with the keys the one above vouches for, from the pinned anchor down) and
§8.3.2 (the resolve response, signed by the anchor, about the subject, unexpired)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pytest
from joserfc.jwk import ECKey

from federation.errors import Check, FederationError, InvalidJwt, InvalidTrustChain
from federation.jose import JwtType
from federation.keys import generate_key
from federation.presented import MAX_PRESENTED_CHAIN, verify_presented_chain, verify_resolve_response
from federation.trust_chain import TrustAnchor, TrustChain
from tests.federation.fedkit import IDP, INTERMEDIATE, LEAF, TA, TestFederation
from tests.relying_party.rpkit import NOW

CONTEXT = f"presented trust chain of {LEAF}: "


@pytest.fixture
def fed() -> TestFederation:
    return TestFederation.three_level(now=NOW)


def chain(fed: TestFederation) -> list[str]:
    """The GP leaf's chain: its configuration, the intermediate's and the anchor's statements, the
    anchor's configuration."""
    return [
        fed.configuration(LEAF),
        fed.subordinate(INTERMEDIATE, LEAF),
        fed.subordinate(TA, INTERMEDIATE),
        fed.configuration(TA),
    ]


def verify(
    fed: TestFederation,
    jwts: Any,
    *,
    subject: str = LEAF,
    anchors: dict[str, TrustAnchor] | None = None,
    now: float = NOW,
    entity_types: Collection[str] = (),
) -> TrustChain:
    return verify_presented_chain(
        jwts, anchors if anchors is not None else {TA: fed.anchor()}, subject=subject, now=now,
        entity_types=entity_types,
    )  # fmt: skip


def refused(fed: TestFederation, jwts: Any, **kwargs: Any) -> FederationError:
    with pytest.raises(FederationError) as caught:
        verify(fed, jwts, **kwargs)
    return caught.value


# -- §4, §10.2: a presented chain ---------------------------------------------------------------------
def test_10_2_a_valid_chain_verifies_and_resolves_metadata(fed: TestFederation) -> None:
    jwts = chain(fed)
    found = verify(fed, jwts)
    assert found.path == (LEAF, INTERMEDIATE, TA)
    assert found.trust_anchor == TA
    assert found.exp == NOW + fed.lifetime
    assert found.jwts() == jwts
    assert found.metadata["openid_relying_party"]["redirect_uris"] == [f"{LEAF}/callback"]


def test_10_2_a_provider_directly_below_the_anchor_verifies(fed: TestFederation) -> None:
    jwts = [fed.configuration(IDP), fed.subordinate(TA, IDP), fed.configuration(TA)]
    found = verify(fed, jwts, subject=IDP, entity_types=["openid_provider"])
    assert found.path == (IDP, TA)
    assert found.metadata == {"openid_provider": {"issuer": IDP}}


def test_10_2_a_statement_signed_by_a_key_not_vouched_for_is_refused(fed: TestFederation) -> None:
    jwts = chain(fed)
    stranger = generate_key()
    jwts[1] = fed.sign(fed.subordinate_claims(INTERMEDIATE, LEAF), key=stranger)
    error = refused(fed, jwts)
    assert isinstance(error, InvalidJwt)
    assert error.check is Check.KID
    assert error.description == f"{CONTEXT}no trusted key has kid {stranger.kid!r}"


def test_10_2_a_forged_statement_reusing_the_vouched_kid_is_refused(fed: TestFederation) -> None:
    kid = fed.entities[INTERMEDIATE].keys.signing_key().kid
    forger = ECKey.import_key(dict(generate_key().as_dict(private=True)), {"kid": kid})
    jwts = chain(fed)
    jwts[1] = fed.sign(fed.subordinate_claims(INTERMEDIATE, LEAF), key=forger)
    error = refused(fed, jwts)
    assert error.check is Check.SIGNATURE
    assert error.description == f"{CONTEXT}signature does not verify with key {kid!r}"


def test_10_2_a_leaf_configuration_signed_by_a_key_its_superior_does_not_vouch_for(
    fed: TestFederation,
) -> None:
    fed.entities[INTERMEDIATE].subordinates[LEAF].jwks = fed.entities[TA].keys.public_jwks()
    error = refused(fed, chain(fed))
    assert error.check is Check.KID
    assert error.description.startswith(f"{CONTEXT}no trusted key has kid ")


def test_10_1_a_chain_ending_at_an_unknown_anchor_is_refused(fed: TestFederation) -> None:
    other = TestFederation.three_level(base="https://other.example", now=NOW)
    error = refused(fed, chain(fed), anchors={"https://other.example/ta": other.anchor()})
    assert isinstance(error, InvalidTrustChain)
    assert error.check is Check.TRUST_ANCHOR
    assert error.description == f"the chain ends at {TA}, not a trusted anchor"


def test_10_1_an_anchor_configuration_not_signed_by_the_pinned_keys_is_refused(fed: TestFederation) -> None:
    impostor = TestFederation.three_level(now=NOW)
    pinned = impostor.anchor()
    error = refused(fed, chain(fed), anchors={TA: pinned})
    assert error.check is Check.KID
    assert error.description == (
        f"{CONTEXT}no trusted key has kid {fed.entities[TA].keys.signing_key().kid!r}"
    )


def test_10_2_a_statement_issued_by_someone_other_than_the_superior_is_refused(fed: TestFederation) -> None:
    jwts = chain(fed)
    claims = fed.subordinate_claims(INTERMEDIATE, LEAF) | {"iss": "https://rogue.example"}
    jwts[1] = fed.sign(claims, by=INTERMEDIATE)
    error = refused(fed, jwts)
    assert error.check is Check.ISS
    assert error.description == (
        f"{CONTEXT}subordinate statement issued by https://rogue.example, expected {INTERMEDIATE}"
    )


def test_10_2_a_chain_about_another_entity_is_refused(fed: TestFederation) -> None:
    error = refused(fed, chain(fed), subject=IDP)
    assert isinstance(error, InvalidTrustChain)
    assert error.check is Check.SUB
    assert error.description == (
        f"presented trust chain of {IDP}: the chain's statements are about {LEAF}, not {IDP}"
    )


def test_10_2_a_leaf_configuration_of_another_entity_is_refused(fed: TestFederation) -> None:
    jwts = chain(fed)
    jwts[0] = fed.configuration(IDP)
    error = refused(fed, jwts)
    assert error.check is Check.SUB
    assert error.description == f"{CONTEXT}entity configuration is for {IDP}, expected {LEAF}"


def test_10_2_a_missing_link_is_refused(fed: TestFederation) -> None:
    jwts = chain(fed)
    del jwts[1]
    error = refused(fed, jwts)
    assert error.check is Check.SUB
    assert error.description == f"{CONTEXT}the chain's statements are about {INTERMEDIATE}, not {LEAF}"


def test_3_1_an_entity_configuration_in_place_of_a_subordinate_statement_is_refused(
    fed: TestFederation,
) -> None:
    jwts = chain(fed)
    jwts[1] = fed.configuration(INTERMEDIATE)
    error = refused(fed, jwts)
    assert error.check is Check.SUB
    assert error.description == f"{CONTEXT}a subordinate statement must not be about its own issuer"


def test_10_2_an_expired_statement_is_refused(fed: TestFederation) -> None:
    jwts = chain(fed)
    claims = fed.subordinate_claims(INTERMEDIATE, LEAF) | {"iat": NOW - 7200, "exp": NOW - 3600}
    jwts[1] = fed.sign(claims, by=INTERMEDIATE)
    error = refused(fed, jwts)
    assert error.check is Check.EXP
    assert error.description == f"{CONTEXT}statement by {INTERMEDIATE} expired (exp {NOW - 3600})"


def test_10_2_a_whole_chain_past_its_exp_is_refused(fed: TestFederation) -> None:
    error = refused(fed, chain(fed), now=NOW + fed.lifetime + 61)
    assert error.check is Check.EXP
    assert error.description == f"{CONTEXT}statement by {TA} expired (exp {NOW + fed.lifetime})"


def test_10_2_exp_within_the_leeway_still_verifies(fed: TestFederation) -> None:
    assert verify(fed, chain(fed), now=NOW + fed.lifetime + 59).path == (LEAF, INTERMEDIATE, TA)


@pytest.mark.parametrize("size", [0, 1, MAX_PRESENTED_CHAIN + 1])
def test_4_a_chain_of_the_wrong_length_is_refused(fed: TestFederation, size: int) -> None:
    jwts = (chain(fed) * 3)[:size]
    error = refused(fed, jwts)
    assert isinstance(error, InvalidTrustChain)
    assert error.check is Check.FORMAT
    assert error.description == f"a trust chain is an array of 2 to {MAX_PRESENTED_CHAIN} statements"


def test_4_a_chain_that_is_not_an_array_is_refused(fed: TestFederation) -> None:
    assert refused(fed, ".".join(chain(fed))).check is Check.FORMAT


def test_4_an_element_that_is_not_a_string_is_refused(fed: TestFederation) -> None:
    jwts: list[object] = [*chain(fed)]
    jwts[1] = {"jwt": jwts[1]}
    error = refused(fed, jwts)
    assert error.check is Check.FORMAT
    assert error.description == f"{CONTEXT}a trust chain element is not a JWT string"


# -- §8.3.2: a resolve response -----------------------------------------------------------------------
def resolve_claims(fed: TestFederation, **changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": TA,
        "sub": LEAF,
        "iat": NOW,
        "exp": NOW + 600,
        "metadata": {"openid_relying_party": {"redirect_uris": ["https://evil.example/cb"]}},
        "trust_chain": chain(fed),
        "trust_marks": [{"trust_mark_type": f"{TA}/tm", "trust_mark": "a.b.c"}, "not a mark"],
    }
    claims.update(changes)
    return claims


def resolve(fed: TestFederation, token: str, *, subject: str = LEAF) -> tuple[TrustChain, list[Any]]:
    return verify_resolve_response(token, fed.anchor(), subject=subject, now=NOW)


def resolve_refused(fed: TestFederation, token: str) -> FederationError:
    with pytest.raises(FederationError) as caught:
        resolve(fed, token)
    return caught.value


def test_8_3_2_a_resolve_response_gives_the_verified_chain_and_its_marks(fed: TestFederation) -> None:
    found, marks = resolve(fed, fed.sign(resolve_claims(fed), by=TA, typ=JwtType.RESOLVE_RESPONSE))
    assert found.path == (LEAF, INTERMEDIATE, TA)
    # the metadata is the chain's, never the resolver's word
    assert found.metadata["openid_relying_party"]["redirect_uris"] == [f"{LEAF}/callback"]
    assert marks == [{"trust_mark_type": f"{TA}/tm", "trust_mark": "a.b.c"}]


def test_8_3_2_a_resolve_response_signed_by_another_key_is_refused(fed: TestFederation) -> None:
    stranger = generate_key()
    error = resolve_refused(fed, fed.sign(resolve_claims(fed), key=stranger, typ=JwtType.RESOLVE_RESPONSE))
    assert error.check is Check.KID
    assert error.description == f"no trusted key has kid {stranger.kid!r}"


def test_8_3_2_a_resolve_response_of_another_type_is_refused(fed: TestFederation) -> None:
    error = resolve_refused(fed, fed.sign(resolve_claims(fed), by=TA))
    assert error.check is Check.TYP
    assert error.description == "JWT typ is 'entity-statement+jwt', expected 'resolve-response+jwt'"


def test_8_3_2_a_resolve_response_issued_by_another_entity_is_refused(fed: TestFederation) -> None:
    token = fed.sign(resolve_claims(fed, iss=INTERMEDIATE), by=TA, typ=JwtType.RESOLVE_RESPONSE)
    error = resolve_refused(fed, token)
    assert error.check is Check.ISS
    assert error.description == f"resolve response issued by {INTERMEDIATE!r}, not {TA}"


def test_8_3_2_a_resolve_response_about_another_subject_is_refused(fed: TestFederation) -> None:
    token = fed.sign(resolve_claims(fed, sub=IDP), by=TA, typ=JwtType.RESOLVE_RESPONSE)
    error = resolve_refused(fed, token)
    assert error.check is Check.SUB
    assert error.description == f"resolve response is about {IDP!r}, not {LEAF}"


def test_8_3_2_a_resolve_response_whose_chain_is_about_another_subject_is_refused(
    fed: TestFederation,
) -> None:
    other = [fed.configuration(IDP), fed.subordinate(TA, IDP), fed.configuration(TA)]
    token = fed.sign(resolve_claims(fed, trust_chain=other), by=TA, typ=JwtType.RESOLVE_RESPONSE)
    error = resolve_refused(fed, token)
    assert error.check is Check.SUB
    assert error.description == f"{CONTEXT}the chain's statements are about {IDP}, not {LEAF}"


def test_8_3_2_an_expired_resolve_response_is_refused(fed: TestFederation) -> None:
    token = fed.sign(resolve_claims(fed, iat=NOW - 700, exp=NOW - 61), by=TA, typ=JwtType.RESOLVE_RESPONSE)
    error = resolve_refused(fed, token)
    assert error.check is Check.EXP
    assert error.description == f"resolve response about {LEAF} has expired"


def test_8_3_2_a_resolve_response_issued_in_the_future_is_refused(fed: TestFederation) -> None:
    token = fed.sign(resolve_claims(fed, iat=NOW + 3600), by=TA, typ=JwtType.RESOLVE_RESPONSE)
    error = resolve_refused(fed, token)
    assert error.check is Check.IAT
    assert error.description == f"resolve response about {LEAF} is issued in the future or has no iat"


def test_8_3_2_a_resolve_response_without_a_chain_is_refused(fed: TestFederation) -> None:
    token = fed.sign(resolve_claims(fed, trust_chain=None), by=TA, typ=JwtType.RESOLVE_RESPONSE)
    error = resolve_refused(fed, token)
    assert error.check is Check.FORMAT
    assert error.description == f"a trust chain is an array of 2 to {MAX_PRESENTED_CHAIN} statements"
