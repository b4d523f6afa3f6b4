"""UserInfo endpoint: OpenID Connect Core §5.3 (claims by scope §5.4 and by the claims parameter
§5.5), verified claims (OIDC for Identity Assurance 1.0 §6), bearer tokens (RFC 6750 §2.1, §3),
consent and the federation's claims policy, and the record of every release."""

from __future__ import annotations

from typing import Any

from idp.core.id_token import pairwise_subject
from tests.idp.idpkit import SECRET_CLIENT, IdpKit, assert_error, unchanged
from tests.idp.tokenkit import (
    USERINFO,
    basic,
    later,
    module_kit,
    new_account,
    persona,
    post,
    tokens,
    userinfo,
    verify_id_token,
)

kit = module_kit()

CLAIMS = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "birthdate": "1985-12-10",
    "email": "ada@example.test",
    "email_verified": True,
    "phone_number": "+447700900001",
}
VERIFIED_NAMES = {
    "userinfo": {
        "verified_claims": {
            "verification": {"trust_framework": None},
            "claims": {"given_name": None, "family_name": None},
        }
    }
}


def body_of(kit: IdpKit, access_token: str, method: str = "GET") -> dict[str, Any]:
    response = userinfo(kit, access_token, method=method)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    found: dict[str, Any] = response.json()
    return found


def test_core_5_3_2_scope_claims_and_the_pairwise_sub(kit: IdpKit) -> None:
    account = new_account(kit, CLAIMS)
    issued = tokens(kit, account, scope=("openid", "profile", "email"))
    body = body_of(kit, issued["access_token"])
    assert body == {
        "sub": verify_id_token(kit, issued["id_token"])["sub"],
        "given_name": "Ada",
        "family_name": "Lovelace",
        "birthdate": "1985-12-10",
        "email": "ada@example.test",
        "email_verified": True,
    }
    assert body["sub"] == pairwise_subject(kit.services.config.pairwise_salt, "static.example", account.id)
    assert body_of(kit, issued["access_token"], method="POST") == body


def test_core_5_4_openid_scope_alone_gives_sub_only(kit: IdpKit) -> None:
    issued = tokens(kit, new_account(kit, CLAIMS))
    assert set(body_of(kit, issued["access_token"])) == {"sub"}


def test_core_5_5_claims_parameter_names_userinfo_claims(kit: IdpKit) -> None:
    claims = {"userinfo": {"phone_number": None, "given_name": {"value": "Someone else"}}}
    issued = tokens(kit, new_account(kit, CLAIMS), claims=claims)
    body = body_of(kit, issued["access_token"])
    assert body == {"sub": body["sub"], "phone_number": "+447700900001"}


def test_consent_only_consented_claims_are_released(kit: IdpKit) -> None:
    issued = tokens(kit, new_account(kit, CLAIMS), scope=("openid", "profile"), consented=["given_name"])
    assert set(body_of(kit, issued["access_token"])) == {"sub", "given_name"}


def test_ida_section_6_verified_claims_released_as_requested(kit: IdpKit) -> None:
    account = persona(kit, "medium")
    issued = tokens(kit, account, claims=VERIFIED_NAMES)
    body = body_of(kit, issued["access_token"])
    assert body["verified_claims"] == {
        "verification": {"trust_framework": "uk_diatf"},
        "claims": {"given_name": "Priya", "family_name": "Shah"},
    }
    releases = kit.services.grants.releases_of(account.id)
    assert releases[-1].channel == "userinfo"
    assert releases[-1].client_id == SECRET_CLIENT
    assert releases[-1].organization_name == "Static Services Ltd"
    assert releases[-1].claims == ("verified_claims.family_name", "verified_claims.given_name")
    assert releases[-1].level == "medium"


