"""OpenID Federation 1.0 §10 (resolving a trust chain) and §4 (the chain): the happy paths."""

from __future__ import annotations

import httpx
import pytest

from federation.errors import Check, InvalidTrustAnchor, InvalidTrustChain
from federation.resolver import ResolverLimits
from tests.federation.fedkit import IDP, INTERMEDIATE, LEAF, TA, TestFederation, run


@pytest.fixture
def fed() -> TestFederation:
    return TestFederation.three_level()


def test_10_1_three_statement_chain_resolves_leaf_to_anchor(fed: TestFederation) -> None:
    chain = run(fed.resolver().resolve(LEAF))
    assert [(s.iss, s.sub) for s in chain.statements] == [
        (LEAF, LEAF),
        (INTERMEDIATE, LEAF),
        (TA, INTERMEDIATE),
        (TA, TA),
    ]
    assert chain.subject == LEAF
    assert chain.trust_anchor == TA
    assert chain.path == (LEAF, INTERMEDIATE, TA)
    assert chain.jwts() == [s.jwt for s in chain.statements]
    assert all(chain.jwts())
    assert chain.metadata["openid_relying_party"]["redirect_uris"] == [f"{LEAF}/callback"]


def test_4_chain_expiry_is_the_earliest_exp(fed: TestFederation) -> None:
    fed.entities[TA].subordinates[INTERMEDIATE].lifetime = 600
    chain = run(fed.resolver().resolve(LEAF))
    assert [s.exp - int(fed.now) for s in chain.statements] == [3600, 3600, 600, 3600]
    assert chain.exp == int(fed.now) + 600


def test_4_1_a_trust_anchor_resolves_to_its_own_configuration(fed: TestFederation) -> None:
    chain = run(fed.resolver().resolve(TA))
    assert [(s.iss, s.sub) for s in chain.statements] == [(TA, TA)]
    assert chain.path == (TA,)


def test_10_1_entity_types_filter_the_resolved_metadata(fed: TestFederation) -> None:
    chain = run(fed.resolver().resolve(IDP, entity_types=["openid_provider"]))
    assert list(chain.metadata) == ["openid_provider"]


def test_10_1_missing_requested_entity_type_is_reported(fed: TestFederation) -> None:
    with pytest.raises(InvalidTrustChain) as err:
        run(fed.resolver().resolve(IDP, entity_types=["openid_relying_party"]))
    assert err.value.path_errors[0][1].check is Check.METADATA
    assert "https://idp.example has no openid_relying_party metadata" in err.value.description


def test_10_1_several_superiors_are_tried_in_turn(fed: TestFederation) -> None:
    fed.add("https://broken.example", authority=True)
    fed.entities[LEAF].authority_hints = ["https://broken.example", INTERMEDIATE]
    chain = run(fed.resolver().resolve(LEAF))
    assert chain.path == (LEAF, INTERMEDIATE, TA)


def test_10_1_each_failed_path_is_reported(fed: TestFederation) -> None:
    fed.entities[LEAF].authority_hints = ["https://nowhere.example", INTERMEDIATE]
    fed.serve_token(fed.fetch_url(INTERMEDIATE, LEAF), httpx.Response(404, json={"error": "not_found"}))
    with pytest.raises(InvalidTrustChain) as err:
        run(fed.resolver().resolve(LEAF))
    paths = [path for path, _ in err.value.path_errors]
    assert paths == [(LEAF, "https://nowhere.example"), (LEAF, INTERMEDIATE)]
    assert err.value.description.startswith(
        f"no valid trust chain from {LEAF}: via {LEAF} -> https://nowhere.example"
    )
    assert all(exc.check is Check.HTTP_STATUS for _, exc in err.value.path_errors)


def test_10_1_only_a_configured_trust_anchor_may_be_asked_for(fed: TestFederation) -> None:
    with pytest.raises(InvalidTrustAnchor) as err:
        run(fed.resolver().resolve(LEAF, trust_anchor="https://other-ta.example"))
    assert err.value.error == "invalid_trust_anchor"
    assert err.value.description == "https://other-ta.example is not a configured trust anchor"


def test_10_1_one_of_several_anchors_is_reached(fed: TestFederation) -> None:
    fed.add("https://other-ta.example", authority=True)
    chain = run(fed.resolver("https://other-ta.example", TA).resolve(LEAF))
    assert chain.trust_anchor == TA


def test_10_4_chains_are_cached_until_they_expire(fed: TestFederation) -> None:
    resolver = fed.resolver()
    run(resolver.resolve(LEAF))
    fetched = len(fed.requests)
    assert fetched == 5  # leaf EC, intermediate EC, its statement, anchor EC, its statement
    run(resolver.resolve(LEAF))
    assert len(fed.requests) == fetched
    fed.now += fed.lifetime + 120  # past exp and the leeway
    run(resolver.resolve(LEAF))
    assert len(fed.requests) == 2 * fetched


def test_10_4_statement_cache_is_shared_between_subjects(fed: TestFederation) -> None:
    resolver = fed.resolver()
    run(resolver.resolve(LEAF))
    before = len(fed.requests)
    run(resolver.resolve(IDP))
    # only the IdP's own configuration and the anchor's statement about it are new
    assert fed.requests[before:] == [fed.ec_url(IDP), fed.fetch_url(TA, IDP)]


def test_10_1_fetch_budget_bounds_a_hostile_fan_out(fed: TestFederation) -> None:
    for i in range(4):
        fed.add(f"https://spam{i}.example", authority=True)
    fed.entities[LEAF].authority_hints = [f"https://spam{i}.example" for i in range(4)]
    for i in range(4):
        fed.entities[f"https://spam{i}.example"].subordinates[LEAF] = fed.entities[INTERMEDIATE].subordinates[
            LEAF
        ]
        fed.entities[f"https://spam{i}.example"].authority_hints = [
            f"https://spam{j}.example" for j in range(4)
        ]
    with pytest.raises(InvalidTrustChain) as err:
        run(fed.resolver(limits=ResolverLimits(max_fetches=10)).resolve(LEAF))
    assert any(exc.check is Check.DEPTH for _, exc in err.value.path_errors)
    assert len(fed.requests) <= 10
