"""The registry's federation endpoints answer as OpenID Federation 1.0 §8 and §9 say, on both stores."""

from __future__ import annotations

from typing import Any

from federation.jose import JwtType, decode_unverified, verify_jwt
from federation.statements import key_set, verify_entity_configuration, verify_subordinate_statement
from tests.records import certification_claims
from tests.trust_registry.regkit import RegistryKit, council_metadata, idp_metadata

COUNCIL = "https://council.example"
IDP = "https://idp.example"
COUNCIL_CLAIMS = {"council": {"gss_code": "E07000178", "name": "Oxford City Council"}}


def anchor_configuration(kit: RegistryKit) -> Any:
    response = kit.client.get("/.well-known/openid-federation")
    assert response.headers["content-type"] == "application/entity-statement+jwt"
    _header, claims = decode_unverified(response.text)
    return verify_entity_configuration(
        response.text, entity_id=kit.entity_id, trusted_keys=None, now=kit.clock[0]
    ), claims


def onboard_both(kit: RegistryKit) -> None:
    kit.member(COUNCIL, council_metadata(COUNCIL))
    kit.member(IDP, idp_metadata(IDP))
    kit.onboard(COUNCIL)
    kit.onboard(IDP)


def test_9_entity_configuration_publishes_endpoints_and_trust_mark_issuers(kit: RegistryKit) -> None:
    statement, claims = anchor_configuration(kit)
    entity = claims["metadata"]["federation_entity"]
    base = kit.entity_id
    assert entity["federation_fetch_endpoint"] == f"{base}/fetch"
    assert entity["federation_list_endpoint"] == f"{base}/list"
    assert entity["federation_resolve_endpoint"] == f"{base}/resolve"
    assert entity["federation_trust_mark_status_endpoint"] == f"{base}/trust-mark-status"
    assert entity["federation_historical_keys_endpoint"] == f"{base}/historical-keys"
    assert "authority_hints" not in claims  # §3.1.1: an anchor has none
    assert claims["trust_mark_issuers"] == {
        f"{base}/trust-mark-types/certified_identity_service_provider": [base],
        f"{base}/trust-mark-types/council": [base],
        f"{base}/trust-mark-types/nhs_organisation": [base],
    }
    assert statement.exp - statement.iat == kit.settings.statement_lifetime