def test_ida_section_6_5_2_unmet_verification_constraint_omits_the_element(kit: IdpKit) -> None:
    claims = {
        "userinfo": {
            "given_name": None,
            "verified_claims": {
                "verification": {"trust_framework": None, "assurance_level": {"value": "high"}},
                "claims": {"given_name": None},
            },
        }
    }
    issued = tokens(kit, persona(kit, "medium"), claims=claims)
    body = body_of(kit, issued["access_token"])
    assert "verified_claims" not in body
    assert body["given_name"] == "Priya"


def test_consent_applies_inside_verified_claims_and_derived_claims(kit: IdpKit) -> None:
    claims = {
        "userinfo": {
            "verified_claims": {
                "verification": {
                    "trust_framework": None,
                    "assurance_level": None,
                    "evidence": [{"type": {"value": "document"}, "derived_claims": None}],
                },
                "claims": {"given_name": None, "family_name": None},
            }
        }
    }
    issued = tokens(kit, persona(kit, "high"), claims=claims, consented=["given_name"])
    element = body_of(kit, issued["access_token"])["verified_claims"]
    assert element["claims"] == {"given_name": "Olivia"}
    assert element["verification"]["assurance_level"] == "high"
    assert element["verification"]["evidence"] == [
        {"type": "document", "derived_claims": {"given_name": "Olivia"}}
    ]


def test_claims_policy_nhs_number_never_reaches_a_non_nhs_client(kit: IdpKit) -> None:
    claims = {
        "userinfo": {
            "nhs_number": None,
            "verified_claims": {
                "verification": {"trust_framework": None},
                "claims": {"nhs_number": None, "given_name": None},
            },
        }
    }
    issued = tokens(kit, persona(kit, "high"), claims=claims)
    body = body_of(kit, issued["access_token"])
    assert "nhs_number" not in body
    assert body["verified_claims"]["claims"] == {"given_name": "Olivia"}


def test_rfc6750_section_3_missing_token_is_invalid_token(kit: IdpKit) -> None:
    with unchanged(kit):
        response = kit.client.get(USERINFO)
        assert_error(
            response,
            401,
            "invalid_token",
            "an access token is required: send it as Authorization: Bearer <token>",
        )
        assert response.headers["www-authenticate"].startswith(
            'Bearer realm="ukid-idp", error="invalid_token"'
        )


def test_rfc6750_section_2_1_other_schemes_and_malformed_tokens(kit: IdpKit) -> None:
    with unchanged(kit):
        response = kit.client.get(USERINFO, headers=basic())
        assert_error(
            response,
            401,
            "invalid_token",
            "the Authorization header must be Bearer <access token> (RFC 6750 section 2.1)",
        )
        response = kit.client.get(USERINFO, headers={"Authorization": "Bearer a b"})
        assert_error(response, 401, "invalid_token", "the access token is malformed")


def test_rfc6750_section_2_2_form_body_token_is_not_accepted(kit: IdpKit) -> None:
    issued = tokens(kit, new_account(kit))
    with unchanged(kit):
        response = post(kit, USERINFO, {"access_token": issued["access_token"]})
        assert_error(
            response,
            401,
            "invalid_token",
            "an access token is required: send it as Authorization: Bearer <token>",
        )


def test_rfc6750_section_3_1_unknown_token_is_invalid_token(kit: IdpKit) -> None:
    with unchanged(kit):
        assert_error(userinfo(kit, "unknown-token"), 401, "invalid_token", "the access token is not known")


def test_rfc6750_section_3_1_refresh_token_is_not_an_access_token(kit: IdpKit) -> None:
    issued = tokens(kit, new_account(kit))
    with unchanged(kit):
        assert_error(
            userinfo(kit, issued["refresh_token"]), 401, "invalid_token", "the access token is not known"
        )


def test_rfc6750_section_3_1_expired_token_is_invalid_token(kit: IdpKit) -> None:
    issued = tokens(kit, new_account(kit))
    with later(kit, 600), unchanged(kit):
        assert_error(
            userinfo(kit, issued["access_token"]), 401, "invalid_token", "the access token is expired"
        )
    assert userinfo(kit, issued["access_token"]).status_code == 200
