"""ID tokens: OpenID Connect Core §2 (claims), §3.1.3.6 (``at_hash``), §8.1 (pairwise ``sub``),
§5.5 (claims requested for the ID token), §12.2 (refreshed ID tokens), signing algorithms."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from federation.jose import decode_unverified
from idp.core.id_token import left_hash, pairwise_subject
from tests.idp.idpkit import JWT_CLIENT, SECRET_CLIENT, IdpKit
from tests.idp.tokenkit import module_kit, new_account, persona, refresh, tokens, verify_id_token

kit = module_kit()

ID_TOKEN_CLAIMS = {
    "id_token": {
        "given_name": None,
        "auth_time": {"essential": True},
        "verified_claims": {"verification": {"trust_framework": None}, "claims": {"birthdate": None}},
    }
}


@contextmanager
def signing(kit: IdpKit, alg: str) -> Iterator[None]:
    static = kit.services.clients.static
    original = static[SECRET_CLIENT]
    static[SECRET_CLIENT] = replace(original, id_token_signed_response_alg=alg)
    try:
        yield
    finally:
        static[SECRET_CLIENT] = original


def test_core_8_1_pairwise_sub_differs_between_sectors_and_is_stable_within_one(kit: IdpKit) -> None:
    account = new_account(kit)
    secret_sub = verify_id_token(kit, tokens(kit, account)["id_token"])["sub"]
    again = verify_id_token(kit, tokens(kit, account)["id_token"])["sub"]
    jwt_sub = verify_id_token(kit, tokens(kit, account, client_id=JWT_CLIENT)["id_token"])["sub"]
    other = verify_id_token(kit, tokens(kit, new_account(kit))["id_token"])["sub"]
    assert secret_sub == again
    assert secret_sub not in (jwt_sub, other)
    assert account.id not in (secret_sub, jwt_sub)
    salt = kit.services.config.pairwise_salt
    assert secret_sub == pairwise_subject(salt, "static.example", account.id)
    assert jwt_sub == pairwise_subject(salt, "static-jwt.example", account.id)


def test_core_3_1_3_6_at_hash_is_the_left_half_of_sha256() -> None:
    token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
    expected = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()[:16]).rstrip(b"=").decode()
    assert left_hash(token, "ES256") == left_hash(token, "PS256") == left_hash(token, "RS256") == expected
    assert len(left_hash(token, "ES384")) == 32


def test_core_3_1_3_7_client_chosen_algorithm_is_used(kit: IdpKit) -> None:
    for alg in ("PS256", "RS256"):
        with signing(kit, alg):
            issued = tokens(kit, new_account(kit))
        header, _ = decode_unverified(issued["id_token"])
        assert header["alg"] == alg
        claims = verify_id_token(kit, issued["id_token"])
        assert claims["at_hash"] == left_hash(issued["access_token"], alg)


def test_core_3_1_3_7_algorithm_not_offered_falls_back_to_es256(kit: IdpKit) -> None:
    with signing(kit, "ES512"):
        issued = tokens(kit, new_account(kit))
    assert decode_unverified(issued["id_token"])[0]["alg"] == "ES256"
    verify_id_token(kit, issued["id_token"])


def test_core_5_5_claims_requested_for_the_id_token_are_in_it(kit: IdpKit) -> None:
    account = persona(kit, "low")
    issued = tokens(kit, account, claims=ID_TOKEN_CLAIMS)
    claims = verify_id_token(kit, issued["id_token"])
    assert claims["given_name"] == "Rhys"
    assert claims["verified_claims"] == {
        "verification": {"trust_framework": "uk_diatf"},
        "claims": {"birthdate": "1992-07-14"},
    }
    release = kit.services.grants.releases_of(account.id)[-1]
    assert (release.channel, release.claims, release.level) == (
        "id_token",
        ("given_name", "verified_claims.birthdate"),
        "low",
    )


def test_core_12_2_refreshed_id_token_carries_the_requested_claims_again(kit: IdpKit) -> None:
    account = persona(kit, "low")
    issued = tokens(kit, account, claims=ID_TOKEN_CLAIMS)
    before = len(kit.services.grants.releases_of(account.id))
    refreshed = refresh(kit, issued["refresh_token"]).json()
    claims = verify_id_token(kit, refreshed["id_token"])
    assert claims["given_name"] == "Rhys" and "verified_claims" in claims
    assert claims["sub"] == verify_id_token(kit, issued["id_token"])["sub"]
    assert len(kit.services.grants.releases_of(account.id)) == before + 1


def test_core_5_5_id_token_claims_need_consent(kit: IdpKit) -> None:
    account = persona(kit, "low")
    issued = tokens(kit, account, claims=ID_TOKEN_CLAIMS, consented=["family_name"])
    claims = verify_id_token(kit, issued["id_token"])
    assert "given_name" not in claims and "verified_claims" not in claims


def test_core_5_4_scope_claims_are_not_in_the_id_token_of_the_code_flow(kit: IdpKit) -> None:
    account = new_account(kit, {"given_name": "Ada", "email": "ada@example.test"})
    claims = verify_id_token(kit, tokens(kit, account, scope=("openid", "profile", "email"))["id_token"])
    assert "given_name" not in claims and "email" not in claims
