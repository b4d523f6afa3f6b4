"""Explicit registration (OpenID Federation 1.0 §12.2) at ``/federation/register``: the RP's entity
configuration or a trust chain in, a signed ``explicit-registration-response+jwt`` out; every refusal
in the federation error format (§8.9) and with nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from federation.jose import JwtType, decode_unverified, verify_jwt
from federation.keys import KeyStore
from idp.core.clients import ClientKind
from tests.dbkit import database
from tests.federation.fedkit import TestFederation
from tests.idp.fedclients import COUNCIL_MARK, TA, add_rp, federation_kit, get_client
from tests.idp.idpkit import ISSUER, JWT_CLIENT, IdpKit, assert_error, unchanged

EC = "application/entity-statement+jwt"
CHAIN = "application/trust-chain+json"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpKit]:
    """One provider for the refusals of this module (a refusal changes nothing, which each test checks)."""
    tmp_path = tmp_path_factory.mktemp(f"registration-{request.param}")
    with database(request.param, tmp_path) as url, federation_kit(url, tmp_path) as kit:
        yield kit


@pytest.fixture
def fkit(database_url: str, tmp_path: Path) -> Iterator[IdpKit]:
    """A provider of its own, for registrations that succeed."""
    with federation_kit(database_url, tmp_path) as running:
        yield running


def request_claims(fed: TestFederation, rp: str, **changes: Any) -> dict[str, Any]:
    """The RP's entity configuration claims as a registration request (``aud`` = the provider)."""
    claims = {**fed.configuration_claims(rp), "aud": ISSUER, **changes}
    return {k: v for k, v in claims.items() if v is not None}


def request_token(fed: TestFederation, rp: str, **changes: Any) -> str:
    """The signed registration request."""
    return fed.sign(request_claims(fed, rp, **changes), by=rp)


def post(kit: IdpKit, body: str | bytes, media_type: str = EC) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    response: httpx.Response = kit.client.post(
        "/federation/register", content=content, headers={"content-type": media_type}
    )
    return response


def rejected(
    kit: IdpKit, body: str | bytes, status: int, error: str, description: str, *, media_type: str = EC
) -> None:
    """The request is refused with exactly this error, and nothing is stored."""
    with unchanged(kit):
        assert_error(post(kit, body, media_type), status, error, description)


# -- success ---------------------------------------------------------------------------------------
def test_12_2_3_registration_response_is_a_signed_statement_with_the_registered_metadata(
    fkit: IdpKit,
) -> None:
    rp = "https://register.council.example"
    add_rp(fkit.fed, rp)
    tailored = {**fkit.fed.entities[rp].metadata}
    tailored["openid_relying_party"] = {
        **tailored["openid_relying_party"],
        "redirect_uris": [f"{rp}/for-this-idp"],
    }
    response = post(fkit, request_token(fkit.fed, rp, metadata=tailored))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/explicit-registration-response+jwt"
    assert response.headers["cache-control"] == "no-store"
    verified = verify_jwt(
        response.text, fkit.services.federation_keys.key_set(), JwtType.EXPLICIT_REGISTRATION_RESPONSE
    )
    claims = verified.claims
    exp = int(fkit.fed.now) + fkit.fed.lifetime
    assert claims["iss"] == ISSUER
    assert claims["sub"] == rp
    assert claims["aud"] == rp
    assert claims["iat"] == fkit.now()
    assert claims["exp"] == exp
    assert claims["trust_anchor"] == TA
    assert claims["authority_hints"] == [TA]
    assert claims["jwks"] == fkit.fed.entities[rp].keys.public_jwks()
    registered = claims["metadata"]["openid_relying_party"]
    assert registered["client_id"] == rp
    assert registered["redirect_uris"] == [f"{rp}/for-this-idp"]
    assert registered["token_endpoint_auth_method"] == "private_key_jwt"
    client = get_client(fkit, rp)
    assert client.kind is ClientKind.EXPLICIT
    assert client.redirect_uris == (f"{rp}/for-this-idp",)
    assert client.trust_mark_types == frozenset({COUNCIL_MARK})
    assert client.expires_at == exp
    assert client.organization_name == "Example Council"
    stored = fkit.services.registrations.registration(rp)
    assert stored is not None
    assert stored.metadata == registered


