"""ID token validation: OpenID Connect Core §3.1.3.7 (steps 1-11), §3.1.3.8 (``at_hash``) and the
Vectors of Trust it carries, RFC 8485 §5 (``vot``, ``vtm``)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from joserfc.jwk import ECKey

from federation.keys import generate_key
from relying_party.core.errors import LoginError, Refusal
from relying_party.core.id_token import Expected, check_vot, validate_id_token
from schemas.vot import Trustmark, Vector, gov_uk_one_login_trustmark
from tests.relying_party.rpkit import (
    CLIENT,
    IDP,
    NONCE,
    NOW,
    TA,
    at_hash,
    id_claims,
    keyset,
    sign_id_token,
    unsigned_token,
)

KEY = generate_key()
KEYS = keyset(KEY)
EXPECTED = Expected(issuer=IDP, client_id=CLIENT, nonce=NONCE)
ACCESS_TOKEN = "SlAV32hkKG"
VTM = f"{IDP}/trustmark"
VTR = ("P2.Cl.Cm", "P1.Cl.Cm", "P2.Cl", "P1.Cl", "Cl.Cm", "Cl")
REFUSED = "the ID token was refused: "


def refused(token: str, expected: Expected = EXPECTED, *, now: float = NOW) -> LoginError:
    with pytest.raises(LoginError) as caught:
        validate_id_token(token, KEYS, expected, now=now)
    assert caught.value.refusal is Refusal.INVALID_ID_TOKEN
    assert caught.value.code == "invalid_id_token"
    return caught.value


def valid(claims: dict[str, Any], expected: Expected = EXPECTED, *, now: float = NOW) -> dict[str, Any]:
    return validate_id_token(sign_id_token(claims, KEY), KEYS, expected, now=now)


# -- step 1: the JWS ----------------------------------------------------------------------------------
def test_core_3_1_3_7_a_valid_token_gives_its_claims() -> None:
    claims = id_claims(vot="P2.Cl", vtm=VTM)
    assert valid(claims) == claims


def test_core_3_1_3_7_6_a_signature_by_another_key_with_the_same_kid_is_refused() -> None:
    impostor = ECKey.import_key(dict(generate_key().as_dict(private=True)), {"kid": str(KEY.kid)})
    error = refused(sign_id_token(id_claims(), impostor))
    assert error.check == "signature"
    assert error.description == f"{REFUSED}signature does not verify with key {KEY.kid!r}"


def test_core_3_1_3_7_7_alg_none_is_refused() -> None:
    error = refused(unsigned_token(id_claims()))
    assert error.check == "alg"
    assert error.description == f"{REFUSED}unsigned JWT (alg 'none') is never accepted"


def test_core_3_1_3_7_7_hmac_is_refused() -> None:
    header = {"alg": "HS256", "typ": "JWT", "kid": KEY.kid}
    error = refused(unsigned_token(id_claims(), header) + "c2lnbmF0dXJl")
    assert error.check == "alg"
    assert error.description == f"{REFUSED}HMAC algorithm 'HS256' is never accepted for federation JWTs"


def test_core_3_1_3_7_7_an_algorithm_outside_the_allow_list_is_refused() -> None:
    rsa = generate_key("PS256")
    token = sign_id_token(id_claims(), rsa, alg="PS256")
    with pytest.raises(LoginError) as caught:
        validate_id_token(token, keyset(rsa, alg="PS256"), EXPECTED, now=NOW)
    assert caught.value.check == "alg"
    assert caught.value.description == f"{REFUSED}algorithm 'PS256' is not allowed (allowed: ES256)"


def test_core_3_1_3_7_an_allowed_rsa_algorithm_verifies() -> None:
    rsa = generate_key("PS256")
    expected = Expected(IDP, CLIENT, NONCE, algorithms=("ES256", "PS256"))
    token = sign_id_token(id_claims(), rsa, alg="PS256")
    assert validate_id_token(token, keyset(rsa, alg="PS256"), expected, now=NOW)["sub"] == "subject-1"


def test_core_3_1_3_7_6_an_unknown_kid_is_refused() -> None:
    other = generate_key()
    error = refused(sign_id_token(id_claims(), other))
    assert error.check == "kid"
    assert error.description == f"{REFUSED}no trusted key has kid {other.kid!r}"


def test_core_3_1_3_7_a_typ_other_than_jwt_is_refused() -> None:
    from federation.jose import sign_jwt  # noqa: PLC0415

    error = refused(sign_jwt(id_claims(), KEY, "entity-statement+jwt"))
    assert error.check == "typ"
    assert error.description == f"{REFUSED}JWT typ is 'entity-statement+jwt', expected 'JWT' or no typ"


def _with_signature(token: str, signature: bytes) -> str:
    head, body, _ = token.split(".")
    return f"{head}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _signature(token: str) -> bytes:
    segment = token.split(".")[2]
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@pytest.mark.parametrize(
    "change", [lambda s: s[:-1], lambda s: s + b"\0", lambda s: b""], ids=["short", "long", "empty"]
)
def test_rfc7518_3_4_a_signature_of_the_wrong_length_is_refused(change: Any) -> None:
    token = sign_id_token(id_claims(), KEY)
    error = refused(_with_signature(token, change(_signature(token))))
    assert error.check == "signature"
    assert error.description == f"{REFUSED}signature does not verify with key {KEY.kid!r}"


def test_rfc7518_3_4_a_p256_key_cannot_verify_an_es384_header() -> None:
    token = sign_id_token(id_claims(), KEY)
    header = {"alg": "ES384", "typ": "JWT", "kid": KEY.kid}
    forged = unsigned_token(id_claims(), header) + token.split(".")[2]
    error = refused(forged, Expected(IDP, CLIENT, NONCE, algorithms=("ES256", "ES384")))
    assert error.check == "alg"
    assert error.description == f"{REFUSED}key {KEY.kid!r} cannot verify ES384 signatures"
    error = refused(forged)
    assert error.check == "alg"
    assert error.description == f"{REFUSED}algorithm 'ES384' is not allowed (allowed: ES256)"


@pytest.mark.parametrize(
    ("token", "description"),
    [
        (
            sign_id_token(id_claims(), KEY).rsplit(".", 1)[0],
            "not a compact JWS: expected three dot-separated parts",
        ),
        (sign_id_token(id_claims(), KEY)[:40], "not a compact JWS: expected three dot-separated parts"),
        ("garbage", "not a compact JWS: expected three dot-separated parts"),
        ("%%%.%%%.%%%", "the JWT header is not base64url-encoded JSON"),
        ("e30.%%%.c2ln", "the JWT payload is not base64url-encoded JSON"),
        ("W10.e30.c2ln", "the JWT header is not a JSON object"),
    ],
)
def test_rfc7515_7_2_a_truncated_or_garbage_token_is_refused(token: str, description: str) -> None:
    error = refused(token)
    assert error.check == "format"
    assert error.description == f"{REFUSED}{description}"


# -- step 2: the claims -------------------------------------------------------------------------------
def test_core_3_1_3_7_2_another_issuer_is_refused() -> None:
    error = refused(sign_id_token(id_claims(iss="https://evil.example"), KEY))
    assert error.check == "iss"
    assert error.description == f"{REFUSED}iss is 'https://evil.example', expected {IDP!r}"


def test_core_3_1_3_7_3_another_audience_is_refused() -> None:
    error = refused(sign_id_token(id_claims(aud="https://other-rp.example"), KEY))
    assert error.check == "aud"
    assert error.description == f"{REFUSED}aud is 'https://other-rp.example', expected {CLIENT!r}"


def test_core_3_1_3_7_3_an_audience_list_without_this_client_is_refused() -> None:
    error = refused(sign_id_token(id_claims(aud=["https://a.example", "https://b.example"]), KEY))
    assert error.check == "aud"
    assert error.description == (
        f"{REFUSED}aud is ['https://a.example', 'https://b.example'], expected {CLIENT!r}"
    )


def test_core_3_1_3_7_4_several_audiences_without_azp_are_refused() -> None:
    error = refused(sign_id_token(id_claims(aud=[CLIENT, "https://other-rp.example"]), KEY))
    assert error.check == "azp"
    assert error.description == f"{REFUSED}it has several audiences and no azp naming this client"


def test_core_3_1_3_7_4_several_audiences_with_azp_this_client_pass() -> None:
    claims = valid(id_claims(aud=[CLIENT, "https://other-rp.example"], azp=CLIENT))
    assert claims["azp"] == CLIENT


def test_core_3_1_3_7_5_azp_of_another_client_is_refused() -> None:
    error = refused(sign_id_token(id_claims(azp="https://other-rp.example"), KEY))
    assert error.check == "azp"
    assert error.description == f"{REFUSED}azp is 'https://other-rp.example', expected {CLIENT!r}"


def test_core_3_1_3_7_11_another_nonce_is_refused() -> None:
    error = refused(sign_id_token(id_claims(nonce="replayed-nonce"), KEY))
    assert error.check == "nonce"
    assert error.description == f"{REFUSED}its nonce is not the one this login sent"


def test_core_3_1_3_7_11_a_missing_nonce_is_refused() -> None:
    error = refused(sign_id_token(id_claims(drop=["nonce"]), KEY))
    assert error.check == "nonce"
    assert error.description == f"{REFUSED}its nonce is missing"


def test_core_3_1_3_7_9_a_token_expired_beyond_the_leeway_is_refused() -> None:
    error = refused(sign_id_token(id_claims(exp=NOW - 61, iat=NOW - 400), KEY))
    assert error.check == "exp"
    assert error.description == f"{REFUSED}it expired at {NOW - 61} (now {NOW})"


def test_core_3_1_3_7_9_a_token_expired_within_the_leeway_passes() -> None:
    assert valid(id_claims(exp=NOW - 59, iat=NOW - 400))["exp"] == NOW - 59


def test_core_3_1_3_7_9_leeway_is_the_configured_one() -> None:
    token = sign_id_token(id_claims(exp=NOW - 59, iat=NOW - 400), KEY)
    error = refused(token, Expected(IDP, CLIENT, NONCE, leeway=0))
    assert error.check == "exp"


def test_core_3_1_3_7_10_iat_far_in_the_future_is_refused() -> None:
    error = refused(sign_id_token(id_claims(iat=NOW + 3600, exp=NOW + 3900), KEY))
    assert error.check == "iat"
    assert error.description == f"{REFUSED}it was issued in the future (iat {NOW + 3600}, now {NOW})"


def test_core_3_1_3_7_10_iat_within_the_leeway_passes() -> None:
    assert valid(id_claims(iat=NOW + 59))["iat"] == NOW + 59


@pytest.mark.parametrize("name", ["exp", "iat"])
def test_core_2_exp_and_iat_are_required_numbers(name: str) -> None:
    for value in (None, str(NOW), True, float("nan")):
        claims = id_claims(drop=[name])
        if value is not None:
            claims[name] = value
        error = refused(sign_id_token(claims, KEY))
        assert error.check == name
        assert error.description == f"{REFUSED}{name} is missing or not a number"


def test_core_3_1_3_8_an_at_hash_that_does_not_match_is_refused() -> None:
    token = sign_id_token(id_claims(at_hash=at_hash("another-access-token")), KEY)
    error = refused(token, Expected(IDP, CLIENT, NONCE, access_token=ACCESS_TOKEN))
    assert error.check == "at_hash"
    assert error.description == f"{REFUSED}at_hash does not match the access token"


@pytest.mark.parametrize("value", ["é" * 22, 42, ""])
def test_core_3_1_3_8_an_at_hash_that_is_not_a_hash_is_refused(value: object) -> None:
    token = sign_id_token(id_claims(at_hash=value), KEY)
    error = refused(token, Expected(IDP, CLIENT, NONCE, access_token=ACCESS_TOKEN))
    assert error.check == "at_hash"


def test_core_3_1_3_8_a_matching_at_hash_passes() -> None:
    token = sign_id_token(id_claims(at_hash=at_hash(ACCESS_TOKEN)), KEY)
    expected = Expected(IDP, CLIENT, NONCE, access_token=ACCESS_TOKEN)
    assert validate_id_token(token, KEYS, expected, now=NOW)["at_hash"] == at_hash(ACCESS_TOKEN)


def test_core_3_1_3_8_an_absent_at_hash_passes_in_the_code_flow() -> None:
    expected = Expected(IDP, CLIENT, NONCE, access_token=ACCESS_TOKEN)
    assert "at_hash" not in valid(id_claims(), expected)


def test_core_2_a_missing_sub_is_refused() -> None:
    for claims in (id_claims(drop=["sub"]), id_claims(sub=""), id_claims(sub=42)):
        error = refused(sign_id_token(claims, KEY))
        assert error.check == "sub"
        assert error.description == f"{REFUSED}sub is missing"


def test_rfc7519_4_1_5_a_token_not_yet_valid_is_refused() -> None:
    error = refused(sign_id_token(id_claims(nbf=NOW + 600), KEY))
    assert error.check == "nbf"
    assert error.description == f"{REFUSED}it is not valid before {NOW + 600} (now {NOW})"


def test_core_2_auth_time_must_be_a_number() -> None:
    error = refused(sign_id_token(id_claims(auth_time="yesterday"), KEY))
    assert error.check == "auth_time"
    assert error.description == f"{REFUSED}auth_time is invalid ('yesterday')"


# -- step 3: vot and vtm (RFC 8485 §5) ----------------------------------------------------------------
TRUSTMARK = gov_uk_one_login_trustmark(IDP, TA)


def vot_refused(claims: dict[str, Any], trustmark: Trustmark | None = TRUSTMARK) -> LoginError:
    with pytest.raises(LoginError) as caught:
        check_vot(claims, VTR, issuer=IDP, trustmark=trustmark)
    assert caught.value.refusal is Refusal.INVALID_ID_TOKEN
    return caught.value


def test_rfc8485_5_a_vot_within_the_vtr_from_a_trusted_trustmark_passes() -> None:
    vot = check_vot(id_claims(vot="P2.Cl.Cm", vtm=VTM), VTR, issuer=IDP, trustmark=TRUSTMARK)
    assert vot == Vector.parse("P2.Cl.Cm")


def test_rfc8485_5_components_in_another_order_are_the_same_vector() -> None:
    vot = check_vot(id_claims(vot="Cm.Cl.P2", vtm=VTM), VTR, issuer=IDP, trustmark=TRUSTMARK)
    assert vot is not None
    assert vot.render() == "P2.Cl.Cm"


def test_rfc8485_5_no_vtr_sent_needs_no_vot() -> None:
    assert check_vot(id_claims(), (), issuer=IDP, trustmark=None) is None


def test_rfc8485_5_a_malformed_vot_without_a_vtr_is_refused_not_raised() -> None:
    with pytest.raises(LoginError) as caught:
        check_vot(id_claims(vot="P2..Cl"), (), issuer=IDP, trustmark=None)
    assert caught.value.check == "vot"
    assert caught.value.description.startswith(f"{REFUSED}vot 'P2..Cl' is not a vector of trust (")


def test_rfc8485_5_a_missing_vot_when_a_vtr_was_sent_is_refused() -> None:
    error = vot_refused(id_claims(vtm=VTM))
    assert error.check == "vot"
    assert error.description == f"{REFUSED}it has no vot, but the login asked for a vector of trust"


def test_rfc8485_6_1_a_vot_not_within_the_vtr_is_refused() -> None:
    with pytest.raises(LoginError) as caught:
        check_vot(id_claims(vot="P1.Cl", vtm=VTM), ("P2.Cl",), issuer=IDP, trustmark=TRUSTMARK)
    assert caught.value.check == "vot"
    assert caught.value.description == f"{REFUSED}vot 'P1.Cl' is not within the requested vtr ['P2.Cl']"


def test_rfc8485_3_1_a_malformed_vot_is_refused() -> None:
    error = vot_refused(id_claims(vot="p2.cl", vtm=VTM))
    assert error.check == "vot"
    assert error.description == (
        f"{REFUSED}vot 'p2.cl' is not a vector of trust (bad component 'p2' in vector 'p2.cl': a component "
        "is an uppercase letter A-Z (the category) followed by one letter or digit (the value))"
    )


def test_rfc8485_3_1_a_vot_that_is_not_a_string_is_refused() -> None:
    error = vot_refused(id_claims(vot=["P2.Cl"], vtm=VTM))
    assert error.check == "vot"
    assert error.description == (
        f"{REFUSED}vot ['P2.Cl'] is not a vector of trust (a vector is a string, not an array)"
    )


def test_rfc8485_5_a_missing_vtm_is_refused() -> None:
    error = vot_refused(id_claims(vot="P2.Cl"))
    assert error.check == "vtm"
    assert error.description == f"{REFUSED}it has no vtm trustmark URL"


def test_rfc8485_5_a_vtm_the_relying_party_does_not_trust_is_refused() -> None:
    error = vot_refused(id_claims(vot="P2.Cl", vtm="https://evil.example/trustmark"), trustmark=None)
    assert error.check == "vtm"
    assert error.description == f"{REFUSED}vtm 'https://evil.example/trustmark' is not trusted"


def test_rfc8485_5_a_trustmark_that_does_not_allow_the_vot_is_refused() -> None:
    error = vot_refused(id_claims(vot="P2.Cl.Ck", vtm=VTM))
    assert error.check == "vtm"
    assert error.description == (
        f"{REFUSED}trustmark {VTM!r} does not allow vot 'P2.Ck.Cl': 'Ck.Cl' is not a listed C value"
    )


def test_rfc8485_5_each_trustmark_is_judged_on_its_own_values() -> None:
    assert check_vot(id_claims(vot="P2.Cl.Cm", vtm=VTM), VTR, issuer=IDP, trustmark=TRUSTMARK) is not None
    narrower = Trustmark.model_validate({**TRUSTMARK.model_dump(), "C": ["Cl"]})
    error = vot_refused(id_claims(vot="P2.Cl.Cm", vtm=VTM), trustmark=narrower)
    assert error.check == "vtm"
    assert error.description == (
        f"{REFUSED}trustmark {VTM!r} does not allow vot 'P2.Cl.Cm': 'Cm' is not a listed C value"
    )


def test_rfc8485_5_a_trustmark_about_another_provider_is_refused() -> None:
    other = gov_uk_one_login_trustmark("https://other-idp.example", TA)
    error = vot_refused(id_claims(vot="P2.Cl", vtm=VTM), trustmark=other)
    assert error.check == "vtm"
    assert error.description == (
        f"{REFUSED}trustmark {VTM!r} is for IdP 'https://other-idp.example', not issuer {IDP!r}"
    )
