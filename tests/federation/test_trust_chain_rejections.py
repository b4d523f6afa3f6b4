"""OpenID Federation 1.0 §10.2 (validating a trust chain): every forged or broken chain is refused.

Each test serves one bad statement in an otherwise valid federation and asserts the exact check
and message. A single path means the chain error carries that path's check.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from joserfc.jwk import ECKey

from federation.errors import Check, FederationError, InvalidMetadata, InvalidPolicy, InvalidTrustChain
from federation.jose import JwtType
from federation.keys import generate_key
from federation.resolver import ResolverLimits
from tests.federation.fedkit import IDP, INTERMEDIATE, LEAF, TA, TestFederation, run


@pytest.fixture
def fed() -> TestFederation:
    return TestFederation.three_level()


def only_error(fed: TestFederation, subject: str = LEAF, **kwargs: Any) -> FederationError:
    """Resolve ``subject`` expecting failure on a single path; return that path's error."""
    with pytest.raises(InvalidTrustChain) as err:
        run(fed.resolver(**kwargs).resolve(subject))
    assert len(err.value.path_errors) == 1, err.value.description
    assert err.value.error == "invalid_trust_chain"
    return err.value.path_errors[0][1]


def b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_10_2_wrong_typ_on_an_entity_configuration(fed: TestFederation) -> None:
    fed.serve_token(
        fed.ec_url(LEAF), fed.sign(fed.configuration_claims(LEAF), by=LEAF, typ=JwtType.TRUST_MARK)
    )
    exc = only_error(fed)
    assert exc.check is Check.TYP
    assert exc.description == (
        f"entity configuration of {LEAF}: JWT typ is 'trust-mark+jwt', expected 'entity-statement+jwt'"
    )


def test_10_2_wrong_typ_on_a_subordinate_statement(fed: TestFederation) -> None:
    token = fed.sign(
        fed.subordinate_claims(INTERMEDIATE, LEAF), by=INTERMEDIATE, typ=JwtType.RESOLVE_RESPONSE
    )
    fed.serve_token(fed.fetch_url(INTERMEDIATE, LEAF), token)
    exc = only_error(fed)
    assert exc.check is Check.TYP
    assert exc.description.startswith(f"subordinate statement by {INTERMEDIATE} about {LEAF}: JWT typ is")


def test_10_2_alg_none_is_never_accepted(fed: TestFederation) -> None:
    header = {"alg": "none", "typ": "entity-statement+jwt", "kid": "x"}
    claims = fed.subordinate_claims(INTERMEDIATE, LEAF)
    fed.serve_token(fed.fetch_url(INTERMEDIATE, LEAF), f"{b64(header)}.{b64(claims)}.c2lnbmF0dXJl")
    exc = only_error(fed)
    assert exc.check is Check.ALG
    assert exc.description.endswith("unsigned JWT (alg 'none') is never accepted")


def test_10_2_hmac_is_never_accepted(fed: TestFederation) -> None:
    header = {"alg": "HS256", "typ": "entity-statement+jwt", "kid": "x"}
    claims = fed.subordinate_claims(INTERMEDIATE, LEAF)
    fed.serve_token(fed.fetch_url(INTERMEDIATE, LEAF), f"{b64(header)}.{b64(claims)}.c2lnbmF0dXJl")
    exc = only_error(fed)
    assert exc.check is Check.ALG
    assert exc.description.endswith("HMAC algorithm 'HS256' is never accepted for federation JWTs")


def test_10_2_algorithm_outside_the_allow_list(fed: TestFederation) -> None:
    key = generate_key("ES384")
    claims = fed.configuration_claims(LEAF) | {
        "jwks": {"keys": [key.as_dict(private=False) | {"kid": key.kid}]}
    }
    fed.serve_token(fed.ec_url(LEAF), fed.sign(claims, key=key, alg="ES384"))
    exc = only_error(fed)
    assert exc.check is Check.ALG
    assert exc.description.endswith("algorithm 'ES384' is not allowed (allowed: ES256)")


