"""Token endpoint, authorization code grant: OpenID Connect Core §3.1.3, RFC 6749 §4.1.3 and §5,
RFC 7636 §4.6 (PKCE), and the refusals that must change nothing."""

from __future__ import annotations

from dataclasses import replace

from idp.core.id_token import left_hash
from idp.store import digest
from tests.idp.idpkit import ISSUER, JWT_CLIENT, SECRET_CLIENT, IdpKit, assert_error, unchanged
from tests.idp.tokenkit import (
    NONCE,
    REDIRECTS,
    VERIFIER,
    basic,
    client,
    code_for,
    exchange,
    later,
    module_kit,
    new_account,
    post,
    refresh,
    tokens,
    userinfo,
    verify_id_token,
)

kit = module_kit()


def test_core_3_1_3_3_successful_token_response(kit: IdpKit) -> None:
    account = new_account(kit)
    response = exchange(kit, code_for(kit, account, vot="Cl"))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "id_token", "scope", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["scope"] == "openid"
    claims = verify_id_token(kit, body["id_token"])
    assert claims["iss"] == ISSUER
    assert claims["aud"] == SECRET_CLIENT
    assert claims["nonce"] == NONCE
    assert claims["iat"] == kit.now()
    assert claims["exp"] == kit.now() + 300
    assert claims["auth_time"] == kit.now() - 5
    assert claims["amr"] == ["pwd"]
    assert claims["at_hash"] == left_hash(body["access_token"], "ES256")
    assert claims["vot"] == "Cl"
    assert claims["vtm"] == f"{ISSUER}/trustmark"
    assert "acr" not in claims and "azp" not in claims


def test_core_3_1_3_3_tokens_are_stored_only_as_digests(kit: IdpKit) -> None:
    body = tokens(kit, new_account(kit))
    rows = repr(kit.snapshot()["tokens"])
    assert body["access_token"] not in rows and body["refresh_token"] not in rows
    assert digest(body["access_token"]) in rows and digest(body["refresh_token"]) in rows


def test_core_3_1_3_6_acr_only_when_acr_values_were_used(kit: IdpKit) -> None:
    body = tokens(kit, new_account(kit), acr="urn:ukid:gpg45:none", vot=None)
    claims = verify_id_token(kit, body["id_token"])
    assert claims["acr"] == "urn:ukid:gpg45:none"
    assert "vot" not in claims and "vtm" not in claims


def test_core_3_1_3_6_no_nonce_when_none_was_sent(kit: IdpKit) -> None:
    claims = verify_id_token(kit, tokens(kit, new_account(kit), nonce=None)["id_token"])
    assert "nonce" not in claims


def test_rfc6749_section_6_no_refresh_token_for_a_client_without_the_grant(kit: IdpKit) -> None:
    static = kit.services.clients.static
    original = static[SECRET_CLIENT]
    static[SECRET_CLIENT] = replace(original, grant_types=("authorization_code",))
    try:
        body = tokens(kit, new_account(kit))
        assert "refresh_token" not in body
        response = refresh(kit, "whatever")
        assert_error(response, 400, "unauthorized_client", "this client may not use the refresh_token grant")
    finally:
        static[SECRET_CLIENT] = original


def test_rfc6749_section_4_1_3_private_key_jwt_client_exchanges_its_code(kit: IdpKit) -> None:
    account = new_account(kit)
    response = exchange(kit, code_for(kit, account, client_id=JWT_CLIENT), client_id=JWT_CLIENT)
    assert response.status_code == 200, response.text
    assert verify_id_token(kit, response.json()["id_token"])["aud"] == JWT_CLIENT


def test_rfc6749_section_4_1_2_reused_code_is_refused_and_its_tokens_revoked(kit: IdpKit) -> None:
    account = new_account(kit)
    code = code_for(kit, account)
    first = exchange(kit, code).json()
    assert userinfo(kit, first["access_token"]).status_code == 200
    second = exchange(kit, code)
    assert_error(
        second,
        400,
        "invalid_grant",
        "the authorization code has already been used; the tokens issued with it are revoked",
    )
    assert_error(
        userinfo(kit, first["access_token"]), 401, "invalid_token", "the access token has been revoked"
    )
    assert_error(
        refresh(kit, first["refresh_token"]), 400, "invalid_grant", "the refresh token has been revoked"
    )
    with unchanged(kit):  # a third use: still refused, nothing more to revoke
        assert exchange(kit, code).status_code == 400


