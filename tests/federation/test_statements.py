"""OpenID Federation 1.0 §3 (entity statements): claims, where each may appear, and verification."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from federation.errors import Check, InvalidJwt
from federation.jose import JwtType, sign_jwt
from federation.keys import KeyStore, generate_key
from federation.statements import (
    build_entity_configuration,
    build_subordinate_statement,
    parse_statement,
    verify_entity_configuration,
    verify_subordinate_statement,
)

NOW = 1_800_000_000
RP = "https://council.example"
TA = "https://ta.example"


@pytest.fixture
def keys() -> KeyStore:
    return KeyStore.open(None, clock=lambda: NOW)


def ec_claims(keys: KeyStore, **changes: Any) -> dict[str, Any]:
    claims = build_entity_configuration(
        RP,
        keys.public_jwks(),
        iat=NOW,
        metadata={"openid_relying_party": {"client_name": "Council"}},
        authority_hints=[TA],
    ).to_claims()
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def malformed(claims: dict[str, Any]) -> str:
    with pytest.raises(InvalidJwt) as err:
        parse_statement(claims)
    assert err.value.check is Check.CLAIMS
    return err.value.description


def test_3_1_entity_configuration_round_trip(keys: KeyStore) -> None:
    token = keys.sign(ec_claims(keys), JwtType.ENTITY_STATEMENT)
    statement = verify_entity_configuration(token, entity_id=RP, now=NOW)
    assert statement.is_configuration
    assert statement.jwt == token
    assert statement.authority_hints == [TA]
    assert statement.entity_types() == ["openid_relying_party"]
    assert statement.exp == NOW + 86400


def test_3_1_subordinate_statement_round_trip(keys: KeyStore) -> None:
    ta_keys = KeyStore.open(None)
    claims = build_subordinate_statement(
        TA,
        RP,
        keys.public_jwks(),
        iat=NOW,
        metadata_policy={
            "openid_relying_party": {"token_endpoint_auth_method": {"value": "private_key_jwt"}}
        },
        constraints={"max_path_length": 0},
        source_endpoint=f"{TA}/fetch",
    ).to_claims()
    token = ta_keys.sign(claims, JwtType.ENTITY_STATEMENT)
    statement = verify_subordinate_statement(
        token, issuer=TA, subject=RP, issuer_keys=ta_keys.key_set(), now=NOW
    )
    assert not statement.is_configuration
    assert statement.constraints is not None and statement.constraints.max_path_length == 0
    assert statement.source_endpoint == f"{TA}/fetch"


def test_3_1_extension_claims_are_kept(keys: KeyStore) -> None:
    statement = parse_statement(ec_claims(keys, x_council_code="E06000023"))
    assert statement.model_extra == {"x_council_code": "E06000023"}


@pytest.mark.parametrize(
    "name", ["constraints", "metadata_policy", "metadata_policy_crit", "source_endpoint"]
)
def test_3_1_claims_that_only_subordinate_statements_carry(keys: KeyStore, name: str) -> None:
    value: Any = {
        "constraints": {"max_path_length": 1},
        "metadata_policy": {"openid_relying_party": {}},
        "metadata_policy_crit": ["regexp"],
        "source_endpoint": f"{RP}/fetch",
    }[name]
    assert (
        malformed(ec_claims(keys, **{name: value}))
        == f"an entity configuration must not contain {name} (§3.1)"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("authority_hints", [TA]),
        ("trust_anchor_hints", [TA]),
        ("trust_marks", []),
        ("trust_mark_issuers", {}),
        ("trust_mark_owners", {}),
    ],
)
def test_3_1_claims_that_only_entity_configurations_carry(keys: KeyStore, name: str, value: Any) -> None:
    claims = ec_claims(keys, iss=TA, authority_hints=None) | {name: value}
    assert malformed(claims) == f"a subordinate statement must not contain {name} (§3.1)"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"authority_hints": []}, "authority_hints: List should have at least 1 item"),
        ({"trust_anchor_hints": []}, "trust_anchor_hints: List should have at least 1 item"),
        ({"iss": "council.example"}, "iss: Value error, 'council.example' is not an https URL"),
        ({"sub": f"{RP}?x=1"}, "must not have a query or fragment"),
        ({"authority_hints": [f"{TA}#top"]}, "must not have a query or fragment"),
        ({"iat": "1800000000"}, "iat: Value error, must be a number of seconds since the epoch"),
        ({"exp": True}, "exp: Value error, must be a number of seconds since the epoch"),
        ({"jwks": {"keys": []}}, "jwks.keys: List should have at least 1 item"),
        (
            {"metadata": {"openid_relying_party": {"client_name": None}}},
            "openid_relying_party.client_name is null",
        ),
        ({"crit": []}, "crit: List should have at least 1 item"),
    ],
)
def test_3_1_malformed_claims(keys: KeyStore, changes: dict[str, Any], message: str) -> None:
    claims = ec_claims(keys)
    claims.update(changes)
    assert message in malformed(claims)


def test_3_1_jwks_must_not_carry_private_keys(keys: KeyStore) -> None:
    private = generate_key().as_dict(private=True)
    assert "carries private key material" in malformed(ec_claims(keys, jwks={"keys": [private]}))


def test_3_1_jwks_keys_need_a_kid_and_an_asymmetric_type(keys: KeyStore) -> None:
    public = generate_key().as_dict(private=False)
    public.pop("kid", None)
    assert "every key must have a kid" in malformed(ec_claims(keys, jwks={"keys": [public]}))
    assert "is not an asymmetric key type" in malformed(
        ec_claims(keys, jwks={"keys": [{"kty": "oct", "kid": "a"}]})
    )
    key = keys.public_jwks()["keys"][0]
    assert "is used twice" in malformed(ec_claims(keys, jwks={"keys": [key, key]}))


def test_3_exp_must_follow_iat(keys: KeyStore) -> None:
    with pytest.raises(InvalidJwt) as err:
        parse_statement(ec_claims(keys, exp=NOW))
    assert err.value.check is Check.EXP


def test_rfc7519_2_numeric_dates_may_be_fractional(keys: KeyStore) -> None:
    assert parse_statement(ec_claims(keys, iat=NOW + 0.75)).iat == NOW


def test_3_trust_marks_entry_type_must_match_the_mark(keys: KeyStore) -> None:
    mark = sign_jwt(
        {"iss": TA, "sub": RP, "trust_mark_type": f"{TA}/a", "iat": NOW}, generate_key(), JwtType.TRUST_MARK
    )
    claims = ec_claims(keys, trust_marks=[{"trust_mark_type": f"{TA}/b", "trust_mark": mark}])
    assert malformed(claims) == f"trust_marks entry {TA}/b holds a trust mark of type '{TA}/a' (§3)"


def es256(header: dict[str, Any], claims: dict[str, Any], keys: KeyStore) -> str:
    """Sign by hand (joserfc will not put unknown headers in a JWS)."""
    key = keys.signing_key().key.private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signing_input = f"{b64(header)}.{b64(claims)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_4_3_entity_statement_must_not_carry_a_trust_chain_header(keys: KeyStore) -> None:
    header = {"alg": "ES256", "typ": "entity-statement+jwt", "kid": keys.signing_key().kid, "trust_chain": []}
    token = es256(header, ec_claims(keys), keys)
    with pytest.raises(InvalidJwt) as err:
        verify_entity_configuration(token, now=NOW)
    assert err.value.check is Check.FORMAT
    assert err.value.description == "an entity statement must not carry a trust_chain header (§4.3)"


def test_rfc7515_hand_signed_statement_verifies(keys: KeyStore) -> None:
    header = {"alg": "ES256", "typ": "entity-statement+jwt", "kid": keys.signing_key().kid}
    assert verify_entity_configuration(es256(header, ec_claims(keys), keys), now=NOW).sub == RP


def test_3_1_self_signature_must_verify_with_the_configuration_keys(keys: KeyStore) -> None:
    other = KeyStore.open(None)
    token = other.sign(ec_claims(keys), JwtType.ENTITY_STATEMENT)
    with pytest.raises(InvalidJwt) as err:
        verify_entity_configuration(token, now=NOW)
    assert err.value.check is Check.KID


def test_10_2_configuration_must_also_verify_with_the_trusted_keys(keys: KeyStore) -> None:
    token = keys.sign(ec_claims(keys), JwtType.ENTITY_STATEMENT)
    with pytest.raises(InvalidJwt) as err:
        verify_entity_configuration(token, now=NOW, trusted_keys=KeyStore.open(None).key_set())
    assert err.value.check is Check.KID
    assert verify_entity_configuration(token, now=NOW, trusted_keys=keys.key_set()).sub == RP


def test_3_1_a_subordinate_statement_is_not_a_configuration(keys: KeyStore) -> None:
    token = keys.sign(ec_claims(keys, iss=TA, authority_hints=None), JwtType.ENTITY_STATEMENT)
    with pytest.raises(InvalidJwt) as err:
        verify_entity_configuration(token, now=NOW)
    assert err.value.check is Check.SUB
    assert err.value.description == f"not an entity configuration: iss {TA} differs from sub {RP}"


def test_3_1_crit_claim_understood_by_the_caller_passes(keys: KeyStore) -> None:
    token = keys.sign(ec_claims(keys, crit=["ukid_profile"], ukid_profile="1"), JwtType.ENTITY_STATEMENT)
    with pytest.raises(InvalidJwt) as err:
        verify_entity_configuration(token, now=NOW)
    assert err.value.description == "critical claim 'ukid_profile' is not understood"
    assert verify_entity_configuration(token, now=NOW, understood_crit={"ukid_profile"}).sub == RP


def test_3_1_crit_must_name_a_claim_that_is_present(keys: KeyStore) -> None:
    token = keys.sign(ec_claims(keys, crit=["absent"]), JwtType.ENTITY_STATEMENT)
    with pytest.raises(InvalidJwt) as err:
        verify_entity_configuration(token, now=NOW, understood_crit={"absent"})
    assert err.value.description == "crit lists 'absent', which the statement does not contain"


def test_3_1_builders_refuse_a_subordinate_statement_about_its_issuer(keys: KeyStore) -> None:
    with pytest.raises(ValueError, match="issuer other than its subject"):
        build_subordinate_statement(RP, RP, keys.public_jwks(), iat=NOW)


def test_3_1_the_signed_payload_is_exactly_the_built_claims(keys: KeyStore) -> None:
    token = keys.sign(ec_claims(keys), JwtType.ENTITY_STATEMENT)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert payload["iss"] == RP
    assert payload == ec_claims(keys)
    assert verify_entity_configuration(token, now=NOW).to_claims() == payload


@pytest.mark.parametrize(
    "bad_key",
    [
        {"kty": "EC", "kid": "x"},  # no curve or point
        {"kty": "EC", "kid": "x", "crv": "P-256", "x": "AAAA", "y": "AAAA"},  # not on the curve
        {"kty": "RSA", "kid": "x", "n": "AQAB"},  # no exponent
    ],
)
def test_3_1_jwks_keys_must_be_usable(keys: KeyStore, bad_key: dict[str, str]) -> None:
    assert "a key in the set cannot be used" in malformed(ec_claims(keys, jwks={"keys": [bad_key]}))
