"""End to end over real HTTP: a trust anchor (registry) and the identity provider on uvicorn, and a
council relying party served by a loopback server. The anchor onboards the provider and the RP and
issues them trust marks; the provider publishes its mark (OpenID Federation 1.0 §7, §9), accepts a
pushed authorization request from the RP as an automatically registered client (§12.1, RFC 9126,
``private_key_jwt`` with the keys of the RP's resolved metadata) and registers it explicitly
(§12.2), each time resolving the RP's trust chain and trust mark through the real anchor.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest

from federation.http import FederationFetcher, FetchPolicy
from federation.jose import AnyKey, JwtType, decode_unverified, sign_jwt, verify_jws, verify_jwt
from federation.keys import generate_key, public_jwk
from federation.resolver import TrustChainResolver
from federation.service.settings import AnchorSetting
from federation.statements import key_set
from federation.trust_chain import TrustAnchor
from federation.trust_marks import verify_in_federation
from idp.app import create_app as create_idp
from idp.core.clients import ClientKind
from idp.core.directory import Clients
from idp.core.federation import RelyingParties
from idp.services import IdpServices, config_from_settings
from idp.settings import IdpSettings
from schemas.records import TrustMarkKind, trust_mark_type
from tests.e2e.servers import base_url, reserve, running
from tests.federation.fedkit import TestFederation, run
from tests.federation.http_server import serve
from tests.interop.forms import submit
from tests.records import certification_claims
from trust_registry.app import create_app as create_registry
from trust_registry.settings import RegistrySettings

DEV_TOKEN = {"Authorization": "Bearer dev-admin-token"}
COUNCIL = {"council": {"gss_code": "E07000178", "name": "Oxford City Council"}}


@dataclass
class Federation:
    ta: str
    idp: str
    rp: str
    fed: TestFederation
    idp_settings: IdpSettings
    #: Seconds added to the provider's clock (to let a retry fall due).
    offset: list[float]
    #: The RP's private_key_jwt key.
    rp_key: AnyKey
    #: The running provider's services (to create a citizen's account).
    idp_services: IdpServices


@pytest.fixture
def federation(database_url: str, tmp_path: Path) -> Iterator[Federation]:
    ta_sock, idp_sock = reserve(), reserve()
    ta, idp = base_url(ta_sock), base_url(idp_sock)
    anchor = RegistrySettings(
        environment="dev",
        entity_id=ta,
        data_dir=tmp_path / "ta",
        database_url=database_url,
        generate_keys=True,
        resolve_cache_seconds=0,
    )
    idp_settings = IdpSettings(
        environment="dev",
        issuer=idp,
        data_dir=tmp_path / "idp",
        generate_keys=True,
        password_hashing="fast",
        seed_accounts=False,
        trust_anchors=[AnchorSetting(entity_id=ta)],
        authority_hints=[ta],
        trust_mark_types=["certified_identity_service_provider"],
    )
    offset = [0.0]
    fed = TestFederation(lifetime=86400)
    with serve({}) as members:
        members.fallback = fed.loopback_handler(members.base_url)
        rp, rp_key = f"{members.base_url}/rp", generate_key("ES256")
        metadata: dict[str, dict[str, Any]] = {
            "federation_entity": {"organization_name": "Oxford City Council"},
            "openid_relying_party": {
                "client_name": "Resident parking permits",
                "redirect_uris": [f"{rp}/callback"],
                "token_endpoint_auth_method": "private_key_jwt",
                "grant_types": ["authorization_code", "refresh_token"],
                "jwks": {"keys": [public_jwk(rp_key, "ES256")]},
            },
        }
        fed.add(rp, metadata=metadata).authority_hints = [ta]
        idp_app = create_idp(idp_settings, clock=lambda: time.time() + offset[0])
        with running(create_registry(anchor), ta_sock), running(idp_app, idp_sock):
            yield Federation(ta, idp, rp, fed, idp_settings, offset, rp_key, idp_app.state.services)


def admin(method: str, url: str, body: Any = None) -> Any:
    response = httpx.request(method, url, json=body, headers=DEV_TOKEN, timeout=30)
    assert response.status_code in (200, 201), response.text
    return response.json()


def onboard(f: Federation) -> str:
    """The provider and the RP below the anchor, each with its trust mark; the provider's mark."""
    admin("POST", f"{f.ta}/admin/subordinates", {"entity_id": f.idp})
    admin("POST", f"{f.ta}/admin/subordinates", {"entity_id": f.rp})
    idp_mark: dict[str, Any] = admin(
        "POST",
        f"{f.ta}/admin/trust-marks",
        {
            "trust_mark_type": "certified_identity_service_provider",
            "sub": f.idp,
            "claims": certification_claims(f.idp),
        },
    )
    council = admin(
        "POST", f"{f.ta}/admin/trust-marks", {"trust_mark_type": "council", "sub": f.rp, "claims": COUNCIL}
    )
    f.fed.entities[f.rp].trust_marks = [
        {"trust_mark_type": council["trust_mark_type"], "trust_mark": council["trust_mark"]}
    ]
    return str(idp_mark["trust_mark"])