def test_12_2_1_a_trust_chain_body_selects_the_trust_anchor(fkit: IdpKit) -> None:
    rp = "https://chain.council.example"
    add_rp(fkit.fed, rp)
    chain = [request_token(fkit.fed, rp), fkit.fed.subordinate(TA, rp), fkit.fed.configuration(TA)]
    response = post(fkit, json.dumps(chain), CHAIN)
    assert response.status_code == 200, response.text
    assert decode_unverified(response.text)[1]["trust_anchor"] == TA


def test_12_2_2_a_new_registration_replaces_the_old_one_and_expiry_ends_it(fkit: IdpKit) -> None:
    rp = "https://again.council.example"
    add_rp(fkit.fed, rp)
    assert post(fkit, request_token(fkit.fed, rp)).status_code == 200
    metadata = fkit.fed.entities[rp].metadata
    metadata["openid_relying_party"]["redirect_uris"] = [f"{rp}/second"]
    assert post(fkit, request_token(fkit.fed, rp)).status_code == 200
    assert get_client(fkit, rp).redirect_uris == (f"{rp}/second",)
    assert len(fkit.snapshot()["registered_clients"]) == 1
    # the registration expires with its chain; then the RP is resolved afresh (automatic registration)
    fkit.fed.now += fkit.fed.lifetime
    fkit.advance(fkit.fed.lifetime + 1)
    client = get_client(fkit, rp)
    assert client.kind is ClientKind.AUTOMATIC


# -- refusals --------------------------------------------------------------------------------------
def test_12_2_1_other_media_types_are_refused(shared: IdpKit) -> None:
    rejected(
        shared,
        "{}",
        400,
        "invalid_request",
        "the request must be application/entity-statement+jwt (an entity configuration) or "
        "application/trust-chain+json (a trust chain)",
        media_type="application/json",
    )


def test_12_2_1_a_body_that_is_not_a_jwt_is_refused(shared: IdpKit) -> None:
    rejected(shared, "not a jwt", 400, "invalid_request", "the request body is not a compact JWT")


def test_12_2_2_a_self_signature_that_does_not_verify_is_refused(shared: IdpKit) -> None:
    rp = "https://badsig.council.example"
    add_rp(shared.fed, rp)
    forger = KeyStore.open(None)
    forger.generate()
    key = forger.signing_key()
    token = shared.fed.sign(request_claims(shared.fed, rp), key=key.key)
    rejected(
        shared,
        token,
        400,
        "invalid_request",
        f"the entity configuration in the request: no trusted key has kid {key.kid!r}",
    )


@pytest.mark.parametrize("aud", ["https://other-idp.example", None, [ISSUER, "https://other-idp.example"]])
def test_12_2_2_aud_must_be_this_provider(shared: IdpKit, aud: Any) -> None:
    rp = "https://aud.council.example"
    if rp not in shared.fed.entities:
        add_rp(shared.fed, rp)
    claims = request_claims(shared.fed, rp)
    claims.pop("aud")
    if aud is not None:
        claims["aud"] = aud
    rejected(
        shared,
        shared.fed.sign(claims, by=rp),
        400,
        "invalid_request",
        f"the entity configuration's aud must be this provider's entity ID {ISSUER}",
    )


def test_12_2_1_authority_hints_are_required(shared: IdpKit) -> None:
    rp = "https://nohints.council.example"
    add_rp(shared.fed, rp)
    claims = request_claims(shared.fed, rp)
    del claims["authority_hints"]
    rejected(
        shared,
        shared.fed.sign(claims, by=rp),
        400,
        "invalid_request",
        "the entity configuration has no authority_hints",
    )


def test_12_2_1_openid_relying_party_metadata_is_required(shared: IdpKit) -> None:
    rp = "https://nometadata.council.example"
    add_rp(shared.fed, rp)
    token = request_token(shared.fed, rp, metadata={"federation_entity": {"organization_name": "X"}})
    rejected(
        shared,
        token,
        400,
        "invalid_metadata",
        "the entity configuration has no openid_relying_party metadata",
    )


def test_12_2_2_an_expired_request_is_refused(shared: IdpKit) -> None:
    rp = "https://expired.council.example"
    add_rp(shared.fed, rp)
    iat = shared.now() - 7200
    token = request_token(shared.fed, rp, iat=iat, exp=iat + 3600)
    rejected(
        shared,
        token,
        400,
        "invalid_request",
        f"the entity configuration in the request: statement by {rp} expired (exp {iat + 3600})",
    )


