from __future__ import annotations

from tests.trust_registry.regkit import RegistryKit, council_metadata

COUNCIL = "https://council.example"


def test_onboard_and_fetch(kit: RegistryKit) -> None:
    kit.member(COUNCIL, council_metadata(COUNCIL))
    view = kit.onboard(COUNCIL)
    assert view["entity_id"] == COUNCIL
    ec = kit.client.get("/.well-known/openid-federation")
    assert ec.status_code == 200, ec.text
    fetched = kit.client.get("/fetch", params={"sub": COUNCIL})
    assert fetched.status_code == 200, fetched.text
    listed = kit.client.get("/list")
    assert listed.json() == [COUNCIL]
    resolved = kit.client.get("/resolve", params={"sub": COUNCIL, "trust_anchor": kit.entity_id})
    assert resolved.status_code == 200, resolved.text