def test_rfc6749_section_4_1_2_expired_code_is_invalid_grant(kit: IdpKit) -> None:
    code = code_for(kit, new_account(kit))
    with later(kit, 61), unchanged(kit):
        assert_error(exchange(kit, code), 400, "invalid_grant", "the authorization code is expired")
    assert exchange(kit, code).status_code == 200  # the refusal did not use it up


def test_rfc7636_section_4_6_wrong_verifier_is_invalid_grant(kit: IdpKit) -> None:
    code = code_for(kit, new_account(kit))
    with unchanged(kit):
        response = exchange(kit, code, verifier="x" * 43)
        assert_error(
            response, 400, "invalid_grant", "code_verifier does not match the code_challenge (RFC 7636 §4.6)"
        )
    assert exchange(kit, code).status_code == 200


def test_rfc7636_section_4_1_malformed_verifier_is_invalid_grant(kit: IdpKit) -> None:
    code = code_for(kit, new_account(kit))
    with unchanged(kit):
        response = exchange(kit, code, verifier="short")
        assert_error(
            response,
            400,
            "invalid_grant",
            "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)",
        )


def test_rfc7636_section_4_5_missing_verifier_is_invalid_request(kit: IdpKit) -> None:
    code = code_for(kit, new_account(kit))
    with unchanged(kit):
        assert_error(exchange(kit, code, verifier=None), 400, "invalid_request", "code_verifier is required")


def test_rfc6749_section_4_1_3_redirect_uri_must_match(kit: IdpKit) -> None:
    code = code_for(kit, new_account(kit))
    with unchanged(kit):
        response = exchange(kit, code, redirect_uri="https://static.example/other")
        assert_error(
            response, 400, "invalid_grant", "redirect_uri is not the one of the authorization request"
        )


def test_rfc6749_section_4_1_3_code_of_another_client_is_invalid_grant(kit: IdpKit) -> None:
    code = code_for(kit, new_account(kit), client_id=JWT_CLIENT)
    with unchanged(kit):
        response = exchange(kit, code, redirect_uri=REDIRECTS[JWT_CLIENT])
        assert_error(response, 400, "invalid_grant", "the authorization code was issued to another client")
    assert exchange(kit, code, client_id=JWT_CLIENT).status_code == 200


def test_rfc6749_section_5_2_unknown_code_is_invalid_grant(kit: IdpKit) -> None:
    with unchanged(kit):
        assert_error(exchange(kit, "not-a-code"), 400, "invalid_grant", "the authorization code is not known")


def test_rfc6749_section_5_2_unsupported_grant_type(kit: IdpKit) -> None:
    with unchanged(kit):
        response = post(kit, "/token", {"grant_type": "password", "username": "a", "password": "b"}, basic())
        assert_error(
            response,
            400,
            "unsupported_grant_type",
            "grant_type 'password' is not supported (authorization_code, refresh_token)",
        )


def test_rfc6749_section_3_2_missing_grant_type_is_invalid_request(kit: IdpKit) -> None:
    with unchanged(kit):
        assert_error(
            post(kit, "/token", {"code": "x"}, basic()), 400, "invalid_request", "grant_type is required"
        )


def test_rfc6749_section_3_2_repeated_parameter_is_invalid_request(kit: IdpKit) -> None:
    code = code_for(kit, new_account(kit))
    body = f"grant_type=authorization_code&code={code}&code={code}&code_verifier={VERIFIER}"
    with unchanged(kit):
        response = kit.client.post(
            "/token",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **basic()},
        )
        assert_error(response, 400, "invalid_request", "code is included more than once")


def test_rfc6749_section_3_2_token_endpoint_needs_a_form(kit: IdpKit) -> None:
    with unchanged(kit):
        response = kit.client.post("/token", json={"grant_type": "authorization_code"}, headers=basic())
        assert_error(response, 400, "invalid_request", "the body must be application/x-www-form-urlencoded")


def test_core_3_1_3_token_endpoint_is_post_only(kit: IdpKit) -> None:
    assert_error(kit.client.get("/token"), 405, "invalid_request", "method GET is not allowed here")


def test_rfc6749_section_4_1_3_code_is_bound_to_the_client_id_of_the_secret(kit: IdpKit) -> None:
    code = code_for(kit, new_account(kit))
    with unchanged(kit):
        response = post(
            kit,
            "/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECTS[SECRET_CLIENT],
                "code_verifier": VERIFIER,
                "client_id": JWT_CLIENT,
            },
            basic(),
        )
        assert_error(response, 401, "invalid_client", "client_id does not match the Basic credentials")
    assert client(kit).client_id == SECRET_CLIENT
