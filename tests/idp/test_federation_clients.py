"""Automatic registration (OpenID Federation 1.0 §12.1): federation relying parties resolved as clients
through their trust chains (§10), with the metadata policy (§6.1) and trust marks (§7.3) applied."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from federation.jose import JwtType
from federation.keys import KeyStore, public_jwk
from federation.trust_marks import TrustMarkStatus
from idp.core.clients import ClientKind
from idp.core.errors import InvalidClient
from schemas.records import TrustMarkKind
from tests.dbkit import database
from tests.federation.fedkit import run
from tests.idp.fedclients import (
    COUNCIL_MARK,
    COUNCIL_RP,
    NHS_MARK,
    NHS_RP,
    TA,
    Directory,
    add_anchor,
    add_rp,
    directory,
    federation_kit,
    get_client,
    issue_mark,
    rp_key,
)
from tests.idp.idpkit import JWT_CLIENT, IdpKit, unchanged


@pytest.fixture
def fkit(database_url: str, tmp_path: Path) -> Iterator[IdpKit]:
    """A provider with a trust anchor (on SQLite and PostgreSQL)."""
    with federation_kit(database_url, tmp_path) as running:
        yield running


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpKit]:
    """One provider for this module's refusals (each uses its own RP and checks nothing changed)."""
    tmp_path = tmp_path_factory.mktemp(f"clients-{request.param}")
    with database(request.param, tmp_path) as url, federation_kit(url, tmp_path) as kit:
        yield kit


@pytest.fixture
def d() -> Directory:
    """The client directory alone, trusting ``TA``."""
    return directory()


def refused(kit: IdpKit, client_id: str) -> str:
    """The description of the ``invalid_client`` refusal of ``client_id`` (nothing may change)."""
    with unchanged(kit), pytest.raises(InvalidClient) as caught:
        get_client(kit, client_id)
    assert caught.value.error == "invalid_client"
    return caught.value.description


def refusal(d: Directory, client_id: str) -> str:
    """The description of the ``invalid_client`` refusal of ``client_id`` by the directory."""
    with pytest.raises(InvalidClient) as caught:
        d.get(client_id)
    assert caught.value.error == "invalid_client"
    return caught.value.description


def test_12_1_a_federation_rp_becomes_a_client_from_its_resolved_metadata(fkit: IdpKit) -> None:
    add_rp(
        fkit.fed,
        COUNCIL_RP,
        scope="openid profile",
        id_token_signed_response_alg="PS256",
        claim_purposes={"birthdate": "To check you are old enough for a parking permit"},
    )
    client = get_client(fkit, COUNCIL_RP)
    assert client.client_id == COUNCIL_RP
    assert client.kind is ClientKind.AUTOMATIC
    assert client.redirect_uris == (f"{COUNCIL_RP}/callback",)
    assert client.post_logout_redirect_uris == (f"{COUNCIL_RP}/signed-out",)
    assert client.token_endpoint_auth_method == "private_key_jwt"
    assert client.organization_name == "Example Council"
    assert client.client_name == "Service at parking.council.example"
    assert client.sector == "parking.council.example"
    assert client.grant_types == ("authorization_code", "refresh_token")
    assert client.scopes == frozenset({"openid", "profile"})
    assert client.id_token_signed_response_alg == "PS256"
    assert client.require_par is True
    assert client.trust_anchor == TA
    assert client.trust_mark_types == frozenset({COUNCIL_MARK})
    assert client.claim_purposes == {"birthdate": "To check you are old enough for a parking permit"}
    assert client.expires_at == int(fkit.fed.now) + fkit.fed.lifetime
    assert client.jwks is not None
    assert [k.kid for k in client.jwks.keys] == [rp_key(COUNCIL_RP).thumbprint()]
    assert client.secret_sha256 is None


def test_6_1_the_federation_metadata_policy_applies_before_the_client_is_built(d: Directory) -> None:
    add_rp(d.fed, COUNCIL_RP)
    policy = {"openid_relying_party": {"grant_types": {"subset_of": ["authorization_code"]}}}
    d.fed.entities[TA].subordinates[COUNCIL_RP].metadata_policy = policy
    assert d.get(COUNCIL_RP).grant_types == ("authorization_code",)


