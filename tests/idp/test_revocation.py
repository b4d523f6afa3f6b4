"""Token revocation: RFC 7009 §2.1 (refresh tokens with their grant, access tokens alone), §2.2
(200 for unknown tokens and for another client's, which stay valid), client authentication."""

from __future__ import annotations

from tests.idp.idpkit import ISSUER, JWT_CLIENT, IdpKit, assert_error, unchanged
from tests.idp.tokenkit import (
    REVOKE,
    assertion,
    basic,
    jwt_auth,
    module_kit,
    new_account,
    post,
    refresh,
    tokens,
    userinfo,
)

kit = module_kit()


def revoke(kit: IdpKit, token: str, *, hint: str | None = None) -> None:
    data = {"token": token} if hint is None else {"token": token, "token_type_hint": hint}
    response = post(kit, REVOKE, data, basic())
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"


def test_rfc7009_section_2_1_refresh_token_revokes_the_grant(kit: IdpKit) -> None:
    issued = tokens(kit, new_account(kit))
    revoke(kit, issued["refresh_token"], hint="refresh_token")
    assert_error(
        userinfo(kit, issued["access_token"]), 401, "invalid_token", "the access token has been revoked"
    )
    assert_error(
        refresh(kit, issued["refresh_token"]), 400, "invalid_grant", "the refresh token has been revoked"
    )


def test_rfc7009_section_2_1_access_token_alone(kit: IdpKit) -> None:
    issued = tokens(kit, new_account(kit))
    revoke(kit, issued["access_token"], hint="refresh_token")  # a wrong hint does not matter
    assert_error(
        userinfo(kit, issued["access_token"]), 401, "invalid_token", "the access token has been revoked"
    )
    assert refresh(kit, issued["refresh_token"]).status_code == 200


def test_rfc7009_section_2_2_unknown_token_is_200_and_changes_nothing(kit: IdpKit) -> None:
    with unchanged(kit):
        revoke(kit, "no-such-token", hint="something-else")


def test_rfc7009_section_2_1_another_clients_token_is_not_revoked(kit: IdpKit) -> None:
    issued = tokens(kit, new_account(kit), client_id=JWT_CLIENT)
    with unchanged(kit):
        revoke(kit, issued["refresh_token"])
        revoke(kit, issued["access_token"])
    assert userinfo(kit, issued["access_token"]).status_code == 200


def test_rfc7009_section_2_revoking_twice_is_fine(kit: IdpKit) -> None:
    issued = tokens(kit, new_account(kit))
    revoke(kit, issued["refresh_token"])
    with unchanged(kit):
        revoke(kit, issued["refresh_token"])


def test_rfc7009_section_2_1_private_key_jwt_client_with_the_revocation_endpoint_as_audience(
    kit: IdpKit,
) -> None:
    issued = tokens(kit, new_account(kit), client_id=JWT_CLIENT)
    data = {"token": issued["access_token"], **jwt_auth(assertion(kit, aud=f"{ISSUER}/revoke"))}
    assert post(kit, REVOKE, data).status_code == 200
    assert userinfo(kit, issued["access_token"]).status_code == 401


def test_rfc7009_section_2_1_client_authentication_is_required(kit: IdpKit) -> None:
    issued = tokens(kit, new_account(kit))
    with unchanged(kit):
        response = post(kit, REVOKE, {"token": issued["access_token"]})
        assert_error(response, 401, "invalid_client", "client authentication is required (private_key_jwt)")
        response = post(kit, REVOKE, {"token": issued["access_token"]}, basic(secret="wrong-secret-value"))
        assert response.status_code == 401
    assert userinfo(kit, issued["access_token"]).status_code == 200


def test_rfc7009_section_2_1_token_is_required(kit: IdpKit) -> None:
    with unchanged(kit):
        assert_error(
            post(kit, REVOKE, {"token_type_hint": "access_token"}, basic()),
            400,
            "invalid_request",
            "token is required",
        )
        token = assertion(kit, aud=f"{ISSUER}/revoke")
        assert_error(post(kit, REVOKE, jwt_auth(token)), 400, "invalid_request", "token is required")
