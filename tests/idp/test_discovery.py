"""OpenID Connect Discovery 1.0 §3/§4, Identity Assurance 1.0 §8, RFC 8485 §5 trustmark, jwks_uri."""

from __future__ import annotations

from joserfc.jwk import KeySet

from schemas.vot import Trustmark
from tests.idp.idpkit import ISSUER, IdpKit


def test_discovery_section_4_metadata_names_every_endpoint(kit: IdpKit) -> None:
    response = kit.client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["issuer"] == ISSUER
    assert body["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert body["token_endpoint"] == f"{ISSUER}/token"
    assert body["pushed_authorization_request_endpoint"] == f"{ISSUER}/par"
    assert body["response_types_supported"] == ["code"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["subject_types_supported"] == ["pairwise"]
    assert body["authorization_response_iss_parameter_supported"] is True
    assert body["id_token_signing_alg_values_supported"] == ["ES256", "PS256", "RS256"]


def test_ida_section_8_metadata(kit: IdpKit) -> None:
    body = kit.client.get("/.well-known/openid-configuration").json()
    assert body["trust_frameworks_supported"] == ["uk_diatf"]
    assert {"given_name", "family_name", "birthdate", "address"} <= set(
        body["claims_in_verified_claims_supported"]
    )
    assert body["evidence_supported"] == ["document", "electronic_record", "vouch"]


def test_rfc8485_section_5_trustmark_document_validates(kit: IdpKit) -> None:
    body = kit.client.get("/trustmark").json()
    trustmark = Trustmark.model_validate(body)
    assert trustmark.idp == ISSUER
    assert kit.client.get("/.well-known/openid-configuration").json()["trustmarks"] == f"{ISSUER}/trustmark"


def test_jwks_publishes_public_keys_of_each_algorithm(kit: IdpKit) -> None:
    body = kit.client.get("/jwks").json()
    assert sorted(k["alg"] for k in body["keys"]) == ["ES256", "PS256", "RS256"]
    assert all("d" not in k and "p" not in k for k in body["keys"])
    KeySet.import_key_set(body)


def test_every_response_refuses_framing(kit: IdpKit) -> None:
    response = kit.client.get("/jwks")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