def test_5_2_1_keys_from_jwks_uri(d: Directory) -> None:
    add_rp(d.fed, COUNCIL_RP)
    metadata = d.fed.entities[COUNCIL_RP].metadata["openid_relying_party"]
    del metadata["jwks"]
    metadata["jwks_uri"] = f"{COUNCIL_RP}/jwks"
    keys = {"keys": [public_jwk(rp_key(COUNCIL_RP), "ES256")]}
    d.fed.serve_token(f"{COUNCIL_RP}/jwks", httpx.Response(200, json=keys))
    client = d.get(COUNCIL_RP)
    assert client.jwks is not None
    assert [k.kid for k in client.jwks.keys] == [rp_key(COUNCIL_RP).thumbprint()]


def test_5_2_1_keys_from_signed_jwks_uri_verified_with_the_rps_federation_keys(d: Directory) -> None:
    rp = add_rp(d.fed, COUNCIL_RP)
    metadata = rp.metadata["openid_relying_party"]
    del metadata["jwks"]
    metadata["signed_jwks_uri"] = f"{COUNCIL_RP}/signed-jwks"
    claims = {
        "iss": COUNCIL_RP,
        "sub": COUNCIL_RP,
        "iat": int(d.fed.now),
        "keys": [public_jwk(rp_key(COUNCIL_RP), "ES256")],
    }
    token = rp.keys.sign(claims, JwtType.JWK_SET)
    d.fed.serve_token(
        f"{COUNCIL_RP}/signed-jwks",
        httpx.Response(200, content=token.encode(), headers={"content-type": "application/jwk-set+jwt"}),
    )
    client = d.get(COUNCIL_RP)
    assert client.jwks is not None
    assert [k.kid for k in client.jwks.keys] == [rp_key(COUNCIL_RP).thumbprint()]


def test_5_2_1_signed_jwks_not_signed_by_the_rp_is_refused(d: Directory) -> None:
    add_rp(d.fed, COUNCIL_RP)
    metadata = d.fed.entities[COUNCIL_RP].metadata["openid_relying_party"]
    del metadata["jwks"]
    metadata["signed_jwks_uri"] = f"{COUNCIL_RP}/signed-jwks"
    stranger = KeyStore.open(None)
    stranger.generate()
    token = stranger.sign(
        {"iss": COUNCIL_RP, "keys": [public_jwk(rp_key(COUNCIL_RP), "ES256")]}, JwtType.JWK_SET
    )
    d.fed.serve_token(
        f"{COUNCIL_RP}/signed-jwks",
        httpx.Response(200, content=token.encode(), headers={"content-type": "application/jwk-set+jwt"}),
    )
    kid = stranger.signing_key().kid
    assert refusal(d, COUNCIL_RP) == (
        f"the keys of {COUNCIL_RP} cannot be used: no trusted key has kid {kid!r}"
    )


def test_12_1_unknown_client_id_that_is_no_entity_id(d: Directory) -> None:
    assert refusal(d, "not-a-url") == "client 'not-a-url' is not known to this provider"
    assert (
        refusal(d, "https://rp.example/?q=1")
        == "client 'https://rp.example/?q=1' is not known to this provider"
    )


def test_12_1_an_entity_id_is_unknown_when_the_provider_has_no_trust_anchor(kit: IdpKit) -> None:
    with unchanged(kit), pytest.raises(InvalidClient) as caught:
        get_client(kit, COUNCIL_RP)
    assert caught.value.description == f"client {COUNCIL_RP!r} is not known to this provider"
    assert kit.fed.requests == []


def test_static_clients_come_first(shared: IdpKit) -> None:
    fetched = len(shared.fed.requests)
    assert get_client(shared, JWT_CLIENT).kind is ClientKind.STATIC
    assert len(shared.fed.requests) == fetched


def test_10_chain_to_an_anchor_the_provider_does_not_trust_is_refused(shared: IdpKit) -> None:
    other, rp = "https://other-ta.example", "https://untrusted.council.example"
    add_anchor(shared.fed, other)
    add_rp(shared.fed, rp, superior=other)
    assert refused(shared, rp) == (
        f"the trust chain of {rp} does not resolve to a trust anchor this provider trusts: "
        f"via {rp} -> {other}: {other} is not a configured trust anchor and has no authority_hints"
    )


