"""The authorization endpoint's checks of a request (OpenID Connect Core 1.0 §3.1.2.1-§3.1.2.2,
§3.1.2.6; RFC 6749 §4.1.2.1; RFC 7636; RFC 9207; IDA §6; RFC 8485 §6.1).

Before the redirect URI is trusted every problem is an error page (never a redirect); after, it is
an error redirect with ``state`` and ``iss``. Every rejected request changes nothing. These tests
share one provider per database (they write nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.idp.flows import (
    assert_error_page,
    assert_redirect_error,
    authorization_params,
    pkce,
    redirect_query,
    shared_kit,
    start,
)
from tests.idp.idpkit import ISSUER, SECRET_CLIENT, IdpKit, unchanged

CALLBACK = "https://static.example/callback"
STATE = "af0ifjsldkj"
NOT_REGISTERED = "redirect_uri is not registered for this client (it must match a registered URI exactly)"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpKit]:
    """One provider per database for the whole module: these requests write nothing."""
    with shared_kit(request.param, tmp_path_factory) as running:
        yield running


@pytest.fixture
def kit(shared: IdpKit) -> IdpKit:
    """The shared provider, with a browser that has no cookies."""
    shared.client.cookies.clear()
    return shared


def _rejected_to_client(kit: IdpKit, extra: dict[str, str], error: str, description: str) -> None:
    with unchanged(kit):
        response = start(kit, authorization_params(extra=extra))
    assert_redirect_error(response, CALLBACK, error, description, STATE)


# -- before the redirect URI is trusted: an error page, never a redirect -----------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "https://static.example/callback/",
        "https://static.example/Callback",
        "https://static.example/callback?next=https://evil.example",
        "https://static.example/callback#x",
        "http://static.example/callback",
        "https://static.example:443/callback",
    ],
)
def test_rfc6749_section_4_1_2_1_unregistered_redirect_uri_is_an_error_page_not_a_redirect(
    kit: IdpKit, redirect_uri: str
) -> None:
    with unchanged(kit):
        response = start(kit, authorization_params(redirect_uri=redirect_uri))
    assert_error_page(response, "invalid_request", NOT_REGISTERED)
    assert "evil.example" not in response.text


def test_core_section_3_1_2_1_missing_redirect_uri_is_an_error_page(kit: IdpKit) -> None:
    params = authorization_params()
    del params["redirect_uri"]
    with unchanged(kit):
        response = start(kit, params)
    assert_error_page(response, "invalid_request", "redirect_uri is required (OpenID Connect Core §3.1.2.1)")


def test_rfc6749_section_4_1_2_1_unknown_client_is_an_error_page(kit: IdpKit) -> None:
    with unchanged(kit):
        response = start(kit, authorization_params(client_id="https://unknown.example/app"))
    assert_error_page(
        response, "invalid_client", "client 'https://unknown.example/app' is not known to this provider"
    )


def test_core_section_3_1_2_1_missing_client_id_is_an_error_page(kit: IdpKit) -> None:
    params = authorization_params()
    del params["client_id"]
    with unchanged(kit):
        response = start(kit, params)
    assert_error_page(response, "invalid_request", "client_id is required (OpenID Connect Core §3.1.2.1)")


def test_rfc6749_section_3_1_repeated_parameter_is_an_error_page(kit: IdpKit) -> None:
    query = "&".join(f"{k}={v}" for k, v in authorization_params().items()) + "&scope=openid"
    with unchanged(kit):
        response = kit.client.get(f"/authorize?{query}", follow_redirects=False)
    assert_error_page(response, "invalid_request", "scope is included more than once")


def test_rfc9126_section_4_unknown_request_uri_is_an_error_page(kit: IdpKit) -> None:
    params = {"client_id": SECRET_CLIENT, "request_uri": "urn:ietf:params:oauth:request_uri:nothing-here"}
    with unchanged(kit):
        response = start(kit, params)
    assert_error_page(
        response, "invalid_request_uri", "request_uri is not a pushed authorization request of this client"
    )


# -- after: an error redirect with state and iss (RFC 9207 §2) ---------------------------------------


def test_rfc6749_section_4_1_2_1_response_type_other_than_code_is_unsupported(kit: IdpKit) -> None:
    for response_type in ("token", "id_token", "code id_token"):
        _rejected_to_client(
            kit,
            {"response_type": response_type},
            "unsupported_response_type",
            "only response_type code is supported (authorization code flow)",
        )


def test_rfc6749_section_4_1_1_missing_response_type_is_invalid_request(kit: IdpKit) -> None:
    _rejected_to_client(kit, {"response_type": ""}, "invalid_request", "response_type is required")


def test_rfc7636_section_4_4_1_missing_code_challenge_is_invalid_request(kit: IdpKit) -> None:
    _rejected_to_client(
        kit, {"code_challenge": ""}, "invalid_request", "code_challenge is required (PKCE, RFC 7636)"
    )


def test_rfc7636_section_4_3_plain_challenge_method_is_refused(kit: IdpKit) -> None:
    verifier, _challenge = pkce()
    _rejected_to_client(
        kit,
        {"code_challenge": verifier[:43], "code_challenge_method": "plain"},
        "invalid_request",
        "code_challenge_method must be S256, not 'plain' (plain is not allowed)",
    )


def test_rfc7636_section_4_3_absent_challenge_method_means_plain_and_is_refused(kit: IdpKit) -> None:
    _rejected_to_client(
        kit,
        {"code_challenge_method": ""},
        "invalid_request",
        "code_challenge_method is required and must be S256 (plain is not allowed)",
    )


@pytest.mark.parametrize("challenge", ["short", "a" * 44, "a" * 42 + "+/", "a" * 42 + "="])
def test_rfc7636_section_4_2_s256_challenge_must_be_43_base64url_characters(
    kit: IdpKit, challenge: str
) -> None:
    _rejected_to_client(
        kit,
        {"code_challenge": challenge},
        "invalid_request",
        "code_challenge must be 43 base64url characters (RFC 7636 §4.2, S256)",
    )


def test_core_section_3_1_2_1_scope_without_openid_is_invalid_scope(kit: IdpKit) -> None:
    _rejected_to_client(
        kit,
        {"scope": "profile email"},
        "invalid_scope",
        "scope must include openid (OpenID Connect Core §3.1.2.1)",
    )


def test_rfc6749_section_3_3_unknown_scope_is_invalid_scope(kit: IdpKit) -> None:
    _rejected_to_client(
        kit, {"scope": "openid admin"}, "invalid_scope", "scope 'admin' is not supported by this provider"
    )


@pytest.mark.parametrize(
    ("claims", "description"),
    [
        ("{not json", "claims is not valid JSON (OpenID Connect Core §5.5)"),
        ("[1, 2]", "claims must be a JSON object (OpenID Connect Core §5.5)"),
        ("[" * 4000 + "]" * 4000, "claims is not valid JSON (OpenID Connect Core §5.5)"),
        (
            json.dumps({"userinfo": {"shoe_size": None}}),
            "claims is malformed: userinfo: unknown claim 'shoe_size': not in this federation's claims vocabulary",
        ),
        (
            json.dumps({"userinfo": {"given_name": {"essential": "yes"}}}),
            "claims is malformed: userinfo.given_name.essential: Input should be a valid boolean",
        ),
        (
            json.dumps({"id_token": {"verified_claims": {"claims": {"given_name": None}}}}),
            "claims is malformed: id_token.verified_claims.object.verification: Field required",
        ),
    ],
)
def test_core_section_5_5_malformed_claims_parameter_is_invalid_request(
    kit: IdpKit, claims: str, description: str
) -> None:
    _rejected_to_client(kit, {"claims": claims}, "invalid_request", description)


@pytest.mark.parametrize(
    ("vtr", "description"),
    [
        ("Cl.Cm", "vtr is not valid JSON: it must be a JSON array of vector strings"),
        ("[]", "vtr is an empty array: it must request at least one vector"),
        ('["Cl..Cm"]', "vtr[0]: empty component in vector 'Cl..Cm': components are separated by one '.'"),
        ("[2]", "vtr[0] must be a string, not a number"),
        ('"Cl.Cm"', "vtr must be a JSON array of vector strings, not a string"),
        ("[" * 4000 + "]" * 4000, "vtr is nested too deeply: it must be a JSON array of vector strings"),
    ],
)
def test_rfc8485_section_6_1_malformed_vtr_is_invalid_request(
    kit: IdpKit, vtr: str, description: str
) -> None:
    _rejected_to_client(kit, {"vtr": vtr}, "invalid_request", description)


def test_core_section_3_1_2_1_prompt_none_with_other_values_is_invalid_request(kit: IdpKit) -> None:
    _rejected_to_client(
        kit,
        {"prompt": "none login"},
        "invalid_request",
        "prompt none cannot be combined with other values (OpenID Connect Core §3.1.2.1)",
    )


def test_core_section_3_1_2_1_unknown_prompt_is_invalid_request(kit: IdpKit) -> None:
    _rejected_to_client(
        kit,
        {"prompt": "create"},
        "invalid_request",
        "prompt 'create' is not supported: use none, login, consent, select_account",
    )


@pytest.mark.parametrize("max_age", ["-1", "1.5", "soon", "9" * 30])
def test_core_section_3_1_2_1_max_age_must_be_a_non_negative_integer(kit: IdpKit, max_age: str) -> None:
    _rejected_to_client(
        kit, {"max_age": max_age}, "invalid_request", "max_age must be a non-negative whole number of seconds"
    )


def test_core_section_3_1_2_6_request_objects_are_not_supported(kit: IdpKit) -> None:
    _rejected_to_client(
        kit,
        {"request": "eyJhbGciOiJub25lIn0.e30."},
        "request_not_supported",
        "the request parameter (request objects) is not supported: push the request (RFC 9126)",
    )


def test_core_section_3_1_2_1_only_the_query_response_mode_is_supported(kit: IdpKit) -> None:
    _rejected_to_client(
        kit, {"response_mode": "fragment"}, "invalid_request", "only response_mode query is supported"
    )


def test_core_section_3_1_2_1_overlong_nonce_is_invalid_request(kit: IdpKit) -> None:
    _rejected_to_client(kit, {"nonce": "n" * 513}, "invalid_request", "nonce is longer than 512 characters")


def test_claims_the_client_may_not_receive_are_access_denied(kit: IdpKit) -> None:
    claims = {"userinfo": {"nhs_number": None}}
    _rejected_to_client(
        kit,
        {"claims": json.dumps(claims)},
        "access_denied",
        "this client may not receive nhs_number: only an NHS organisation, recognised through the federation "
        "by its nhs_organisation trust mark, may receive nhs_number",
    )


def test_claims_inside_verified_claims_the_client_may_not_receive_are_access_denied(kit: IdpKit) -> None:
    claims = {
        "id_token": {
            "verified_claims": {"verification": {"trust_framework": None}, "claims": {"nhs_number": None}}
        }
    }
    with unchanged(kit):
        response = start(kit, authorization_params(claims=claims))
    assert redirect_query(response, CALLBACK)["error"] == "access_denied"


def test_rfc6749_section_4_1_2_1_error_without_state_sends_no_state(kit: IdpKit) -> None:
    with unchanged(kit):
        response = start(kit, authorization_params(state=None, extra={"response_type": "token"}))
    assert_redirect_error(
        response,
        CALLBACK,
        "unsupported_response_type",
        "only response_type code is supported (authorization code flow)",
        None,
    )


def test_rfc9207_section_2_error_response_carries_iss_and_keeps_the_redirect_uri_query(kit: IdpKit) -> None:
    response = start(kit, authorization_params(extra={"response_type": "token"}))
    location = response.headers["location"]
    assert location.startswith(f"{CALLBACK}?error=unsupported_response_type&")
    assert redirect_query(response, CALLBACK)["iss"] == ISSUER
