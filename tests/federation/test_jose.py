"""JOSE for federation JWTs: RFC 7515 compact JWS, RFC 8725 §3.1-3.2 (no ``none``, no HMAC,
an algorithm allow-list) and OpenID Federation 1.0's ``typ`` per kind of JWT."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import pytest
from joserfc.jwk import KeySet

from federation.errors import Check, InvalidJwt
from federation.jose import (
    AlgorithmPolicy,
    JwtType,
    decode_unverified,
    media_type,
    sign_jwt,
    verify_jwt,
)
from federation.keys import generate_key, public_jwk

CLAIMS = {"iss": "https://ta.example", "sub": "https://ta.example", "iat": 1, "exp": 2}


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def keyset(*keys: Any, alg: str = "ES256") -> KeySet:
    return KeySet.import_key_set({"keys": [public_jwk(k, alg) for k in keys]})


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")  # RFC 9864 names it Ed25519; still in use
@pytest.mark.parametrize("alg", ["ES256", "ES384", "PS256", "RS256", "EdDSA"])
def test_rfc7515_sign_and_verify_each_configurable_algorithm(alg: str) -> None:
    key = generate_key(alg)
    token = sign_jwt(CLAIMS, key, JwtType.ENTITY_STATEMENT, alg=alg)
    verified = verify_jwt(
        token, keyset(key, alg=alg), JwtType.ENTITY_STATEMENT, policy=AlgorithmPolicy((alg,))
    )
    assert verified.claims == CLAIMS
    assert verified.header == {"alg": alg, "typ": "entity-statement+jwt", "kid": key.kid}
    assert verified.kid == key.kid


def test_rfc8725_3_1_default_allow_list_is_es256_only() -> None:
    key = generate_key("PS256")
    token = sign_jwt(CLAIMS, key, JwtType.ENTITY_STATEMENT, alg="PS256")
    with pytest.raises(InvalidJwt) as err:
        verify_jwt(token, keyset(key, alg="PS256"), JwtType.ENTITY_STATEMENT)
    assert err.value.check is Check.ALG
    assert err.value.description == "algorithm 'PS256' is not allowed (allowed: ES256)"


@pytest.mark.parametrize("alg", ["none", "HS256", "HS512", "dir", "ES256K", ""])
def test_rfc8725_3_1_none_and_hmac_cannot_be_configured(alg: str) -> None:
    with pytest.raises(ValueError, match="cannot be allowed"):
        AlgorithmPolicy(("ES256", alg))


def test_rfc8725_3_1_empty_allow_list_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        AlgorithmPolicy(())


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_rfc8725_3_1_alg_none_is_refused_even_unsigned(alg: str) -> None:
    key = generate_key()
    token = f"{b64({'alg': alg, 'typ': 'entity-statement+jwt', 'kid': key.kid})}.{b64(CLAIMS)}."
    with pytest.raises(InvalidJwt) as err:
        verify_jwt(token, keyset(key), JwtType.ENTITY_STATEMENT)
    assert err.value.check is Check.ALG
    assert err.value.description == "unsigned JWT (alg 'none') is never accepted"


def test_rfc8725_3_2_hmac_signed_with_the_public_key_is_refused() -> None:
    # The classic confusion attack: HS256 keyed with the verifier's public key bytes.
    key = generate_key()
    header = {"alg": "HS256", "typ": "entity-statement+jwt", "kid": key.kid}
    token = f"{b64(header)}.{b64(CLAIMS)}.{b64(b'mac')}"
    with pytest.raises(InvalidJwt) as err:
        verify_jwt(token, keyset(key), JwtType.ENTITY_STATEMENT)
    assert err.value.check is Check.ALG
    assert err.value.description == "HMAC algorithm 'HS256' is never accepted for federation JWTs"


@pytest.mark.parametrize(("made", "expected"), list(itertools.permutations(JwtType, 2)))
def test_federation_typ_of_each_jwt_kind_is_checked(made: JwtType, expected: JwtType) -> None:
    key = generate_key()
    token = sign_jwt(CLAIMS, key, made)
    with pytest.raises(InvalidJwt) as err:
        verify_jwt(token, keyset(key), expected)
    assert err.value.check is Check.TYP
    assert err.value.description == f"JWT typ is {made.value!r}, expected {expected.value!r}"


@pytest.mark.parametrize(
    "typ", [None, "JWT", "jwt", "application/entity-statement+jwt", "ENTITY-STATEMENT+JWT"]
)
def test_federation_typ_must_match_exactly(typ: str | None) -> None:
    key = generate_key()
    parts = sign_jwt(CLAIMS, key, JwtType.ENTITY_STATEMENT).split(".")
    header = {"alg": "ES256", "kid": key.kid} | ({"typ": typ} if typ is not None else {})
    with pytest.raises(InvalidJwt) as err:
        verify_jwt(f"{b64(header)}.{parts[1]}.{parts[2]}", keyset(key), JwtType.ENTITY_STATEMENT)
    assert err.value.check is Check.TYP


def test_media_types_follow_the_typ() -> None:
    assert media_type(JwtType.ENTITY_STATEMENT) == "application/entity-statement+jwt"
    assert media_type(JwtType.TRUST_MARK_STATUS_RESPONSE) == "application/trust-mark-status-response+jwt"
    assert media_type(JwtType.JWK_SET) == "application/jwk-set+jwt"


def test_rfc7515_4_1_4_kid_is_required() -> None:
    key = generate_key()
    parts = sign_jwt(CLAIMS, key, JwtType.TRUST_MARK).split(".")
    header = {"alg": "ES256", "typ": "trust-mark+jwt"}
    with pytest.raises(InvalidJwt) as err:
        verify_jwt(f"{b64(header)}.{parts[1]}.{parts[2]}", keyset(key), JwtType.TRUST_MARK)
    assert err.value.check is Check.KID
    assert err.value.description == "JWT header has no kid"


def test_rfc7515_unknown_kid_is_refused() -> None:
    signer, other = generate_key(), generate_key()
    with pytest.raises(InvalidJwt) as err:
        verify_jwt(sign_jwt(CLAIMS, signer, JwtType.TRUST_MARK), keyset(other), JwtType.TRUST_MARK)
    assert err.value.check is Check.KID
    assert err.value.description == f"no trusted key has kid {signer.kid!r}"


def test_rfc7515_key_type_must_match_the_algorithm() -> None:
    rsa = generate_key("RS256")
    ec = generate_key()
    parts = sign_jwt(CLAIMS, ec, JwtType.ENTITY_STATEMENT).split(".")
    header = {"alg": "ES256", "typ": "entity-statement+jwt", "kid": rsa.kid}
    with pytest.raises(InvalidJwt) as err:
        verify_jwt(f"{b64(header)}.{parts[1]}.{parts[2]}", keyset(rsa, alg="RS256"), JwtType.ENTITY_STATEMENT)
    assert err.value.check is Check.ALG
    assert err.value.description == f"key {rsa.kid!r} cannot verify ES256 signatures"


def test_rfc7515_4_1_11_unknown_crit_header_is_refused() -> None:
    key = generate_key()
    header = {"alg": "ES256", "typ": "entity-statement+jwt", "kid": key.kid, "crit": ["exp"], "exp": 1}
    token = f"{b64(header)}.{b64(CLAIMS)}.{b64(b'signature')}"  # crit is refused before the signature
    with pytest.raises(InvalidJwt) as err:
        verify_jwt(token, keyset(key), JwtType.ENTITY_STATEMENT)
    assert err.value.check is Check.JWS_CRIT


def test_rfc7515_signature_over_other_claims_fails() -> None:
    key = generate_key()
    header, _, signature = sign_jwt(CLAIMS, key, JwtType.ENTITY_STATEMENT).split(".")
    forged = f"{header}.{b64(CLAIMS | {'sub': 'https://evil.example'})}.{signature}"
    with pytest.raises(InvalidJwt) as err:
        verify_jwt(forged, keyset(key), JwtType.ENTITY_STATEMENT)
    assert err.value.check is Check.SIGNATURE
    assert err.value.description == f"signature does not verify with key {key.kid!r}"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("only.two", "not a compact JWS: expected three dot-separated parts"),
        ("a.b.c.d", "not a compact JWS: expected three dot-separated parts"),
        (".payload.sig", "not a compact JWS: expected three dot-separated parts"),
        ("%%%.e30.sig", "the JWT header is not base64url-encoded JSON"),
        (f"{b64([1, 2])}.e30.sig", "the JWT header is not a JSON object"),
        (f"{b64({'alg': 'ES256'})}.{b64(b'not json')}.sig", "the JWT payload is not base64url-encoded JSON"),
    ],
)
def test_rfc7515_7_1_malformed_compact_serialisation(token: str, message: str) -> None:
    with pytest.raises(InvalidJwt) as err:
        decode_unverified(token)
    assert err.value.check is Check.FORMAT
    assert err.value.description == message


def test_sign_refuses_an_algorithm_the_key_cannot_make() -> None:
    with pytest.raises(ValueError, match="a EC key cannot sign PS256"):
        sign_jwt(CLAIMS, generate_key(), JwtType.ENTITY_STATEMENT, alg="PS256")
    with pytest.raises(ValueError, match="cannot be allowed"):
        sign_jwt(CLAIMS, generate_key(), JwtType.ENTITY_STATEMENT, alg="HS256")
    with pytest.raises(ValueError, match="a EC key cannot sign ES384"):
        sign_jwt(CLAIMS, generate_key(), JwtType.ENTITY_STATEMENT, alg="ES384")