def test_10_a_superior_that_does_not_know_the_rp_is_invalid_trust_chain(shared: IdpKit) -> None:
    rp = "https://stranger.council.example"
    add_rp(shared.fed, rp)
    del shared.fed.entities[TA].subordinates[rp]
    rejected(
        shared,
        request_token(shared.fed, rp),
        400,
        "invalid_trust_chain",
        f"no valid trust chain from {rp}: via {TA}: subordinate statement by {TA} about {rp}: "
        f"{TA}/fetch: answered HTTP 404: not_found: {rp} is not a subordinate of {TA}",
    )


def test_12_2_2_a_request_signed_with_a_key_the_superior_does_not_vouch_for(shared: IdpKit) -> None:
    rp = "https://newkey.council.example"
    entity = add_rp(shared.fed, rp)
    known = entity.keys.public_jwks()  # the key the anchor vouches for
    shared.fed.entities[TA].subordinates[rp].jwks = known
    entity.keys.rotate(overlap=0)
    entity.keys.revoke(known["keys"][0]["kid"])
    kid = entity.keys.signing_key().kid
    rejected(
        shared,
        request_token(shared.fed, rp),
        400,
        "invalid_trust_chain",
        f"no valid trust chain from {rp}: via {TA}: the entity configuration is not signed with a key {TA} "
        f"vouches for: no trusted key has kid {kid!r}",
    )


def test_12_2_3_a_trust_chain_to_an_anchor_not_trusted_here(shared: IdpKit) -> None:
    rp = "https://otheranchor.council.example"
    add_rp(shared.fed, rp)
    other = "https://other-ta.example"
    if other not in shared.fed.entities:
        shared.fed.add(other, authority=True)
    chain = [request_token(shared.fed, rp), shared.fed.configuration(other)]
    rejected(
        shared,
        json.dumps(chain),
        404,
        "invalid_trust_anchor",
        f"{other} is not a trust anchor this provider trusts",
        media_type=CHAIN,
    )


@pytest.mark.parametrize(
    ("body", "description"),
    [
        (
            "[]",
            "the trust chain must be a JSON array of 2 to 10 JWTs: the RP's entity configuration, its "
            "superiors' statements and the trust anchor's entity configuration",
        ),
        (
            '{"a": 1}',
            "the trust chain must be a JSON array of 2 to 10 JWTs: the RP's entity configuration, its "
            "superiors' statements and the trust anchor's entity configuration",
        ),
        ("[1, 2]", "every element of the trust chain must be a JWT string"),
        ('["a", "b"]', "trust chain element 0 is not a compact JWT"),
        ("[", "the trust chain is not valid JSON"),
    ],
)
def test_12_2_1_malformed_trust_chains(shared: IdpKit, body: str, description: str) -> None:
    rejected(shared, body, 400, "invalid_request", description, media_type=CHAIN)


def test_12_1_client_secret_metadata_is_invalid_metadata(shared: IdpKit) -> None:
    rp = "https://secret.council.example"
    add_rp(shared.fed, rp, token_endpoint_auth_method="client_secret_basic")
    rejected(
        shared,
        request_token(shared.fed, rp),
        400,
        "invalid_metadata",
        f"{rp} must authenticate with private_key_jwt (its token_endpoint_auth_method is 'client_secret_basic')",
    )


def test_7_an_rp_without_a_required_trust_mark_is_invalid_client(shared: IdpKit) -> None:
    rp = "https://unmarked.council.example"
    add_rp(shared.fed, rp, marks=())
    rejected(
        shared,
        request_token(shared.fed, rp),
        401,
        "invalid_client",
        f"{rp} holds none of the trust marks this provider requires of relying parties (council, nhs_organisation)",
    )


def test_a_static_client_id_cannot_be_registered(shared: IdpKit) -> None:
    if JWT_CLIENT not in shared.fed.entities:
        add_rp(shared.fed, JWT_CLIENT)
    rejected(
        shared,
        request_token(shared.fed, JWT_CLIENT),
        400,
        "invalid_request",
        f"{JWT_CLIENT} is a statically configured client of this provider",
    )


def test_a_body_too_large_is_refused(shared: IdpKit) -> None:
    rejected(
        shared,
        b"a" * (256 * 1024 + 1),
        400,
        "invalid_request",
        "the request body is larger than 262144 bytes",
    )


def test_a_provider_without_trust_anchors_registers_nobody(kit: IdpKit) -> None:
    rejected(
        kit,
        "a.b.c",
        404,
        "invalid_trust_anchor",
        "this provider trusts no trust anchor, so it registers no federation clients",
    )
