"""Token endpoint, refresh token grant: RFC 6749 §6, OpenID Connect Core §12, rotation and reuse
detection (OAuth 2.0 Security BCP §4.14.2), binding to the client."""

from __future__ import annotations

from tests.idp.idpkit import JWT_CLIENT, IdpKit, assert_error, unchanged
from tests.idp.tokenkit import (
    assertion,
    jwt_auth,
    later,
    module_kit,
    new_account,
    refresh,
    tokens,
    userinfo,
    verify_id_token,
)

kit = module_kit()


def test_core_12_2_refresh_rotates_and_returns_a_new_id_token(kit: IdpKit) -> None:
    account = new_account(kit)
    first = tokens(kit, account)
    original = verify_id_token(kit, first["id_token"])
    with later(kit, 100):
        response = refresh(kit, first["refresh_token"])
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["refresh_token"] != first["refresh_token"]
        assert body["access_token"] != first["access_token"]
        claims = verify_id_token(kit, body["id_token"])
        for name in ("iss", "sub", "aud", "auth_time", "vot", "vtm"):
            assert claims[name] == original[name]
        assert claims["iat"] == original["iat"] + 100
        assert "nonce" not in claims
        assert userinfo(kit, body["access_token"]).status_code == 200
        # the previous access token stays valid until it expires; the new refresh token works
        assert userinfo(kit, first["access_token"]).status_code == 200
        assert refresh(kit, body["refresh_token"]).status_code == 200


def test_security_bcp_4_14_2_reused_refresh_token_revokes_the_grant(kit: IdpKit) -> None:
    first = tokens(kit, new_account(kit))
    second = refresh(kit, first["refresh_token"]).json()
    response = refresh(kit, first["refresh_token"])
    assert_error(
        response,
        400,
        "invalid_grant",
        "the refresh token has already been used; every token of this grant is revoked",
    )
    assert_error(
        refresh(kit, second["refresh_token"]), 400, "invalid_grant", "the refresh token has been revoked"
    )
    for access in (first["access_token"], second["access_token"]):
        assert_error(userinfo(kit, access), 401, "invalid_token", "the access token has been revoked")


def test_rfc6749_section_6_refresh_token_of_another_client_is_invalid_grant(kit: IdpKit) -> None:
    first = tokens(kit, new_account(kit))
    with unchanged(kit):
        response = refresh(kit, first["refresh_token"], client_id=JWT_CLIENT)
        assert_error(response, 400, "invalid_grant", "the refresh token was issued to another client")
    assert refresh(kit, first["refresh_token"]).status_code == 200  # still usable by its own client


def test_rfc6749_section_6_expired_refresh_token_is_invalid_grant(kit: IdpKit) -> None:
    first = tokens(kit, new_account(kit))
    with later(kit, 30 * 86400), unchanged(kit):
        assert_error(
            refresh(kit, first["refresh_token"]), 400, "invalid_grant", "the refresh token is expired"
        )


def test_rfc6749_section_6_rotated_token_keeps_the_original_expiry(kit: IdpKit) -> None:
    first = tokens(kit, new_account(kit))
    with later(kit, 20 * 86400):
        second = refresh(kit, first["refresh_token"]).json()
    with later(kit, 30 * 86400), unchanged(kit):
        assert_error(
            refresh(kit, second["refresh_token"]), 400, "invalid_grant", "the refresh token is expired"
        )


def test_rfc6749_section_5_2_unknown_refresh_token_is_invalid_grant(kit: IdpKit) -> None:
    with unchanged(kit):
        assert_error(refresh(kit, "no-such-token"), 400, "invalid_grant", "the refresh token is not known")


def test_rfc6749_section_5_2_access_token_is_not_a_refresh_token(kit: IdpKit) -> None:
    first = tokens(kit, new_account(kit))
    with unchanged(kit):
        assert_error(
            refresh(kit, first["access_token"]), 400, "invalid_grant", "the refresh token is not known"
        )


def test_rfc6749_section_6_wider_scope_is_invalid_scope(kit: IdpKit) -> None:
    first = tokens(kit, new_account(kit))
    with unchanged(kit):
        response = refresh(kit, first["refresh_token"], extra={"scope": "openid email"})
        assert_error(response, 400, "invalid_scope", "scope email was not granted (RFC 6749 §6)")


def test_rfc6749_section_6_same_scope_is_accepted_narrower_is_refused(kit: IdpKit) -> None:
    first = tokens(kit, new_account(kit), scope=("openid", "email"))
    with unchanged(kit):
        response = refresh(kit, first["refresh_token"], extra={"scope": "openid"})
        assert_error(
            response, 400, "invalid_scope", "narrowing the scope on refresh is not supported: omit scope"
        )
    response = refresh(kit, first["refresh_token"], extra={"scope": "email openid"})
    assert response.status_code == 200
    assert response.json()["scope"] == "openid email"


def test_rfc7523_refresh_with_private_key_jwt_records_the_jti_once(kit: IdpKit) -> None:
    first = tokens(kit, new_account(kit), client_id=JWT_CLIENT)
    token = assertion(kit)
    response = refresh(kit, first["refresh_token"], client_id=JWT_CLIENT, auth=jwt_auth(token))
    assert response.status_code == 200, response.text
    with unchanged(kit):
        again = refresh(kit, response.json()["refresh_token"], client_id=JWT_CLIENT, auth=jwt_auth(token))
        assert_error(again, 401, "invalid_client", "client assertion jti has been used before")


def test_rfc7523_rejected_refresh_does_not_consume_the_assertion(kit: IdpKit) -> None:
    first = tokens(kit, new_account(kit), client_id=JWT_CLIENT)
    token = assertion(kit)
    with unchanged(kit):
        response = refresh(kit, "no-such-token", client_id=JWT_CLIENT, auth=jwt_auth(token))
        assert_error(response, 400, "invalid_grant", "the refresh token is not known")
    assert refresh(kit, first["refresh_token"], client_id=JWT_CLIENT, auth=jwt_auth(token)).status_code == 200
