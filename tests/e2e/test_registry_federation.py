"""End to end over real HTTP: a trust anchor and a health intermediate (two registry servers on
127.0.0.1 ports), an identity provider and a GP practice served by a loopback server. Onboarding,
a delegated NHS organisation trust mark, and resolution checked by the registry's resolve endpoint
and independently by the federation library (OpenID Federation 1.0 §7.2.1, §8.3, §10).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from federation.errors import InvalidTrustMark
from federation.http import FederationFetcher, FetchPolicy
from federation.jose import JwtType, decode_unverified, verify_jwt
from federation.resolver import TrustChainResolver
from federation.statements import key_set
from federation.trust_chain import TrustAnchor
from federation.trust_marks import verify_in_federation
from tests.e2e.servers import base_url, reserve, running
from tests.federation.fedkit import TestFederation, run
from tests.federation.http_server import serve
from tests.trust_registry.regkit import idp_metadata
from trust_registry.app import create_app
from trust_registry.settings import AnchorSetting, RegistrySettings, Role

DEV_TOKEN = {"Authorization": "Bearer dev-admin-token"}
NHS = {"nhs_organisation": {"ods_code": "A81001", "name": "The Surgery", "organisation_type": "gp_practice"}}


@dataclass
class Federation:
    ta: str
    health: str
    idp: str
    gp: str
    fed: TestFederation


@pytest.fixture
def federation(database_url: str, tmp_path: Path) -> Iterator[Federation]:
    ta_sock, health_sock = reserve(), reserve()
    ta, health = base_url(ta_sock), base_url(health_sock)
    anchor = RegistrySettings(
        environment="dev",
        entity_id=ta,
        data_dir=tmp_path / "ta",
        database_url=database_url,
        generate_keys=True,
        trust_mark_owners=["nhs_organisation"],
        trust_mark_issuers={"nhs_organisation": [health]},
        resolve_cache_seconds=0,
    )
    intermediate = RegistrySettings(
        environment="dev",
        role=Role.INTERMEDIATE,
        entity_id=health,
        organization_name="NHS Health Intermediate",
        data_dir=tmp_path / "health",
        generate_keys=True,
        authority_hints=[ta],
        trust_anchors=[AnchorSetting(entity_id=ta)],
    )
    fed = TestFederation(lifetime=86400)
    with serve({}) as members:
        members.fallback = fed.loopback_handler(members.base_url)
        idp, gp = f"{members.base_url}/idp", f"{members.base_url}/gp"
        fed.add(idp, metadata=idp_metadata(idp)).authority_hints = [ta]
        gp_metadata: dict[str, dict[str, Any]] = {
            "federation_entity": {"organization_name": "The Surgery"},
            "openid_relying_party": {
                "redirect_uris": [f"{gp}/callback"],
                "token_endpoint_auth_method": "private_key_jwt",
            },
        }
        fed.add(gp, metadata=gp_metadata).authority_hints = [health]
        with running(create_app(anchor), ta_sock), running(create_app(intermediate), health_sock):
            yield Federation(ta, health, idp, gp, fed)


def admin(method: str, url: str, body: Any = None) -> Any:
    response = httpx.request(method, url, json=body, headers=DEV_TOKEN, timeout=30)
    assert response.status_code in (200, 201), response.text
    return response.json()


def onboard(f: Federation) -> dict[str, Any]:
    """The whole onboarding: intermediate and IdP at the anchor, GP at the intermediate, and an NHS
    organisation trust mark issued by the intermediate under the anchor's delegation."""
    admin("POST", f"{f.ta}/admin/subordinates", {"entity_id": f.health})
    admin("POST", f"{f.ta}/admin/subordinates", {"entity_id": f.idp})
    admin("POST", f"{f.health}/admin/subordinates", {"entity_id": f.gp})
    delegation = admin(
        "POST", f"{f.ta}/admin/delegations", {"issuer": f.health, "trust_mark_type": "nhs_organisation"}
    )["delegation"]
    admin("PUT", f"{f.health}/admin/delegation", {"delegation": delegation, "owner": f.ta})
    mark: dict[str, Any] = admin(
        "POST",
        f"{f.health}/admin/trust-marks",
        {"trust_mark_type": "nhs_organisation", "sub": f.gp, "claims": NHS},
    )
    f.fed.entities[f.gp].trust_marks = [
        {"trust_mark_type": mark["trust_mark_type"], "trust_mark": mark["trust_mark"]}
    ]
    return mark


