"""The provider's entity configuration (OpenID Federation 1.0 §3.1, §9) with ``openid_provider``
metadata (§5.1.3) saying it supports automatic and explicit registration (§12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from federation.jose import decode_unverified
from federation.statements import verify_entity_configuration
from tests.federation.fedkit import Subordination, run
from tests.idp.fedclients import TA, federation_kit
from tests.idp.idpkit import ISSUER, IdpKit, idp_kit

MEDIA_TYPE = "application/entity-statement+jwt"


@pytest.fixture
def ekit(tmp_path: Path) -> Iterator[IdpKit]:
    """A provider below ``TA`` (the entity configuration does not depend on the store: SQLite only)."""
    with federation_kit(f"sqlite:///{tmp_path / 'idp.db'}", tmp_path) as kit:
        yield kit


def fetch(kit: IdpKit) -> str:
    response = kit.client.get("/.well-known/openid-federation")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    return str(response.text)


def test_9_entity_configuration_is_self_signed_with_the_federation_keys(ekit: IdpKit) -> None:
    token = fetch(ekit)
    header, claims = decode_unverified(token)
    assert header["typ"] == "entity-statement+jwt"
    assert header["kid"] == ekit.services.federation_keys.signing_key().kid
    statement = verify_entity_configuration(
        token, entity_id=ISSUER, trusted_keys=ekit.services.federation_keys.key_set(), now=ekit.now()
    )
    assert statement.iss == statement.sub == ISSUER
    assert statement.iat == ekit.now()
    assert statement.exp == ekit.now() + ekit.services.config.statement_lifetime
    assert claims["jwks"] == ekit.services.federation_keys.public_jwks()
    assert statement.authority_hints == [TA]
    assert "trust_marks" not in claims


def test_5_1_3_openid_provider_metadata_is_the_discovery_document_plus_registration(ekit: IdpKit) -> None:
    metadata = decode_unverified(fetch(ekit))[1]["metadata"]
    discovery = ekit.client.get("/.well-known/openid-configuration").json()
    assert metadata["openid_provider"] == {
        **discovery,
        "client_registration_types_supported": ["automatic", "explicit"],
        "federation_registration_endpoint": f"{ISSUER}/federation/register",
    }
    assert metadata["federation_entity"] == {"organization_name": ekit.settings.organization_name}


def test_9_the_signed_statement_is_reused_until_half_its_lifetime_passed(ekit: IdpKit) -> None:
    first = fetch(ekit)
    assert fetch(ekit) == first
    ekit.advance(ekit.services.config.statement_lifetime // 2)
    second = fetch(ekit)
    assert second != first
    assert decode_unverified(second)[1]["iat"] == ekit.now()


def test_9_a_key_rotation_signs_the_statement_again_with_the_new_key(ekit: IdpKit) -> None:
    first = fetch(ekit)
    new = ekit.services.federation_keys.rotate()
    second = fetch(ekit)
    assert second != first
    assert decode_unverified(second)[0]["kid"] == new.kid
    assert new.kid in [k["kid"] for k in decode_unverified(second)[1]["jwks"]["keys"]]


def test_10_the_federation_resolves_the_provider_through_its_anchor(ekit: IdpKit) -> None:
    fed = ekit.fed
    fed.entities[TA].subordinates[ISSUER] = Subordination(jwks=ekit.services.federation_keys.public_jwks())
    fed.serve_token(fed.ec_url(ISSUER), fetch(ekit))
    resolver = fed.resolver(clock=lambda: ekit.clock[0])
    chain = run(resolver.resolve(ISSUER, entity_types=["openid_provider"]))
    assert chain.path == (ISSUER, TA)
    assert chain.metadata["openid_provider"]["client_registration_types_supported"] == [
        "automatic",
        "explicit",
    ]


def test_a_provider_outside_a_federation_still_describes_itself(tmp_path: Path) -> None:
    with idp_kit(f"sqlite:///{tmp_path / 'idp.db'}", tmp_path) as kit:
        claims = decode_unverified(fetch(kit))[1]
    assert "authority_hints" not in claims
    assert claims["metadata"]["openid_provider"]["issuer"] == ISSUER
