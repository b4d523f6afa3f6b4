"""Pushed authorization requests (RFC 9126 §2, §4, §5): the request is checked as at the
authorization endpoint but answered in JSON; its ``request_uri`` is used once, by its own client,
before it expires."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.idp.fedclients import COUNCIL_RP, add_rp, federation_kit, rp_key
from tests.idp.flows import (
    assert_error_page,
    assert_redirect_error,
    authorization_params,
    authorize_code,
    basic_auth,
    citizen,
    client_assertion,
    pkce,
    push,
    shared_kit,
    start,
)
from tests.idp.idpkit import ISSUER, JWT_CLIENT, SECRET_CLIENT, IdpKit, assert_error, unchanged

CALLBACK = "https://static.example/callback"
NOT_REGISTERED = "redirect_uri is not registered for this client (it must match a registered URI exactly)"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpKit]:
    """One provider per database for the module; each test uses its own accounts and requests."""
    with shared_kit(request.param, tmp_path_factory) as running:
        yield running


@pytest.fixture
def kit(shared: IdpKit) -> IdpKit:
    """The shared provider, with a browser that has no cookies."""
    shared.client.cookies.clear()
    return shared


def _pushed(kit: IdpKit, client_id: str = SECRET_CLIENT, **options: str) -> tuple[str, str]:
    verifier, challenge = pkce()
    params = authorization_params(client_id=client_id, challenge=challenge, extra=options)
    if client_id == SECRET_CLIENT:
        response = push(kit, params, headers=basic_auth())
    else:
        response = push(kit, {**params, **client_assertion(client_id, now=kit.now())})
    assert response.status_code == 201, response.text
    return response.json()["request_uri"], verifier


def test_rfc9126_section_2_2_successful_push_and_use(kit: IdpKit) -> None:
    verifier, challenge = pkce()
    response = push(kit, authorization_params(challenge=challenge), headers=basic_auth())
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"request_uri", "expires_in"}
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert body["expires_in"] == 90
    who = citizen(kit)
    got = authorize_code(kit, username=who.username, request_uri=(body["request_uri"], verifier))
    assert got.response["state"] == "af0ifjsldkj"
    assert got.response["iss"] == ISSUER


def test_rfc9126_section_2_private_key_jwt_client_pushes(kit: IdpKit) -> None:
    who = citizen(kit)
    got = authorize_code(
        kit, client_id=JWT_CLIENT, username=who.username, request_uri=_pushed(kit, JWT_CLIENT)
    )
    assert got.redirect_uri == "https://static-jwt.example/callback"


def test_rfc9126_section_4_parameters_beside_request_uri_are_ignored(kit: IdpKit) -> None:
    request_uri, _verifier = _pushed(kit)
    params = {
        "client_id": SECRET_CLIENT,
        "request_uri": request_uri,
        "redirect_uri": "https://evil.example/callback",
        "scope": "openid email",
        "prompt": "none",
    }
    response = start(kit, params)
    assert response.headers["location"].startswith("/login?interaction=")


def test_rfc9126_section_4_request_uri_used_twice_is_invalid_request_uri(kit: IdpKit) -> None:
    request_uri, _verifier = _pushed(kit)
    params = {"client_id": SECRET_CLIENT, "request_uri": request_uri}
    assert start(kit, params).status_code == 303
    with unchanged(kit):
        response = start(kit, params)
    assert_redirect_error(
        response, CALLBACK, "invalid_request_uri", "request_uri has already been used", "af0ifjsldkj"
    )


def test_rfc9126_section_2_2_expired_request_uri_is_invalid_request_uri(kit: IdpKit) -> None:
    request_uri, _verifier = _pushed(kit)
    kit.advance(91)
    with unchanged(kit):
        response = start(kit, {"client_id": SECRET_CLIENT, "request_uri": request_uri})
    assert_redirect_error(
        response, CALLBACK, "invalid_request_uri", "request_uri has expired (RFC 9126 §2.2)", "af0ifjsldkj"
    )


def test_rfc9126_section_4_another_clients_request_uri_is_an_error_page(kit: IdpKit) -> None:
    request_uri, _verifier = _pushed(kit, JWT_CLIENT)
    with unchanged(kit):
        response = start(kit, {"client_id": SECRET_CLIENT, "request_uri": request_uri})
    assert_error_page(
        response, "invalid_request_uri", "request_uri is not a pushed authorization request of this client"
    )
    assert "static-jwt.example" not in response.headers.get("location", "")


def test_rfc9126_section_2_1_request_uri_inside_a_push_is_invalid_request(kit: IdpKit) -> None:
    params = authorization_params(extra={"request_uri": "urn:ietf:params:oauth:request_uri:abc"})
    with unchanged(kit):
        response = push(kit, params, headers=basic_auth())
    assert_error(
        response,
        400,
        "invalid_request",
        "request_uri must not be sent to the pushed authorization request endpoint",
    )


def test_rfc9126_section_2_3_errors_are_json_never_redirects(kit: IdpKit) -> None:
    cases = [
        ({"code_challenge": ""}, 400, "invalid_request", "code_challenge is required (PKCE, RFC 7636)"),
        (
            {"response_type": "token"},
            400,
            "unsupported_response_type",
            "only response_type code is supported (authorization code flow)",
        ),
        ({"redirect_uri": "https://evil.example/cb"}, 400, "invalid_request", NOT_REGISTERED),
        ({"vtr": "[]"}, 400, "invalid_request", "vtr is an empty array: it must request at least one vector"),
    ]
    for extra, status, error, description in cases:
        with unchanged(kit):
            response = push(kit, authorization_params(extra=extra), headers=basic_auth())
        assert "location" not in response.headers
        assert_error(response, status, error, description)


def test_rfc9126_section_2_3_rejected_push_does_not_use_up_the_assertion(kit: IdpKit) -> None:
    assertion = client_assertion(JWT_CLIENT, now=kit.now())
    params = authorization_params(client_id=JWT_CLIENT, extra={"code_challenge_method": "plain"})
    with unchanged(kit):
        response = push(kit, {**params, **assertion})
    assert_error(
        response,
        400,
        "invalid_request",
        "code_challenge_method must be S256, not 'plain' (plain is not allowed)",
    )
    good = push(kit, {**authorization_params(client_id=JWT_CLIENT), **assertion})
    assert good.status_code == 201, good.text


def test_rfc9126_section_2_unauthenticated_push_is_invalid_client(kit: IdpKit) -> None:
    with unchanged(kit):
        response = push(kit, authorization_params())
    assert_error(response, 401, "invalid_client", "client authentication is required (private_key_jwt)")


def test_rfc9126_section_2_wrong_secret_is_invalid_client(kit: IdpKit) -> None:
    with unchanged(kit):
        response = push(kit, authorization_params(), headers=basic_auth(secret="not-the-secret-at-all"))
    assert_error(response, 401, "invalid_client", f"the client secret of {SECRET_CLIENT!r} is wrong")


def test_rfc9126_section_5_federation_client_must_push(database_url: str, tmp_path: Path) -> None:
    with federation_kit(database_url, tmp_path) as kit:
        add_rp(kit.fed, COUNCIL_RP)
        callback = f"{COUNCIL_RP}/callback"
        params = authorization_params(client_id=COUNCIL_RP, scope="openid profile")
        with unchanged(kit):
            response = start(kit, params)
        assert_redirect_error(
            response,
            callback,
            "invalid_request",
            "pushed authorization requests are required for this client (RFC 9126 §5)",
            "af0ifjsldkj",
        )
        verifier, challenge = pkce()
        params = authorization_params(client_id=COUNCIL_RP, challenge=challenge)
        assertion = client_assertion(COUNCIL_RP, now=kit.now(), key=rp_key(COUNCIL_RP))
        pushed = push(kit, {**params, **assertion})
        assert pushed.status_code == 201, pushed.text
        who = citizen(kit)
        got = authorize_code(
            kit,
            client_id=COUNCIL_RP,
            username=who.username,
            request_uri=(pushed.json()["request_uri"], verifier),
        )
        assert set(got.response) == {"code", "state", "iss"}


def test_rfc9126_section_4_pushed_request_of_unknown_client_is_an_error_page(kit: IdpKit) -> None:
    request_uri, _verifier = _pushed(kit)
    with unchanged(kit):
        response = start(kit, {"client_id": "https://nobody.example", "request_uri": request_uri})
    assert_error_page(
        response, "invalid_client", "client 'https://nobody.example' is not known to this provider"
    )


def test_rfc9126_section_2_3_claims_the_client_may_not_receive_are_refused(kit: IdpKit) -> None:
    claims = {"userinfo": {"nhs_number": None}}
    with unchanged(kit):
        response = push(kit, authorization_params(claims=claims), headers=basic_auth())
    assert_error(
        response,
        400,
        "access_denied",
        "this client may not receive nhs_number: only an NHS organisation, recognised through the federation "
        "by its nhs_organisation trust mark, may receive nhs_number",
    )