def test_10_2_entity_configuration_with_a_bad_signature_is_refused(d: Directory) -> None:
    add_rp(d.fed, COUNCIL_RP)
    fed = d.fed
    forger = KeyStore.open(None)
    forger.generate()
    claims = fed.configuration_claims(COUNCIL_RP)
    claims["jwks"] = forger.public_jwks()
    fed.serve_token(fed.ec_url(COUNCIL_RP), forger.sign(claims, JwtType.ENTITY_STATEMENT))
    description = refusal(d, COUNCIL_RP)
    assert description.startswith(
        f"the trust chain of {COUNCIL_RP} does not resolve to a trust anchor this provider trusts: "
        f"via {COUNCIL_RP} -> {TA}: entity configuration of {COUNCIL_RP} is signed with a key that "
        f"subordinate statement by {TA} about {COUNCIL_RP} does not vouch for"
    ), description


def test_10_unreachable_rp_is_invalid_client_not_a_server_error(d: Directory) -> None:
    d.fed.serve_token(d.fed.ec_url(COUNCIL_RP), httpx.Response(503, text="down"))
    assert refusal(d, COUNCIL_RP) == (
        f"the trust chain of {COUNCIL_RP} does not resolve to a trust anchor this provider trusts: "
        f"via {COUNCIL_RP}: entity configuration of {COUNCIL_RP}: "
        f"{COUNCIL_RP}/.well-known/openid-federation: answered HTTP 503"
    )


def test_12_3_expired_trust_chain_is_refused(d: Directory) -> None:
    add_rp(d.fed, COUNCIL_RP)
    d.get(COUNCIL_RP)
    d.advance(d.fed.lifetime + 61)
    exp = int(d.fed.now) + d.fed.lifetime
    assert refusal(d, COUNCIL_RP) == (
        f"the trust chain of {COUNCIL_RP} is expired: via {COUNCIL_RP}: entity configuration of "
        f"{COUNCIL_RP}: statement by {COUNCIL_RP} expired (exp {exp})"
    )


def test_7_rp_lacking_a_required_trust_mark_is_refused(shared: IdpKit) -> None:
    rp = "https://unmarked.council.example"
    add_rp(shared.fed, rp, marks=())
    assert refused(shared, rp) == (
        f"{rp} holds none of the trust marks this provider requires of relying parties "
        "(council, nhs_organisation)"
    )


def test_8_4_a_revoked_trust_mark_does_not_count(d: Directory) -> None:
    rp = add_rp(d.fed, COUNCIL_RP)
    d.fed.entities[TA].trust_mark_status[rp.trust_marks[0]["trust_mark"]] = TrustMarkStatus.REVOKED
    assert refusal(d, COUNCIL_RP) == (
        f"{COUNCIL_RP} holds none of the trust marks this provider requires of relying parties "
        "(council, nhs_organisation)"
    )


def test_7_3_a_trust_mark_about_someone_else_does_not_count(d: Directory) -> None:
    rp = add_rp(d.fed, COUNCIL_RP, marks=())
    other = add_rp(d.fed, NHS_RP, marks=("council",))
    rp.trust_marks = other.trust_marks
    assert "holds none of the trust marks" in refusal(d, COUNCIL_RP)


def test_required_trust_marks_can_be_configured_away() -> None:
    d = directory(required_rp_trust_marks=())
    add_rp(d.fed, COUNCIL_RP, marks=())
    assert d.get(COUNCIL_RP).trust_mark_types == frozenset()


def test_nhs_organisation_mark_is_verified_and_kept(d: Directory) -> None:
    add_rp(d.fed, NHS_RP, marks=("nhs_organisation", "council"))
    assert d.get(NHS_RP).trust_mark_types == frozenset({NHS_MARK, COUNCIL_MARK})


def test_12_1_client_secret_authentication_is_refused(shared: IdpKit) -> None:
    rp = "https://secret.council.example"
    add_rp(shared.fed, rp, token_endpoint_auth_method="client_secret_basic")
    assert refused(shared, rp) == (
        f"{rp} must authenticate with private_key_jwt (its token_endpoint_auth_method is "
        "'client_secret_basic')"
    )


