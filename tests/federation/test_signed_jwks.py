"""OpenID Federation 1.0 §5.2.1.1: the signed JWK set behind ``signed_jwks_uri``."""

from __future__ import annotations

from typing import Any

import pytest

from federation.errors import InvalidJwt
from federation.jose import JwtType, sign_jwt
from federation.keys import generate_key, public_jwk
from federation.signed_jwks import verify_signed_jwk_set
from federation.statements import key_set

ENTITY = "https://idp.example"
NOW = 1_800_000_000
FEDERATION_KEY = generate_key()
FEDERATION_KEYS = key_set({"keys": [public_jwk(FEDERATION_KEY, "ES256")]})
PROTOCOL_KEY = generate_key()


def signed(claims: dict[str, Any], typ: JwtType = JwtType.JWK_SET, key: Any = FEDERATION_KEY) -> str:
    return sign_jwt(claims, key, typ, alg="ES256")


def good(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ENTITY,
        "sub": ENTITY,
        "iat": NOW,
        "exp": NOW + 3600,
        "keys": [public_jwk(PROTOCOL_KEY, "ES256")],
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def refused(token: str) -> InvalidJwt:
    with pytest.raises(InvalidJwt) as caught:
        verify_signed_jwk_set(token, FEDERATION_KEYS, ENTITY, now=NOW)
    return caught.value


def test_5_2_1_1_the_protocol_keys_are_returned() -> None:
    keys = verify_signed_jwk_set(signed(good()), FEDERATION_KEYS, ENTITY, now=NOW)
    assert [k.kid for k in keys.keys] == [PROTOCOL_KEY.kid]


def test_5_2_1_1_iat_exp_and_sub_are_optional() -> None:
    keys = verify_signed_jwk_set(signed(good(iat=None, exp=None, sub=None)), FEDERATION_KEYS, ENTITY, now=NOW)
    assert len(keys.keys) == 1


def test_5_2_1_1_a_set_signed_with_another_key_is_refused() -> None:
    error = refused(signed(good(), key=generate_key()))
    assert error.check == "kid"


def test_5_2_1_1_another_jwt_type_is_refused() -> None:
    error = refused(signed(good(), typ=JwtType.ENTITY_STATEMENT))
    assert error.check == "typ"
    assert error.description == "JWT typ is 'entity-statement+jwt', expected 'jwk-set+jwt'"


def test_5_2_1_1_a_set_issued_by_another_entity_is_refused() -> None:
    error = refused(signed(good(iss="https://other.example")))
    assert error.check == "iss"
    assert error.description == f"signed JWK set is issued by 'https://other.example', not {ENTITY}"


def test_5_2_1_1_a_set_about_another_entity_is_refused() -> None:
    error = refused(signed(good(sub="https://other.example")))
    assert error.check == "sub"
    assert error.description == f"signed JWK set is about 'https://other.example', not {ENTITY}"


def test_5_2_1_1_an_expired_set_is_refused() -> None:
    error = refused(signed(good(exp=NOW - 61)))
    assert error.check == "exp"
    assert error.description == f"signed JWK set expired (exp {NOW - 61})"


def test_5_2_1_1_an_expiry_within_the_leeway_passes() -> None:
    assert verify_signed_jwk_set(signed(good(exp=NOW - 59)), FEDERATION_KEYS, ENTITY, now=NOW)


def test_5_2_1_1_a_set_issued_in_the_future_is_refused() -> None:
    error = refused(signed(good(iat=NOW + 61)))
    assert error.check == "iat"
    assert error.description == f"signed JWK set is issued in the future (iat {NOW + 61})"


@pytest.mark.parametrize("name", ["iat", "exp"])
def test_5_2_1_1_time_claims_must_be_numbers(name: str) -> None:
    error = refused(signed(good(**{name: "soon"})))
    assert error.check == name
    assert error.description == f"signed JWK set {name} is not a number ('soon')"


@pytest.mark.parametrize("keys", [None, {"kty": "EC"}, "keys"])
def test_5_2_1_1_a_set_without_a_keys_array_is_refused(keys: Any) -> None:
    claims = good()
    claims["keys"] = keys
    if keys is None:
        del claims["keys"]
    error = refused(signed(claims))
    assert error.check == "jwks"
    assert error.description == "signed JWK set has no keys array"


def test_5_2_1_1_unusable_keys_are_refused() -> None:
    error = refused(signed(good(keys=[{"kty": "EC", "crv": "P-256"}])))
    assert error.check == "jwks"
    assert error.description.startswith("signed JWK set keys cannot be used (")