def test_10_2_leaf_signed_with_a_key_its_superior_did_not_vouch_for(fed: TestFederation) -> None:
    rogue = fed.entities[LEAF].keys.rotate(
        overlap=0
    )  # the leaf rotates; the intermediate still lists the old key
    fed.entities[INTERMEDIATE].subordinates[LEAF].jwks = {
        "keys": [k.public_jwk() for k in fed.entities[LEAF].keys.managed_keys() if k.kid != rogue.kid]
    }
    exc = only_error(fed)
    assert exc.check is Check.KID
    assert exc.description == (
        f"entity configuration of {LEAF} is signed with a key that "
        f"subordinate statement by {INTERMEDIATE} about {LEAF} does not vouch for: "
        f"no trusted key has kid {rogue.kid!r}"
    )


def test_10_2_self_signature_alone_is_not_enough(fed: TestFederation) -> None:
    # An attacker publishes a configuration for the leaf with its own key in jwks.
    attacker = generate_key()
    claims = fed.configuration_claims(LEAF) | {
        "jwks": {"keys": [attacker.as_dict(private=False) | {"kid": attacker.kid}]}
    }
    fed.serve_token(fed.ec_url(LEAF), fed.sign(claims, key=attacker))
    exc = only_error(fed)
    assert exc.check is Check.KID
    assert "does not vouch for" in exc.description


def test_10_2_subordinate_statement_signed_by_someone_other_than_its_issuer(fed: TestFederation) -> None:
    forged = fed.sign(fed.subordinate_claims(INTERMEDIATE, LEAF), by=LEAF)
    fed.serve_token(fed.fetch_url(INTERMEDIATE, LEAF), forged)
    exc = only_error(fed)
    assert exc.check is Check.KID
    assert exc.description.startswith(
        f"subordinate statement by {INTERMEDIATE} about {LEAF}: no trusted key has kid"
    )


def test_10_2_intermediate_keys_not_vouched_for_by_the_anchor(fed: TestFederation) -> None:
    other = generate_key()
    fed.entities[TA].subordinates[INTERMEDIATE].jwks = {
        "keys": [other.as_dict(private=False) | {"kid": other.kid}]
    }
    exc = only_error(fed)
    assert exc.check is Check.KID
    assert exc.description == (
        f"entity configuration of {INTERMEDIATE} is signed with a key that "
        f"subordinate statement by {TA} about {INTERMEDIATE} does not vouch for: "
        f"no trusted key has kid {fed.entities[INTERMEDIATE].keys.signing_key().kid!r}"
    )


def test_10_2_anchor_configuration_must_verify_with_the_pinned_keys(fed: TestFederation) -> None:
    resolver = fed.resolver()  # pins the anchor's current key
    fed.entities[TA].keys.rotate(overlap=0)
    fed.entities[TA].keys.revoke(fed.entities[TA].keys.managed_keys()[1].kid)
    with pytest.raises(InvalidTrustChain) as err:
        run(resolver.resolve(IDP))
    exc = err.value.path_errors[0][1]
    assert exc.check is Check.KID
    assert exc.description.startswith(f"trust anchor entity configuration of {TA}: no trusted key has kid")


def test_10_2_unknown_kid(fed: TestFederation) -> None:
    claims = fed.subordinate_claims(INTERMEDIATE, LEAF)
    header_swap = fed.sign(claims, by=INTERMEDIATE).split(".")
    header = json.loads(base64.urlsafe_b64decode(header_swap[0] + "=="))
    header["kid"] = "not-a-known-kid"
    fed.serve_token(fed.fetch_url(INTERMEDIATE, LEAF), ".".join([b64(header), *header_swap[1:]]))
    exc = only_error(fed)
    assert exc.check is Check.KID
    assert exc.description.endswith("no trusted key has kid 'not-a-known-kid'")


def test_10_2_tampered_payload_fails_the_signature(fed: TestFederation) -> None:
    parts = fed.subordinate(INTERMEDIATE, LEAF).split(".")
    claims = fed.subordinate_claims(INTERMEDIATE, LEAF) | {"metadata": {"openid_relying_party": {"x": 1}}}
    fed.serve_token(fed.fetch_url(INTERMEDIATE, LEAF), f"{parts[0]}.{b64(claims)}.{parts[2]}")
    exc = only_error(fed)
    assert exc.check is Check.SIGNATURE