def anchor_keys(f: Federation) -> dict[str, Any]:
    token = httpx.get(f"{f.ta}/.well-known/openid-federation").text
    jwks: dict[str, Any] = decode_unverified(token)[1]["jwks"]
    return jwks


def test_8_3_anchor_resolves_a_gp_below_the_intermediate_with_its_delegated_trust_mark(
    federation: Federation,
) -> None:
    f = federation
    mark = onboard(f)
    assert decode_unverified(mark["trust_mark"])[1]["delegation"]
    assert httpx.get(f"{f.ta}/list", params={"intermediate": "true"}).json() == [f.health]
    response = httpx.get(f"{f.ta}/resolve", params={"sub": f.gp, "trust_anchor": f.ta}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/resolve-response+jwt"
    claims = verify_jwt(response.text, key_set(anchor_keys(f)), JwtType.RESOLVE_RESPONSE).claims
    issuers = [decode_unverified(t)[1]["iss"] for t in claims["trust_chain"]]
    assert issuers == [f.gp, f.health, f.ta, f.ta]
    assert claims["trust_marks"] == [
        {"trust_mark_type": mark["trust_mark_type"], "trust_mark": mark["trust_mark"]}
    ]
    assert claims["metadata"]["openid_relying_party"]["token_endpoint_auth_method"] == "private_key_jwt"
    at_health = httpx.get(f"{f.health}/resolve", params={"sub": f.gp, "trust_anchor": f.ta}, timeout=30)
    assert at_health.status_code == 200, at_health.text


def test_10_the_federation_library_resolves_and_verifies_what_the_registries_serve(
    federation: Federation,
) -> None:
    f = federation
    mark = onboard(f)

    async def check(expect_revoked: bool) -> None:
        async with FederationFetcher(FetchPolicy.development()) as fetcher:
            resolver = TrustChainResolver(fetcher, [TrustAnchor.from_jwks(f.ta, anchor_keys(f))])
            chain = await resolver.resolve(f.gp)
            assert chain.path == (f.gp, f.health, f.ta)
            idp_chain = await resolver.resolve(f.idp, entity_types=["openid_provider"])
            assert idp_chain.metadata["openid_provider"]["code_challenge_methods_supported"] == ["S256"]
            if expect_revoked:
                with pytest.raises(InvalidTrustMark, match="is revoked"):
                    await verify_in_federation(
                        mark["trust_mark"], resolver, fetcher, trust_anchor=f.ta, subject=f.gp
                    )
            else:
                verified = await verify_in_federation(
                    mark["trust_mark"], resolver, fetcher, trust_anchor=f.ta, subject=f.gp
                )
                assert verified.iss == f.health

    run(check(expect_revoked=False))
    admin("POST", f"{f.health}/admin/trust-marks/revoke", {"id": mark["id"], "reason": "practice closed"})
    run(check(expect_revoked=True))
    response = httpx.get(f"{f.ta}/resolve", params={"sub": f.gp, "trust_anchor": f.ta}, timeout=30)
    assert "trust_marks" not in decode_unverified(response.text)[1]


def test_8_1_suspending_the_intermediate_at_the_anchor_breaks_every_chain_below_it(
    federation: Federation,
) -> None:
    f = federation
    onboard(f)
    admin("POST", f"{f.ta}/admin/subordinate/suspend?sub={f.health}")
    response = httpx.get(f"{f.ta}/resolve", params={"sub": f.gp, "trust_anchor": f.ta}, timeout=30)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_trust_chain"
    assert f"{f.health} is not a subordinate of {f.ta}" in body["error_description"]
