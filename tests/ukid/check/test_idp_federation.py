"""``ukid check idp --trust-anchor`` on a provider in a test federation over real loopback HTTP
(tests.federation.fedkit): the ``check entity`` cases run prefixed ``entity.``, and resolved
``openid_provider`` metadata that disagrees with discovery fails ``federation.consistent``
(OpenID Federation 1.0 §5.1.3; OpenID Connect Discovery 1.0 §3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from federation.keys import generate_key, public_jwk
from schemas.vot import gov_uk_one_login_trustmark
from tests.federation.fedkit import TestFederation
from tests.federation.http_server import Response, serve
from tests.ukid.check.test_idp_faults import HEALTHY, check, healthy_discovery, reason, statuses

ENTITY = {
    f"entity.{case}": "PASS"
    for case in (
        "entity_id",
        "trust_anchor",
        "configuration.fetch",
        "configuration.header",
        "configuration.self_signed",
        "configuration.validity",
        "configuration.authority_hints",
        "chain.resolves",
        "chain.metadata_policy",
        "profile.https",
        "profile.algorithms",
        "profile.federation_entity",
        "profile.openid_provider",
    )
} | {"entity.trust_marks": "SKIP", "entity.profile.openid_relying_party": "SKIP"}
IN_FEDERATION = (
    {k: v for k, v in HEALTHY.items() if k != "federation"} | ENTITY | {"federation.consistent": "PASS"}
)


@dataclass
class Fed:
    fed: TestFederation
    base: str
    discovery: dict[str, Any]
    jwks: Path

    @property
    def idp(self) -> str:
        return f"{self.base}/idp"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Fed]:
    with serve({}) as server:
        base = server.base_url
        fed = TestFederation.three_level(base)
        server.fallback = fed.loopback_handler(base)
        idp = f"{base}/idp"
        discovery = healthy_discovery(idp)
        fed.entities[idp].metadata["openid_provider"] = dict(
            discovery, client_registration_types_supported=["automatic"]
        )
        server.routes.update(
            {
                "/idp/.well-known/openid-configuration": Response.json(discovery),
                "/idp/jwks.json": Response.json({"keys": [public_jwk(generate_key("ES256"), "ES256")]}),
                "/idp/trustmark": Response.json(
                    gov_uk_one_login_trustmark(idp, base).model_dump(mode="json")
                ),
            }
        )
        jwks = tmp_path / "ta.jwks"
        jwks.write_text(json.dumps(fed.entities[f"{base}/ta"].keys.public_jwks()))
        yield Fed(fed, base, discovery, jwks)


def run(f: Fed, tmp_path: Path) -> tuple[int, dict[str, Any], str]:
    return check(f.idp, tmp_path, "--trust-anchor", f"{f.base}/ta", "--trust-anchor-jwks", str(f.jwks))


def test_federation_5_1_3_consistent_provider_passes(fed: Fed, tmp_path: Path) -> None:
    code, report, output = run(fed, tmp_path)
    assert (code, statuses(report)) == (0, IN_FEDERATION)
    assert reason(report, "federation.consistent") == (
        "issuer, jwks_uri and 3 endpoint(s) agree with resolved metadata"
    )
    assert "[19] PASS  entity.entity_id: Entity ID is an https URL" in output


def test_federation_5_1_3_token_endpoint_differs(fed: Fed, tmp_path: Path) -> None:
    fed.fed.entities[fed.idp].metadata["openid_provider"]["token_endpoint"] = f"{fed.idp}/other-token"
    code, report, _ = run(fed, tmp_path)
    assert (code, statuses(report)) == (1, IN_FEDERATION | {"federation.consistent": "FAIL"})
    assert reason(report, "federation.consistent") == (
        "openid_provider metadata and the discovery document differ: token_endpoint: federation "
        f"'{fed.idp}/other-token', discovery '{fed.idp}/token'"
    )


def test_federation_10_provider_not_in_the_federation(fed: Fed, tmp_path: Path) -> None:
    del fed.fed.entities[f"{fed.base}/ta"].subordinates[fed.idp]
    code, report, _ = run(fed, tmp_path)
    blocked = {"entity.chain.resolves": "FAIL", "entity.chain.metadata_policy": "SKIP"}
    assert (code, statuses(report)) == (1, IN_FEDERATION | blocked | {"federation.consistent": "SKIP"})
    assert reason(report, "federation.consistent") == "prerequisite entity.chain.resolves failed"