def test_10_2_expired_statement(fed: TestFederation) -> None:
    claims = fed.subordinate_claims(TA, INTERMEDIATE)
    claims |= {"iat": claims["iat"] - 7200, "exp": claims["iat"] - 3600}
    fed.serve_token(fed.fetch_url(TA, INTERMEDIATE), fed.sign(claims, by=TA))
    exc = only_error(fed)
    assert exc.check is Check.EXP
    assert exc.description == (
        f"subordinate statement by {TA} about {INTERMEDIATE}: statement by {TA} expired (exp {claims['exp']})"
    )


def test_10_2_future_dated_statement(fed: TestFederation) -> None:
    claims = fed.configuration_claims(LEAF)
    claims |= {"iat": claims["iat"] + 3600, "exp": claims["exp"] + 3600}
    fed.serve_token(fed.ec_url(LEAF), fed.sign(claims, by=LEAF))
    exc = only_error(fed)
    assert exc.check is Check.IAT
    assert exc.description.endswith(f"is issued in the future (iat {claims['iat']})")


def test_10_2_small_clock_skew_is_tolerated(fed: TestFederation) -> None:
    claims = fed.configuration_claims(LEAF)
    claims |= {"iat": claims["iat"] + 30}
    fed.serve_token(fed.ec_url(LEAF), fed.sign(claims, by=LEAF))
    assert run(fed.resolver().resolve(LEAF)).subject == LEAF


def test_10_2_subordinate_statement_about_another_subject(fed: TestFederation) -> None:
    fed.serve_token(fed.fetch_url(INTERMEDIATE, LEAF), fed.subordinate(TA, IDP))
    exc = only_error(fed)
    assert exc.check is Check.KID  # signed by the anchor, not by the intermediate


def test_10_2_iss_and_sub_must_link(fed: TestFederation) -> None:
    claims = fed.subordinate_claims(INTERMEDIATE, LEAF) | {"sub": "https://someone-else.example"}
    fed.serve_token(fed.fetch_url(INTERMEDIATE, LEAF), fed.sign(claims, by=INTERMEDIATE))
    exc = only_error(fed)
    assert exc.check is Check.SUB
    assert exc.description.endswith(
        f"subordinate statement is about https://someone-else.example, expected {LEAF}"
    )


def test_10_2_issuer_must_be_the_superior(fed: TestFederation) -> None:
    claims = fed.subordinate_claims(INTERMEDIATE, LEAF) | {"iss": "https://someone-else.example"}
    fed.serve_token(fed.fetch_url(INTERMEDIATE, LEAF), fed.sign(claims, by=INTERMEDIATE))
    exc = only_error(fed)
    assert exc.check is Check.ISS
    assert exc.description.endswith(
        f"subordinate statement issued by https://someone-else.example, expected {INTERMEDIATE}"
    )


def test_10_2_configuration_for_another_entity(fed: TestFederation) -> None:
    fed.serve_token(fed.ec_url(LEAF), fed.configuration(IDP))
    exc = only_error(fed)
    assert exc.check is Check.SUB
    assert (
        exc.description
        == f"entity configuration of {LEAF}: entity configuration is for {IDP}, expected {LEAF}"
    )


def test_10_1_authority_hints_loop(fed: TestFederation) -> None:
    fed.entities[INTERMEDIATE].authority_hints = [LEAF]
    fed.entities[LEAF].subordinates[INTERMEDIATE] = fed.entities[TA].subordinates[INTERMEDIATE]
    fed.entities[LEAF].metadata["federation_entity"]["federation_fetch_endpoint"] = f"{LEAF}/fetch"
    exc = only_error(fed)
    assert exc.check is Check.LOOP
    assert exc.description == f"authority_hints loop back to {LEAF}"


def test_10_1_no_authority_hints_on_a_non_anchor(fed: TestFederation) -> None:
    fed.entities[LEAF].authority_hints = []
    exc = only_error(fed)
    assert exc.check is Check.AUTHORITY_HINTS
    assert exc.description == f"{LEAF} is not a configured trust anchor and has no authority_hints"


def test_3_1_empty_authority_hints_is_malformed(fed: TestFederation) -> None:
    fed.serve_token(
        fed.ec_url(LEAF), fed.sign(fed.configuration_claims(LEAF) | {"authority_hints": []}, by=LEAF)
    )
    exc = only_error(fed)
    assert exc.check is Check.CLAIMS
    assert "authority_hints" in exc.description


def test_10_1_depth_limit(fed: TestFederation) -> None:
    exc = only_error(fed, limits=ResolverLimits(max_depth=1))
    assert exc.check is Check.DEPTH
    assert exc.description == "chain longer than 1 superiors"


