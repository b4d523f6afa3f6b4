"""Client authentication at the token endpoint: RFC 7523 §3 / OpenID Connect Core §9
(``private_key_jwt``), RFC 6749 §2.3.1 (client secrets, static development clients only) and
§5.2 (``invalid_client``). Every refusal changes nothing."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
from joserfc import jws

from federation.keys import generate_key
from idp.core.client_auth import authenticate_client
from idp.core.errors import InvalidClient
from tests.idp.idpkit import (
    ISSUER,
    JWT_CLIENT,
    SECRET,
    SECRET_CLIENT,
    IdpKit,
    assert_error,
    client_key,
    unchanged,
)
from tests.idp.tokenkit import (
    TOKEN,
    assertion,
    basic,
    code_for,
    exchange,
    hmac_assertion,
    jwt_auth,
    later,
    module_kit,
    new_account,
    other_key,
    post,
    unsigned,
)

kit = module_kit()


def attempt(kit: IdpKit, data: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
    """A refresh request that fails at client authentication, or at the (unknown) refresh token."""
    return post(kit, TOKEN, {"grant_type": "refresh_token", "refresh_token": "unknown", **data}, headers)


def refused(
    kit: IdpKit, data: dict[str, str], description: str, headers: dict[str, str] | None = None
) -> None:
    with unchanged(kit):
        response = attempt(kit, data, headers)
        assert_error(response, 401, "invalid_client", description)
        assert response.headers["www-authenticate"] == 'Basic realm="ukid-idp"'


def accepted(kit: IdpKit, data: dict[str, str], headers: dict[str, str] | None = None) -> None:
    """Client authentication passed: the request fails only at the unknown refresh token."""
    assert_error(attempt(kit, data, headers), 400, "invalid_grant", "the refresh token is not known")


# private_key_jwt ---------------------------------------------------------------------------------


def test_rfc7523_section_3_valid_assertion_is_accepted(kit: IdpKit) -> None:
    response = exchange(kit, code_for(kit, new_account(kit), client_id=JWT_CLIENT), client_id=JWT_CLIENT)
    assert response.status_code == 200, response.text


def test_rfc7523_section_3_audience_may_be_the_issuer_or_a_list(kit: IdpKit) -> None:
    accepted(kit, jwt_auth(assertion(kit, aud=ISSUER)))
    accepted(kit, jwt_auth(assertion(kit, aud=["https://other.example", TOKEN])))


def test_rfc7523_section_3_wrong_audience_is_invalid_client(kit: IdpKit) -> None:
    token = assertion(kit, aud="https://evil.example/token")
    refused(
        kit, jwt_auth(token), 'client assertion audience "https://evil.example/token" is not this provider'
    )
    token = assertion(kit, aud=[f"{ISSUER}/par"])
    refused(kit, jwt_auth(token), f'client assertion audience ["{ISSUER}/par"] is not this provider')


def test_rfc9126_section_2_par_endpoint_is_an_accepted_audience_there(kit: IdpKit) -> None:
    params = jwt_auth(assertion(kit, aud=f"{ISSUER}/par"))
    found = asyncio.run(authenticate_client(kit.services, params, None, endpoint=f"{ISSUER}/par"))
    assert found.client_id == JWT_CLIENT
    try:  # authenticate_client remembered the jti
        asyncio.run(authenticate_client(kit.services, params, None, endpoint=f"{ISSUER}/par"))
    except InvalidClient as exc:
        assert exc.description == "client assertion jti has been used before"
    else:
        raise AssertionError("a replayed assertion was accepted")


def test_rfc7523_section_3_expired_assertion_is_invalid_client(kit: IdpKit) -> None:
    refused(kit, jwt_auth(assertion(kit, lifetime=-61)), "client assertion is expired")
    accepted(kit, jwt_auth(assertion(kit, lifetime=-60)))  # within the 60 s leeway


def test_rfc7523_section_3_assertion_without_exp_is_invalid_client(kit: IdpKit) -> None:
    refused(kit, jwt_auth(assertion(kit, drop=("exp",))), "client assertion has no exp")


def test_rfc7523_section_3_assertion_living_too_long_is_invalid_client(kit: IdpKit) -> None:
    token = assertion(kit, lifetime=4000)
    refused(kit, jwt_auth(token), "client assertion expires more than 3900 seconds from now")


def test_rfc7523_section_3_assertion_issued_in_the_future_is_invalid_client(kit: IdpKit) -> None:
    token = assertion(kit, claims={"iat": kit.now() + 120})
    refused(kit, jwt_auth(token), "client assertion was issued in the future (iat)")


def test_rfc7523_section_3_replayed_jti_is_invalid_client(kit: IdpKit) -> None:
    token = assertion(kit)
    accepted(kit, jwt_auth(token))  # an otherwise rejected request does not consume it ...
    response = exchange(
        kit, code_for(kit, new_account(kit), client_id=JWT_CLIENT), client_id=JWT_CLIENT, auth=jwt_auth(token)
    )
    assert response.status_code == 200, response.text  # ... a successful one does
    refused(kit, jwt_auth(token), "client assertion jti has been used before")


def test_rfc7523_section_3_jti_may_come_back_once_the_first_expired(kit: IdpKit) -> None:
    first = assertion(kit, jti="reused-jti")
    assert (
        exchange(
            kit,
            code_for(kit, new_account(kit), client_id=JWT_CLIENT),
            client_id=JWT_CLIENT,
            auth=jwt_auth(first),
        ).status_code
        == 200
    )
    with later(kit, 200):
        again = assertion(kit, jti="reused-jti")
        code = code_for(kit, new_account(kit), client_id=JWT_CLIENT)
        assert exchange(kit, code, client_id=JWT_CLIENT, auth=jwt_auth(again)).status_code == 200


def test_core_9_assertion_without_jti_is_invalid_client(kit: IdpKit) -> None:
    refused(kit, jwt_auth(assertion(kit, drop=("jti",))), "client assertion has no jti")


def test_rfc7523_section_3_iss_and_sub_must_be_the_client(kit: IdpKit) -> None:
    token = assertion(kit, claims={"sub": "https://someone-else.example"})
    refused(kit, jwt_auth(token), "client assertion iss and sub must both be the client_id")


def test_rfc7523_section_3_client_id_must_match_the_assertion(kit: IdpKit) -> None:
    data = {**jwt_auth(assertion(kit)), "client_id": SECRET_CLIENT}
    refused(kit, data, "client_id does not match the client assertion's iss")


def test_rfc7515_bad_signature_is_invalid_client(kit: IdpKit) -> None:
    header, payload, signature = assertion(kit).split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    token = f"{header}.{payload}.{flipped}"
    refused(kit, jwt_auth(token), "client assertion signature does not verify with the client's keys")


def test_rfc8725_section_3_1_alg_none_is_never_accepted(kit: IdpKit) -> None:
    claims = {"iss": JWT_CLIENT, "sub": JWT_CLIENT, "aud": TOKEN, "exp": kit.now() + 60, "jti": "none-1"}
    token = unsigned({"alg": "none", "typ": "JWT"}, claims)
    refused(kit, jwt_auth(token), "unsigned client assertions (alg 'none') are never accepted")


def test_rfc8725_section_3_2_hmac_is_never_accepted(kit: IdpKit) -> None:
    refused(
        kit,
        jwt_auth(hmac_assertion(kit)),
        "client assertions signed with HMAC ('HS256') are never accepted: sign with the private key of a key "
        "in the client's JWKS",
    )


def test_rfc7523_key_not_in_the_clients_jwks_is_invalid_client(kit: IdpKit) -> None:
    stranger = other_key()
    token = assertion(kit, key=stranger)
    refused(kit, jwt_auth(token), f"client assertion key {stranger.kid!r} is not in the client's JWKS")


def test_rfc7523_unknown_key_without_kid_is_a_bad_signature(kit: IdpKit) -> None:
    claims = {"iss": JWT_CLIENT, "sub": JWT_CLIENT, "aud": TOKEN, "exp": kit.now() + 60, "jti": "no-kid"}
    token = jws.serialize_compact(
        {"alg": "ES256", "typ": "JWT"}, json.dumps(claims), other_key(), algorithms=["ES256"]
    )
    refused(kit, jwt_auth(token), "client assertion signature does not verify with the client's keys")
    mine = jws.serialize_compact(
        {"alg": "ES256"}, json.dumps({**claims, "jti": "no-kid-2"}), client_key(), algorithms=["ES256"]
    )
    accepted(kit, jwt_auth(mine))  # without kid (and typ), the client's own key is found


def test_rfc7523_algorithm_outside_the_allow_list_is_invalid_client(kit: IdpKit) -> None:
    token = assertion(kit, key=generate_key("ES384"), alg="ES384")
    refused(
        kit,
        jwt_auth(token),
        "client assertion algorithm 'ES384' is not accepted (accepted: ES256, PS256, RS256)",
    )


def test_rfc7521_section_4_2_wrong_assertion_type_is_invalid_client(kit: IdpKit) -> None:
    data = {"client_assertion_type": "urn:example:saml", "client_assertion": assertion(kit)}
    refused(kit, data, "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer")


def test_rfc7521_section_4_2_malformed_assertion_is_invalid_client(kit: IdpKit) -> None:
    refused(
        kit,
        jwt_auth("not-a-jwt"),
        "client assertion is not a JWT: not a compact JWS: expected three dot-separated parts",
    )


def test_rfc7523_secret_client_may_not_use_an_assertion(kit: IdpKit) -> None:
    token = assertion(kit, client_id=SECRET_CLIENT)
    refused(
        kit,
        jwt_auth(token),
        f"client {SECRET_CLIENT!r} must authenticate with client_secret_basic, not private_key_jwt",
    )


# client secrets ----------------------------------------------------------------------------------


def test_rfc6749_section_2_3_1_basic_is_form_urlencoded_then_base64(kit: IdpKit) -> None:
    accepted(kit, {}, basic())
    accepted(kit, {"client_id": SECRET_CLIENT}, basic())


def test_rfc6749_section_2_3_1_wrong_secret_is_invalid_client(kit: IdpKit) -> None:
    refused(kit, {}, f"the client secret of {SECRET_CLIENT!r} is wrong", basic(secret="wrong-secret-value"))


def test_rfc6749_section_5_2_unknown_client_is_invalid_client(kit: IdpKit) -> None:
    refused(
        kit,
        {},
        "client 'https://nobody.example/app' is not known to this provider",
        basic("https://nobody.example/app"),
    )


def test_rfc6749_section_2_3_client_must_use_its_registered_method(kit: IdpKit) -> None:
    refused(
        kit,
        {"client_id": SECRET_CLIENT, "client_secret": SECRET},
        f"client {SECRET_CLIENT!r} must authenticate with client_secret_basic, not client_secret_post",
    )
    refused(
        kit,
        {},
        f"client {JWT_CLIENT!r} must authenticate with private_key_jwt, not client_secret_basic",
        basic(JWT_CLIENT, "any-secret-at-all"),
    )


def test_rfc6749_section_2_3_one_method_per_request(kit: IdpKit) -> None:
    with unchanged(kit):
        response = attempt(kit, jwt_auth(assertion(kit)), basic())
        assert_error(
            response,
            400,
            "invalid_request",
            "the request uses more than one client authentication method (client_secret_basic, private_key_jwt)",
        )


def test_rfc6749_section_5_2_no_client_authentication_is_invalid_client(kit: IdpKit) -> None:
    refused(kit, {"client_id": SECRET_CLIENT}, "client authentication is required (private_key_jwt)")


def test_rfc6749_section_2_3_1_malformed_basic_credentials(kit: IdpKit) -> None:
    refused(kit, {}, "the Basic credentials are not base64-encoded UTF-8", {"Authorization": "Basic ***"})
    no_colon = base64.b64encode(b"just-an-id").decode()
    refused(
        kit,
        {},
        "the Basic credentials are not client_id:client_secret",
        {"Authorization": f"Basic {no_colon}"},
    )
    refused(
        kit,
        {},
        "the Authorization header uses the 'Bearer' scheme; clients authenticate with Basic "
        "(client_secret_basic) or a client assertion (private_key_jwt)",
        {"Authorization": "Bearer abc"},
    )