def test_9_entity_configuration_is_served_from_the_store_until_half_its_lifetime(kit: RegistryKit) -> None:
    first = kit.client.get("/.well-known/openid-federation").text
    assert kit.client.get("/.well-known/openid-federation").text == first
    kit.advance(kit.settings.statement_lifetime // 2)
    assert kit.client.get("/.well-known/openid-federation").text != first


def test_8_1_fetch_returns_a_subordinate_statement_with_the_profile_policy(kit: RegistryKit) -> None:
    onboard_both(kit)
    anchor, _claims = anchor_configuration(kit)
    response = kit.client.get("/fetch", params={"sub": COUNCIL})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/entity-statement+jwt"
    statement = verify_subordinate_statement(
        response.text, issuer=kit.entity_id, subject=COUNCIL, issuer_keys=anchor.keys(), now=kit.clock[0]
    )
    assert statement.jwks is not None
    assert statement.jwks.model_dump(exclude_none=True) == kit.fed.entities[COUNCIL].keys.public_jwks()
    assert statement.source_endpoint == f"{kit.entity_id}/fetch"
    policy = statement.metadata_policy or {}
    assert set(policy) == {"openid_relying_party"}  # only the member's own entity types
    assert policy["openid_relying_party"]["token_endpoint_auth_method"] == {
        "one_of": ["private_key_jwt"],
        "default": "private_key_jwt",
    }
    # Served from the store: the same bytes until half the lifetime has passed, then signed again.
    assert kit.client.get("/fetch", params={"sub": COUNCIL}).text == response.text
    kit.advance(kit.settings.statement_lifetime // 2 + 1)
    again = kit.client.get("/fetch", params={"sub": COUNCIL}).text
    assert again != response.text
    assert decode_unverified(again)[1]["iat"] == int(kit.clock[0])


def test_8_2_list_filters_by_entity_type_trust_marks_and_intermediate(kit: RegistryKit) -> None:
    onboard_both(kit)
    assert kit.client.get("/list").json() == [COUNCIL, IDP]
    assert kit.client.get("/list", params={"entity_type": "openid_provider"}).json() == [IDP]
    both = kit.client.get("/list?entity_type=openid_provider&entity_type=openid_relying_party").json()
    assert both == [COUNCIL, IDP]
    assert kit.client.get("/list", params={"trust_marked": "true"}).json() == []
    kit.issue("council", COUNCIL, COUNCIL_CLAIMS)
    assert kit.client.get("/list", params={"trust_marked": "true"}).json() == [COUNCIL]
    assert kit.client.get("/list", params={"trust_mark_type": "council"}).json() == [COUNCIL]
    full_type = f"{kit.entity_id}/trust-mark-types/council"
    assert kit.client.get("/list", params={"trust_mark_type": full_type}).json() == [COUNCIL]
    assert kit.client.get("/list", params={"intermediate": "true"}).json() == []
    assert kit.client.get("/list", params={"intermediate": "false"}).json() == [COUNCIL, IDP]
    kit.admin("POST", "/subordinate/suspend", sub=COUNCIL)
    assert kit.client.get("/list").json() == [IDP]


def test_8_3_resolve_response_carries_the_chain_metadata_and_verified_trust_marks(kit: RegistryKit) -> None:
    onboard_both(kit)
    mark = kit.issue("certified_identity_service_provider", IDP, certification_claims(IDP))
    kit.fed.entities[IDP].trust_marks = [
        {"trust_mark_type": mark["trust_mark_type"], "trust_mark": mark["trust_mark"]}
    ]
    response = kit.client.get("/resolve", params={"sub": IDP, "trust_anchor": kit.entity_id})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/resolve-response+jwt"
    anchor, _claims = anchor_configuration(kit)
    verified = verify_jwt(response.text, anchor.keys(), JwtType.RESOLVE_RESPONSE)
    claims = verified.claims
    assert claims["iss"] == kit.entity_id
    assert claims["sub"] == IDP
    assert len(claims["trust_chain"]) == 3  # leaf configuration, anchor's statement, anchor configuration
    chain_exp = min(decode_unverified(t)[1]["exp"] for t in claims["trust_chain"])
    assert claims["exp"] == chain_exp  # §8.3.2: the exp of the trust chain
    provider = claims["metadata"]["openid_provider"]
    assert provider["code_challenge_methods_supported"] == ["S256"]
    assert provider["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert claims["trust_marks"] == [
        {"trust_mark_type": mark["trust_mark_type"], "trust_mark": mark["trust_mark"]}
    ]
    # The chain verifies link by link: the anchor's statement with the anchor's keys, the leaf's
    # configuration with the keys that statement vouches for (§10.2).
    leaf_jwt, statement_jwt, anchor_jwt = claims["trust_chain"]
    vouched = verify_subordinate_statement(
        statement_jwt, issuer=kit.entity_id, subject=IDP, issuer_keys=anchor.keys(), now=kit.clock[0]
    )
    assert vouched.jwks is not None
    leaf = verify_entity_configuration(
        leaf_jwt, entity_id=IDP, trusted_keys=key_set(vouched.jwks), now=kit.clock[0]
    )
    assert leaf.sub == IDP
    assert decode_unverified(anchor_jwt)[1]["sub"] == kit.entity_id


def test_8_3_resolve_drops_a_revoked_trust_mark(kit: RegistryKit) -> None:
    onboard_both(kit)
    mark = kit.issue("council", COUNCIL, COUNCIL_CLAIMS)
    kit.fed.entities[COUNCIL].trust_marks = [
        {"trust_mark_type": mark["trust_mark_type"], "trust_mark": mark["trust_mark"]}
    ]
    params = {"sub": COUNCIL, "trust_anchor": kit.entity_id}
    claims = decode_unverified(kit.client.get("/resolve", params=params).text)[1]
    assert [m["trust_mark"] for m in claims["trust_marks"]] == [mark["trust_mark"]]
    assert kit.admin("POST", "/trust-marks/revoke", {"id": mark["id"], "reason": "left"}).status_code == 200
    claims = decode_unverified(kit.client.get("/resolve", params=params).text)[1]
    assert "trust_marks" not in claims


def test_8_4_trust_mark_status_is_signed_and_active(kit: RegistryKit) -> None:
    onboard_both(kit)
    mark = kit.issue("council", COUNCIL, COUNCIL_CLAIMS)
    response = kit.client.post("/trust-mark-status", data={"trust_mark": mark["trust_mark"]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/trust-mark-status-response+jwt"
    anchor, _claims = anchor_configuration(kit)
    claims = verify_jwt(response.text, anchor.keys(), JwtType.TRUST_MARK_STATUS_RESPONSE).claims
    assert claims == {
        "iss": kit.entity_id,
        "iat": int(kit.clock[0]),
        "trust_mark": mark["trust_mark"],
        "status": "active",
    }


def test_8_5_and_8_6_trust_mark_list_and_trust_mark_endpoint(kit: RegistryKit) -> None:
    onboard_both(kit)
    mark = kit.issue("council", COUNCIL, COUNCIL_CLAIMS)
    listed = kit.client.get("/trust-mark-list", params={"trust_mark_type": mark["trust_mark_type"]})
    assert listed.json() == [COUNCIL]
    assert kit.client.get("/trust-mark-list", params={"trust_mark_type": "council", "sub": IDP}).json() == []
    got = kit.client.get("/trust-mark", params={"trust_mark_type": "council", "sub": COUNCIL})
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/trust-mark+jwt"
    assert got.text == mark["trust_mark"]
    claims = decode_unverified(got.text)[1]
    assert claims["council"] == COUNCIL_CLAIMS["council"]
    assert claims["exp"] - claims["iat"] == kit.settings.trust_mark_lifetime


def test_7_certified_idp_trust_mark_carries_the_certification_record(kit: RegistryKit) -> None:
    onboard_both(kit)
    mark = kit.issue("certified_identity_service_provider", IDP, certification_claims(IDP), lifetime=86400)
    claims = decode_unverified(mark["trust_mark"])[1]
    assert claims["certification"]["levels_of_confidence"] == ["medium", "high"]
    assert (
        claims["trust_mark_type"] == f"{kit.entity_id}/trust-mark-types/certified_identity_service_provider"
    )
    assert claims["exp"] == claims["iat"] + 86400


def test_8_7_historical_keys_after_rotation_list_old_and_new_keys(kit: RegistryKit) -> None:
    onboard_both(kit)
    before = kit.client.get("/fetch", params={"sub": COUNCIL}).text
    old_kid = decode_unverified(before)[0]["kid"]
    rotated = kit.admin("POST", "/keys/rotate", {"overlap": 3600})
    assert rotated.status_code == 200, rotated.text
    after = kit.client.get("/fetch", params={"sub": COUNCIL}).text
    new_kid = decode_unverified(after)[0]["kid"]
    assert new_kid != old_kid  # every statement was signed again with the new key
    response = kit.client.get("/historical-keys")
    assert response.headers["content-type"] == "application/jwk-set+jwt"
    _anchor, config_claims = anchor_configuration(kit)
    assert {k["kid"] for k in config_claims["jwks"]["keys"]} == {old_kid, new_kid}
    claims = verify_jwt(response.text, key_set(config_claims["jwks"]), JwtType.JWK_SET).claims
    assert claims["iss"] == kit.entity_id
    assert {k["kid"] for k in claims["keys"]} == {old_kid, new_kid}
    assert all("exp" in k and "iat" in k for k in claims["keys"])


def test_audit_log_records_who_what_when_before_and_after(kit: RegistryKit) -> None:
    onboard_both(kit)
    kit.admin("PUT", "/subordinate", {"constraints": {"max_path_length": 0}}, sub=COUNCIL)
    kit.admin("POST", "/subordinate/suspend", sub=COUNCIL)
    entries = kit.admin("GET", "/audit").json()
    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [
        ("tester", "add_subordinate", COUNCIL),
        ("tester", "add_subordinate", IDP),
        ("tester", "update_subordinate", COUNCIL),
        ("tester", "suspend_subordinate", COUNCIL),
    ]
    update = entries[2]
    assert update["before"]["constraints"] is None
    assert update["after"]["constraints"] == {"max_path_length": 0}
    assert entries[3]["before"]["status"] == "active"
    assert entries[3]["after"]["status"] == "suspended"
    assert all(e["at"] == int(kit.clock[0]) for e in entries)
    assert kit.admin("GET", "/audit", after=str(entries[1]["id"]), limit="1").json() == [entries[2]]


def test_refresh_keys_records_the_members_new_federation_keys(kit: RegistryKit) -> None:
    onboard_both(kit)
    member = kit.fed.entities[COUNCIL]
    old = member.keys.signing_key().kid
    member.keys.rotate(overlap=0)
    response = kit.admin("POST", "/subordinate/refresh-keys", sub=COUNCIL)
    assert response.status_code == 200, response.text
    kids = response.json()["federation_kids"]
    assert member.keys.signing_key().kid in kids
    statement = decode_unverified(kit.client.get("/fetch", params={"sub": COUNCIL}).text)[1]
    assert {k["kid"] for k in statement["jwks"]["keys"]} == set(kids)
    entry = kit.admin("GET", "/audit", target=COUNCIL).json()[-1]
    assert entry["action"] == "refresh_keys"
    assert old in {k["kid"] for k in entry["before"]["jwks"]["keys"]}


def test_remove_revokes_the_members_trust_marks(kit: RegistryKit) -> None:
    onboard_both(kit)
    mark = kit.issue("council", COUNCIL, COUNCIL_CLAIMS)
    assert kit.admin("DELETE", "/subordinate", sub=COUNCIL).status_code == 200
    assert kit.client.get("/fetch", params={"sub": COUNCIL}).status_code == 404
    status = kit.client.post("/trust-mark-status", data={"trust_mark": mark["trust_mark"]})
    assert decode_unverified(status.text)[1]["status"] == "revoked"


def test_health_and_readiness(kit: RegistryKit) -> None:
    assert kit.client.get("/healthz").json() == {"status": "ok"}
    ready = kit.client.get("/readyz").json()
    assert ready == {"status": "ready", "role": "anchor", "entity_id": kit.entity_id}


def test_10_2_a_members_key_change_is_noticed_within_a_minute(kit: RegistryKit) -> None:
    onboard_both(kit)
    params = {"sub": COUNCIL, "trust_anchor": kit.entity_id}
    assert kit.client.get("/resolve", params=params).status_code == 200
    kit.fed.entities[COUNCIL].keys.rotate(overlap=0)  # signs with a key the registry never recorded
    assert kit.client.get("/resolve", params=params).status_code == 200  # the cached response
    kit.advance(61)
    stale = kit.client.get("/resolve", params=params)
    assert stale.status_code == 400
    assert stale.json()["error"] == "invalid_trust_chain"
    assert kit.admin("POST", "/subordinate/refresh-keys", sub=COUNCIL).status_code == 200
    assert kit.client.get("/resolve", params=params).status_code == 200