def test_6_2_1_chain_longer_than_max_path_length(fed: TestFederation) -> None:
    fed.entities[TA].subordinates[INTERMEDIATE].constraints = {"max_path_length": 0}
    exc = only_error(fed)
    assert exc.check is Check.MAX_PATH_LENGTH
    assert exc.description == (
        f"subordinate statement by {TA} about {INTERMEDIATE}: max_path_length 0 allows that many "
        f"intermediate(s) below {TA}, the chain has 1"
    )


def test_6_2_1_max_path_length_one_allows_one_intermediate(fed: TestFederation) -> None:
    fed.entities[TA].subordinates[INTERMEDIATE].constraints = {"max_path_length": 1}
    assert run(fed.resolver().resolve(LEAF)).path == (LEAF, INTERMEDIATE, TA)


@pytest.mark.parametrize(
    ("naming", "allowed"),
    [
        ({"permitted": [".health.example"]}, False),  # health.example itself is not a subdomain
        ({"permitted": ["health.example", ".health.example"]}, True),
        ({"permitted": ["gp.health.example"]}, False),  # the intermediate itself is outside
        ({"permitted": [".example"]}, True),
        ({"permitted": [".other.example"]}, False),
        ({"excluded": ["gp.health.example"]}, False),
        ({"excluded": [".gp.health.example"]}, True),  # subdomains only, not the host itself
    ],
)
def test_6_2_2_naming_constraints(fed: TestFederation, naming: dict[str, list[str]], allowed: bool) -> None:
    fed.entities[TA].subordinates[INTERMEDIATE].constraints = {"naming_constraints": naming}
    if allowed:
        assert run(fed.resolver().resolve(LEAF)).subject == LEAF
        return
    exc = only_error(fed)
    assert exc.check is Check.NAMING_CONSTRAINTS
    assert exc.description.startswith(f"subordinate statement by {TA} about {INTERMEDIATE}: https://")


def test_6_2_3_entity_type_not_in_allowed_entity_types(fed: TestFederation) -> None:
    fed.entities[INTERMEDIATE].subordinates[LEAF].constraints = {"allowed_entity_types": ["openid_provider"]}
    with pytest.raises(InvalidTrustChain) as err:
        run(fed.resolver().resolve(LEAF, entity_types=["openid_relying_party"]))
    exc = err.value.path_errors[0][1]
    assert exc.check is Check.ALLOWED_ENTITY_TYPES
    assert exc.description == (
        f"subordinate statement by {INTERMEDIATE} about {LEAF}: entity type openid_relying_party is not in "
        "allowed_entity_types ['openid_provider']"
    )


def test_6_2_3_disallowed_entity_types_are_removed_from_metadata(fed: TestFederation) -> None:
    fed.entities[INTERMEDIATE].subordinates[LEAF].constraints = {"allowed_entity_types": ["openid_provider"]}
    chain = run(fed.resolver().resolve(LEAF))
    assert set(chain.metadata) == {"federation_entity"}


def test_3_1_unknown_claim_in_crit(fed: TestFederation) -> None:
    claims = fed.configuration_claims(LEAF) | {"crit": ["jti_policy"], "jti_policy": "strict"}
    fed.serve_token(fed.ec_url(LEAF), fed.sign(claims, by=LEAF))
    exc = only_error(fed)
    assert exc.check is Check.CRIT
    assert exc.description == f"entity configuration of {LEAF}: critical claim 'jti_policy' is not understood"


def test_3_1_crit_naming_a_standard_claim(fed: TestFederation) -> None:
    claims = fed.subordinate_claims(INTERMEDIATE, LEAF) | {"crit": ["exp"]}
    fed.serve_token(fed.fetch_url(INTERMEDIATE, LEAF), fed.sign(claims, by=INTERMEDIATE))
    exc = only_error(fed)
    assert exc.check is Check.CRIT
    assert exc.description.endswith("crit lists 'exp', a claim of the specification itself")