def anchor_keys(f: Federation) -> dict[str, Any]:
    jwks: dict[str, Any] = decode_unverified(httpx.get(f"{f.ta}/.well-known/openid-federation").text)[1][
        "jwks"
    ]
    return jwks


def test_7_the_provider_publishes_the_trust_mark_the_anchor_issued_it(federation: Federation) -> None:
    f = federation
    mark = onboard(f)
    f.offset[0] += 60  # the fetch tried while the anchor onboarded the provider found no mark yet
    response = httpx.get(f"{f.idp}/.well-known/openid-federation", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/entity-statement+jwt"
    claims = decode_unverified(response.text)[1]
    certified = trust_mark_type(f.ta, TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER)
    assert claims["trust_marks"] == [{"trust_mark_type": certified, "trust_mark": mark}]
    assert claims["metadata"]["openid_provider"]["client_registration_types_supported"] == [
        "automatic",
        "explicit",
    ]

    async def check() -> None:
        async with FederationFetcher(FetchPolicy.development()) as fetcher:
            resolver = TrustChainResolver(fetcher, [TrustAnchor.from_jwks(f.ta, anchor_keys(f))])
            chain = await resolver.resolve(f.idp, entity_types=["openid_provider"])
            assert chain.path == (f.idp, f.ta)
            verified = await verify_in_federation(mark, resolver, fetcher, trust_anchor=f.ta, subject=f.idp)
            assert verified.trust_mark_type == certified

    run(check())
    resolved = httpx.get(f"{f.ta}/resolve", params={"sub": f.idp, "trust_anchor": f.ta}, timeout=30)
    assert resolved.status_code == 200, resolved.text
    assert decode_unverified(resolved.text)[1]["trust_marks"] == [
        {"trust_mark_type": certified, "trust_mark": mark}
    ]


def test_12_the_provider_registers_and_resolves_the_council_rp_through_the_real_anchor(
    federation: Federation,
) -> None:
    f = federation
    onboard(f)
    council = trust_mark_type(f.ta, TrustMarkKind.COUNCIL)

    # automatic registration (§12.1): the RP pushes an authorization request (RFC 9126), authenticated
    # with private_key_jwt (RFC 7523) by a key the provider learns from the RP's resolved metadata
    now = int(time.time())
    assertion = sign_jwt(
        {
            "iss": f.rp,
            "sub": f.rp,
            "aud": f.idp,
            "jti": secrets.token_urlsafe(16),
            "iat": now,
            "exp": now + 60,
        },
        f.rp_key,
        "JWT",
    )
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    pushed = httpx.post(
        f"{f.idp}/par",
        data={
            "response_type": "code",
            "client_id": f.rp,
            "redirect_uri": f"{f.rp}/callback",
            "scope": "openid",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "s" * 16,
            "nonce": "n" * 16,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        timeout=30,
    )
    assert pushed.status_code == 201, pushed.text
    assert pushed.json()["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")

    # explicit registration over HTTP (§12.2)
    claims = {**f.fed.configuration_claims(f.rp), "aud": f.idp}
    response = httpx.post(
        f"{f.idp}/federation/register",
        content=f.fed.sign(claims, by=f.rp),
        headers={"content-type": "application/entity-statement+jwt"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    idp_keys = decode_unverified(httpx.get(f"{f.idp}/.well-known/openid-federation").text)[1]["jwks"]
    registration = verify_jwt(response.text, key_set(idp_keys), JwtType.EXPLICIT_REGISTRATION_RESPONSE).claims
    assert registration["trust_anchor"] == f.ta
    assert registration["authority_hints"] == [f.ta]
    registered = registration["metadata"]["openid_relying_party"]
    assert registered["client_id"] == f.rp
    # the anchor's profile policy applied: the response types default to code
    assert registered["response_types"] == ["code"]

    # the same resolution in process, to look at the client it gives
    async def resolve() -> None:
        async with FederationFetcher(FetchPolicy.development()) as fetcher:
            config = config_from_settings(f.idp_settings)
            clients = Clients({}, relying_parties=RelyingParties(config, fetcher))
            client = await clients.get(f.rp)
            assert client.kind is ClientKind.AUTOMATIC
            assert client.trust_anchor == f.ta
            assert client.trust_mark_types == frozenset({council})
            assert client.organization_name == "Oxford City Council"
            assert client.redirect_uris == (f"{f.rp}/callback",)

    run(resolve())


def assertion(f: Federation, audience: str) -> str:
    """A ``private_key_jwt`` client assertion of the RP (RFC 7523 §3)."""
    now = int(time.time())
    claims = {
        "iss": f.rp,
        "sub": f.rp,
        "aud": audience,
        "jti": secrets.token_urlsafe(16),
        "iat": now,
        "exp": now + 60,
    }
    return sign_jwt(claims, f.rp_key, "JWT")


def test_12_1_a_federation_rp_completes_a_login_with_no_set_up_at_the_provider(
    federation: Federation,
) -> None:
    f = federation
    onboard(f)
    f.idp_services.accounts.create(
        "citizen@example.test",
        f.idp_services.passwords.hash("citizen-password"),
        {"given_name": "Grace", "family_name": "Hopper", "birthdate": "1990-12-09"},
    )
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    pushed = httpx.post(
        f"{f.idp}/par",
        data={
            "response_type": "code",
            "client_id": f.rp,
            "redirect_uri": f"{f.rp}/callback",
            "scope": "openid profile",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "state-1234567890",
            "nonce": "nonce-1234567890",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion(f, f"{f.idp}/par"),
        },
        timeout=30,
    )
    assert pushed.status_code == 201, pushed.text

    # the citizen's browser: sign in, then consent (the page names the council, from the federation)
    with httpx.Client(timeout=30) as browser:
        page = browser.get(
            f"{f.idp}/authorize", params={"client_id": f.rp, "request_uri": pushed.json()["request_uri"]}
        )
        while page.is_redirect:
            page = browser.get(urljoin(str(page.url), page.headers["location"]))
        page = submit(browser, page, {"username": "citizen@example.test", "password": "citizen-password"})
        while page.is_redirect and not page.headers["location"].startswith(f.rp):
            page = browser.get(urljoin(str(page.url), page.headers["location"]))
        assert "Oxford City Council" in page.text
        page = submit(browser, page, {})
        assert page.is_redirect, page.text[:500]
        callback = urlsplit(page.headers["location"])
    query = dict(parse_qsl(callback.query))
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == f"{f.rp}/callback"
    assert (query["state"], query["iss"]) == ("state-1234567890", f.idp)

    token = httpx.post(
        f"{f.idp}/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": f"{f.rp}/callback",
            "code_verifier": verifier,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion(f, f"{f.idp}/token"),
        },
        timeout=30,
    )
    assert token.status_code == 200, token.text
    body = token.json()
    jwks = httpx.get(f"{f.idp}/jwks").json()
    id_token = verify_jws(body["id_token"], key_set(jwks), ("JWT",)).claims
    assert (id_token["iss"], id_token["aud"], id_token["nonce"]) == (f.idp, f.rp, "nonce-1234567890")
    assert id_token["vot"] == "Cl"
    userinfo = httpx.get(f"{f.idp}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == id_token["sub"]
    assert userinfo.json()["given_name"] == "Grace"
    assert "refresh_token" in body  # the RP's metadata lists the refresh_token grant