def test_12_1_no_token_endpoint_auth_method_means_client_secret_basic_and_is_refused(d: Directory) -> None:
    rp = add_rp(d.fed, COUNCIL_RP)
    del rp.metadata["openid_relying_party"]["token_endpoint_auth_method"]
    assert "its token_endpoint_auth_method is 'client_secret_basic'" in refusal(d, COUNCIL_RP)


@pytest.mark.parametrize(
    ("metadata", "description"),
    [
        ({"redirect_uris": []}, "redirect_uris must be a non-empty array of URLs"),
        (
            {"redirect_uris": ["https://x.example/cb#frag"]},
            "redirect_uris: 'https://x.example/cb#frag' is not an absolute https URL without a fragment",
        ),
        (
            {"redirect_uris": ["/relative"]},
            "redirect_uris: '/relative' is not an absolute https URL without a fragment",
        ),
        (
            {"claim_purposes": {"birthdate": 5}},
            "claim_purposes must be an object of at most 50 claim names, each with a text of 1 to 500 characters",
        ),
    ],
)
def test_rp_metadata_that_cannot_make_a_client_is_refused(
    d: Directory, metadata: dict[str, Any], description: str
) -> None:
    add_rp(d.fed, COUNCIL_RP, **metadata)
    assert refusal(d, COUNCIL_RP) == f"{COUNCIL_RP}: {description}"


def test_rp_without_keys_is_refused(d: Directory) -> None:
    rp = add_rp(d.fed, COUNCIL_RP)
    del rp.metadata["openid_relying_party"]["jwks"]
    assert refusal(d, COUNCIL_RP) == (
        f"{COUNCIL_RP} publishes no jwks, jwks_uri or signed_jwks_uri for private_key_jwt"
    )


def test_rp_asking_for_an_id_token_algorithm_not_offered_is_refused(d: Directory) -> None:
    add_rp(d.fed, COUNCIL_RP, id_token_signed_response_alg="HS256")
    assert refusal(d, COUNCIL_RP) == (
        f"{COUNCIL_RP} asks for ID tokens signed with 'HS256'; this provider signs with ES256, PS256, RS256"
    )


def test_10_4_a_resolved_client_is_cached_until_client_cache_seconds_pass(d: Directory) -> None:
    add_rp(d.fed, COUNCIL_RP)
    first = d.get(COUNCIL_RP)
    fetched = len(d.fed.requests)
    assert d.get(COUNCIL_RP) is first
    assert len(d.fed.requests) == fetched
    d.advance(300)
    assert d.get(COUNCIL_RP) == first
    assert len(d.fed.requests) > fetched


def test_10_4_a_change_at_the_anchor_shows_after_the_cache_time(d: Directory) -> None:
    add_rp(d.fed, COUNCIL_RP)
    d.get(COUNCIL_RP)
    del d.fed.entities[TA].subordinates[COUNCIL_RP]
    d.get(COUNCIL_RP)  # still cached
    d.advance(300)
    assert f"{COUNCIL_RP} is not a subordinate of {TA}" in refusal(d, COUNCIL_RP)


def test_a_refusal_is_remembered_without_fetching_again(d: Directory) -> None:
    rp = add_rp(d.fed, COUNCIL_RP, marks=())
    first = refusal(d, COUNCIL_RP)
    fetched = len(d.fed.requests)
    rp.trust_marks = [
        {"trust_mark_type": COUNCIL_MARK, "trust_mark": issue_mark(d.fed, COUNCIL_RP, TrustMarkKind.COUNCIL)}
    ]
    assert refusal(d, COUNCIL_RP) == first
    assert len(d.fed.requests) == fetched
    d.advance(300)
    assert d.get(COUNCIL_RP).trust_mark_types == frozenset({COUNCIL_MARK})


def test_concurrent_first_requests_share_one_resolution(d: Directory) -> None:
    add_rp(d.fed, COUNCIL_RP)

    async def many() -> list[object]:
        return list(await asyncio.gather(*(d.clients.get(COUNCIL_RP) for _ in range(8))))

    clients = run(many())
    assert all(c is clients[0] for c in clients)
    assert d.fed.requests.count(f"{COUNCIL_RP}/.well-known/openid-federation") == 1