def test_6_1_4_contradicting_policy_operators(fed: TestFederation) -> None:
    fed.entities[TA].subordinates[INTERMEDIATE].metadata_policy = {
        "openid_relying_party": {"token_endpoint_auth_method": {"value": "private_key_jwt"}}
    }
    fed.entities[INTERMEDIATE].subordinates[LEAF].metadata_policy = {
        "openid_relying_party": {"token_endpoint_auth_method": {"value": "client_secret_basic"}}
    }
    exc = only_error(fed)
    assert isinstance(exc, InvalidPolicy)
    assert exc.check is Check.METADATA_POLICY
    assert exc.description.startswith(f"metadata policy for {LEAF}: ")


def test_6_1_4_metadata_that_violates_the_policy(fed: TestFederation) -> None:
    fed.entities[TA].subordinates[INTERMEDIATE].metadata_policy = {
        "openid_relying_party": {"grant_types": {"superset_of": ["authorization_code", "refresh_token"]}}
    }
    exc = only_error(fed)
    assert isinstance(exc, InvalidMetadata)
    assert exc.check is Check.METADATA
    assert "grant_types" in exc.description


def test_6_1_3_2_critical_custom_operator_fails_the_chain(fed: TestFederation) -> None:
    sub = fed.entities[INTERMEDIATE].subordinates[LEAF]
    sub.metadata_policy = {"openid_relying_party": {"redirect_uris": {"regexp": "^https://"}}}
    sub.metadata_policy_crit = ["regexp"]
    exc = only_error(fed)
    assert exc.check is Check.METADATA_POLICY_CRIT


def test_6_1_3_2_non_critical_custom_operator_is_ignored(fed: TestFederation) -> None:
    sub = fed.entities[INTERMEDIATE].subordinates[LEAF]
    sub.metadata_policy = {"openid_relying_party": {"redirect_uris": {"regexp": "^https://"}}}
    assert run(fed.resolver().resolve(LEAF)).subject == LEAF


def test_6_1_4_2_superior_metadata_then_policy_from_the_anchor_down(fed: TestFederation) -> None:
    fed.entities[TA].subordinates[INTERMEDIATE].metadata_policy = {
        "openid_relying_party": {"contacts": {"add": ["fed-ops@ta.example"]}}
    }
    sub = fed.entities[INTERMEDIATE].subordinates[LEAF]
    sub.metadata = {"openid_relying_party": {"client_name": "GP surgery (registered name)"}}
    sub.metadata_policy = {"openid_relying_party": {"contacts": {"add": ["ops@health.example"]}}}
    md = run(fed.resolver().resolve(LEAF)).metadata["openid_relying_party"]
    assert md["client_name"] == "GP surgery (registered name)"
    assert md["contacts"] == ["fed-ops@ta.example", "ops@health.example"]
    assert md["token_endpoint_auth_method"] == "private_key_jwt"


def test_10_2_non_jwt_statement_is_refused(fed: TestFederation) -> None:
    fed.serve_token(fed.ec_url(LEAF), "not.a.jwt")
    exc = only_error(fed)
    assert exc.check is Check.FORMAT


def test_10_2_unusable_key_in_a_configuration_fails_cleanly(fed: TestFederation) -> None:
    claims = fed.configuration_claims(LEAF) | {"jwks": {"keys": [{"kty": "EC", "kid": "x"}]}}
    fed.serve_token(fed.ec_url(LEAF), fed.sign(claims, by=LEAF))
    exc = only_error(fed)
    assert exc.check is Check.CLAIMS
    assert "a key in the set cannot be used" in exc.description


def test_10_2_attacker_key_reusing_the_vouched_kid_is_refused(fed: TestFederation) -> None:
    # The attacker labels its own key with the kid the superior vouched for: the self-signature
    # verifies, and the same-kid shortcut must still compare the keys themselves.
    real_kid = fed.entities[LEAF].keys.signing_key().kid
    attacker = generate_key()
    relabelled = ECKey.import_key(attacker.as_dict(private=True), {"kid": real_kid})
    public = relabelled.as_dict(private=False) | {"kid": real_kid}
    claims = fed.configuration_claims(LEAF) | {"jwks": {"keys": [public]}}
    fed.serve_token(fed.ec_url(LEAF), fed.sign(claims, key=relabelled))
    exc = only_error(fed)
    assert exc.check is Check.SIGNATURE
    assert exc.description == (
        f"entity configuration of {LEAF} does not verify with the keys "
        f"subordinate statement by {INTERMEDIATE} about {LEAF} vouches for: "
        f"signature does not verify with key {real_kid!r}"
    )
