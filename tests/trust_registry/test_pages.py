"""The registry pages (GOV.UK Design System): overview, member list, member page, error pages, assets.

Pages are parsed with ``html.parser`` into a small tree and the tests assert on specific elements
(ids, table rows, ``data-*`` attributes), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI

from federation.keys import KeyStore
from tests.federation.fedkit import Subordination
from tests.trust_registry.htmlpage import Node, page
from tests.trust_registry.regkit import RegistryKit, council_metadata, idp_metadata, registry_kit
from trust_registry.services import RegistryServices
from trust_registry.store import Member

COUNCIL = "https://council.example"
IDP = "https://idp.example"
OXFORD = {"council": {"gss_code": "E07000178", "name": "Oxford City Council"}}
DASH = "\N{EN DASH}"  # GOV.UK style for ranges


def services(kit: RegistryKit) -> RegistryServices:
    found: RegistryServices = cast(FastAPI, kit.client.app).state.services
    return found


def table_rows(table: Node) -> list[list[str]]:
    """The text of each body row's cells (header cells included)."""
    return [
        [cell.text() for cell in row.children if isinstance(cell, Node)]
        for row in table.one("tbody").all("tr")
    ]


def listed(doc: Node) -> list[str]:
    """Entity IDs of the member list's rows, in order."""
    tables = doc.all("table", id="members")
    return [row.attrs["data-entity-id"] for row in tables[0].one("tbody").all("tr")] if tables else []


def onboard_two(kit: RegistryKit) -> None:
    kit.member(COUNCIL, council_metadata(COUNCIL))
    kit.onboard(COUNCIL)
    kit.member(IDP, idp_metadata(IDP))
    kit.onboard(IDP)


def test_overview_explains_role_endpoints_trust_marks_keys_and_counts(kit: RegistryKit) -> None:
    onboard_two(kit)
    doc = page(kit.client.get("/"))
    assert doc.one("html").attrs["lang"] == "en"
    assert [h.text() for h in doc.all("h1")] == ["UK Public Services Trust Anchor"]
    assert doc.one(id="entity-id").text() == "https://registry.example"
    assert doc.one("span", class_="govuk-header__product-name").text() == "Trust anchor"
    endpoints = {row[0]: row[1] for row in table_rows(doc.one(id="endpoints"))}
    assert endpoints == {
        "federation_fetch_endpoint": "https://registry.example/fetch",
        "federation_list_endpoint": "https://registry.example/list",
        "federation_resolve_endpoint": "https://registry.example/resolve",
        "federation_trust_mark_status_endpoint": "https://registry.example/trust-mark-status",
        "federation_trust_mark_list_endpoint": "https://registry.example/trust-mark-list",
        "federation_trust_mark_endpoint": "https://registry.example/trust-mark",
        "federation_historical_keys_endpoint": "https://registry.example/historical-keys",
    }
    issued = [dt.text() for dt in doc.one(id="issued-types").all("dt")]
    assert issued == ["Certified identity service provider", "Council"]
    issuers = [li.text() for li in doc.one(id="trust-mark-issuers").all("li")]
    assert issuers == [
        f"{label} trust marks are accepted from https://registry.example (this registry)."
        for label in ("Certified identity service provider", "Council", "NHS organisation")
    ]
    assert doc.one(id="trust-mark-owners").text().startswith("None: trust_mark_owners is not published")
    kid = services(kit).registry.keys.signing_key().kid
    keys = doc.one("table", class_="registry-keys")
    assert [row.attrs["data-kid"] for row in keys.all("code") if "data-kid" in row.attrs] == [kid]
    row = table_rows(keys)[0]
    assert row[0] == f"{kid} The RFC 7638 thumbprint of the key"
    assert (row[1], row[2], row[5]) == ("EC P-256", "ES256", "Signing")
    assert doc.one(id="member-count").text() == "2 members: 2 active, 0 suspended, 0 intermediates."
    assert table_rows(doc.one(id="entity-type-counts")) == [
        ["federation_entity", "2"],
        ["openid_provider", "1"],
        ["openid_relying_party", "1"],
    ]
    link = doc.one(id="entity-type-counts").all("a")[1].attrs["href"]
    assert link == "/members?entity_type=openid_provider"


def test_overview_explains_owned_trust_mark_types(database_url: str, tmp_path: Path) -> None:
    settings: dict[str, Any] = {
        "trust_mark_owners": ["council"],
        "trust_mark_issuers": {"council": ["https://registry.example", "https://issuer.example"]},
    }
    with registry_kit(database_url, tmp_path, **settings) as kit:
        doc = page(kit.client.get("/"))
    owned = [li.text() for li in doc.one(id="trust-mark-owners").all("li")]
    assert owned == ["Council (https://registry.example/trust-mark-types/council)"]
    issuers = [li.text() for li in doc.one(id="trust-mark-issuers").all("li")]
    assert issuers[1] == (
        "Council trust marks are accepted from https://registry.example (this registry), https://issuer.example."
    )
    assert doc.one(id="member-count").text() == "No organisation has been onboarded yet."


def test_member_list_search_and_filters(kit: RegistryKit) -> None:
    onboard_two(kit)
    kit.issue("council", COUNCIL, OXFORD)
    assert kit.admin("POST", "/subordinate/suspend", sub=IDP).status_code == 200
    doc = page(kit.client.get("/members"))
    assert listed(doc) == [COUNCIL, IDP]
    assert doc.one(id="showing").text() == f"Showing 1{DASH}2 of 2 members"
    assert table_rows(doc.one(id="members")) == [
        [COUNCIL, "Example Borough Council", "federation_entity openid_relying_party", "Council", "Active"],
        [IDP, "Sample Citizen IdP", "federation_entity openid_provider", "None", "Suspended"],
    ]
    assert doc.one("a", href="/members/view?sub=https%3A%2F%2Fcouncil.example").text() == COUNCIL
    cases: list[tuple[dict[str, str], list[str]]] = [
        ({"q": "borough"}, [COUNCIL]),
        ({"q": "CITIZEN"}, [IDP]),
        ({"q": "idp.EXAMPLE"}, [IDP]),
        ({"q": "%"}, []),  # a LIKE wildcard is searched for literally
        ({"q": "_"}, []),
        ({"entity_type": "openid_provider"}, [IDP]),
        ({"entity_type": "openid_relying_party", "q": "idp"}, []),
        ({"trust_mark_type": "council"}, [COUNCIL]),
        ({"trust_mark_type": "certified_identity_service_provider"}, []),
        ({"status": "suspended"}, [IDP]),
        ({"status": "active"}, [COUNCIL]),
        ({"intermediate": "true"}, []),
        ({"intermediate": "false"}, [COUNCIL, IDP]),
    ]
    for params, expected in cases:
        doc = page(kit.client.get("/members", params=params))
        assert listed(doc) == expected, params
        if not expected:
            assert doc.one(id="showing").text() == "No members match your search and filters."
    doc = page(kit.client.get("/members", params={"q": "borough", "status": "active"}))
    assert doc.one("input", id="q").attrs["value"] == "borough"
    assert doc.one("select", id="status").one("option", selected="").attrs["value"] == "active"
    assert doc.one("a", href="/members", class_="govuk-link").text() == "Clear search and filters"


def _insert_members(kit: RegistryKit, count: int) -> None:
    """Members written straight into the store (the list does not need signed statements)."""
    registry = services(kit).registry
    now = registry.now()
    jwks = {"keys": [KeyStore.open(None).signing_key().public_jwk()]}
    with registry.store.write("test", now) as writer:
        for i in range(count):
            member = Member(
                entity_id=f"https://m{i:03d}.example",
                status="active",
                organization_name=f"Member {i:03d}",
                is_intermediate=False,
                entity_types=("federation_entity", "openid_relying_party"),
                jwks=jwks,
                configuration_metadata={},
                metadata=None,
                metadata_policy=None,
                metadata_policy_crit=None,
                constraints=None,
                statement="not signed",
                statement_iat=now,
                statement_exp=now + 86400,
                created_at=now,
                updated_at=now,
            )
            writer.put_member(member, new=True)


def test_member_list_pages_of_fifty(kit: RegistryKit) -> None:
    _insert_members(kit, 60)
    first = page(kit.client.get("/members"))
    assert listed(first) == [f"https://m{i:03d}.example" for i in range(50)]
    assert first.one(id="showing").text() == f"Showing 1{DASH}50 of 60 members"
    nav = first.one("nav", class_="govuk-pagination")
    assert nav.one("a", rel="next").attrs["href"] == "/members?page=2"
    assert nav.all("a", rel="prev") == []
    assert nav.one("a", aria_current="page").text() == "1"
    second = page(kit.client.get("/members", params={"page": "2"}))
    assert listed(second) == [f"https://m{i:03d}.example" for i in range(50, 60)]
    assert second.one(id="showing").text() == f"Showing 51{DASH}60 of 60 members"
    assert second.one("a", rel="prev").attrs["href"] == "/members?page=1"
    assert second.all("a", rel="next") == []
    searched = page(kit.client.get("/members", params={"q": "member 05"}))
    assert listed(searched) == [f"https://m{i:03d}.example" for i in range(50, 60)]
    assert searched.all("nav", class_="govuk-pagination") == []
    filtered = page(kit.client.get("/members", params={"q": "example", "status": "active"}))
    href = filtered.one("a", rel="next").attrs["href"]
    assert href == "/members?q=example&status=active&page=2"
    beyond = page(kit.client.get("/members", params={"page": "3"}), 400)
    assert beyond.one(id="problem").text() == "Page 3 does not exist: there are 2 pages of results."


def _statements(doc: Node) -> list[tuple[str, str, str]]:
    return [
        (row.attrs["data-issuer"], row.attrs["data-subject"], row.attrs["data-kid"])
        for row in doc.one(id="trust-chain").all(class_="registry-statement")
    ]


def test_member_page_draws_the_chain_from_the_anchor_down(kit: RegistryKit) -> None:
    council = kit.member(COUNCIL, council_metadata(COUNCIL))
    kit.onboard(COUNCIL)
    doc = page(kit.client.get("/members/view", params={"sub": COUNCIL}))
    assert [h.text() for h in doc.all("h1")] == ["Example Borough Council"]
    steps = doc.one(id="trust-chain").all("li", class_="registry-chain__step")
    assert [s.attrs["data-entity-id"] for s in steps] == [kit.entity_id, COUNCIL]
    assert [s.one("h3").text() for s in steps] == [
        "Trust anchor UK Public Services Trust Anchor",
        "Member Example Borough Council",
    ]
    registry_kid = services(kit).registry.keys.signing_key().kid
    council_kid = council.keys.signing_key().kid
    assert _statements(doc) == [
        (kit.entity_id, kit.entity_id, registry_kid),
        (kit.entity_id, COUNCIL, registry_kid),
        (COUNCIL, COUNCIL, council_kid),
    ]
    rp = doc.one("table", data_entity_type="openid_relying_party")
    assert rp.one("td", data_parameter="redirect_uris").text() == f"{COUNCIL}/callback"
    assert rp.one("td", data_parameter="token_endpoint_auth_method").text() == "private_key_jwt"
    raw = json.loads(doc.one("pre", id="raw-metadata").text())
    assert raw["openid_relying_party"]["redirect_uris"] == [f"{COUNCIL}/callback"]
    keys = doc.one("table", class_="registry-keys")
    assert table_rows(keys) == [
        [f"{council_kid} The RFC 7638 thumbprint of the key", "EC P-256", "ES256", "sig"]
    ]
    summary = doc.one(id="member-summary")
    assert summary.one("dd", data_field="status").text() == "Active"
    assert summary.one("dd", data_field="intermediate").text() == "No"
    assert summary.one("dd", data_field="entity-types").text() == "federation_entity openid_relying_party"


def test_member_page_trust_marks_with_their_status(kit: RegistryKit) -> None:
    council = kit.member(COUNCIL, council_metadata(COUNCIL))
    kit.onboard(COUNCIL)
    active = kit.issue("council", COUNCIL, OXFORD)
    revoked = kit.issue("council", COUNCIL, OXFORD)
    answer = kit.admin("POST", "/trust-marks/revoke", {"id": revoked["id"], "reason": "council merged"})
    assert answer.status_code == 200, answer.text
    expiring = kit.issue("council", COUNCIL, OXFORD, lifetime=300)
    council.trust_marks = [
        {"trust_mark_type": mark["trust_mark_type"], "trust_mark": mark["trust_mark"]}
        for mark in (active, revoked)
    ]
    kit.advance(301)
    doc = page(kit.client.get("/members/view", params={"sub": COUNCIL}))
    issued = doc.one(id="issued-marks").one("tbody").all("tr")
    assert [(int(r.attrs["data-mark-id"]), r.attrs["data-status"]) for r in issued] == [
        (expiring["id"], "expired"),
        (revoked["id"], "revoked"),
        (active["id"], "active"),
    ]
    assert [r.all("td")[-1].one("strong").text() for r in issued] == ["Expired", "Revoked", "Active"]
    assert issued[1].one("span", class_="registry-reason").text() == "council merged"
    assert issued[2].one("th").text() == ("Council https://registry.example/trust-mark-types/council")
    configured = doc.one(id="configured-marks").one("tbody").all("tr")
    assert [r.attrs["data-verified"] for r in configured] == ["yes", "no"]
    assert [r.all("td")[0].text() for r in configured] == [kit.entity_id, kit.entity_id]
    listing = page(kit.client.get("/members"))
    assert table_rows(listing.one(id="members"))[0][3] == "Council"
    assert kit.admin("POST", "/trust-marks/revoke", {"id": active["id"], "reason": "x"}).status_code == 200
    listing = page(kit.client.get("/members"))
    assert table_rows(listing.one(id="members"))[0][3] == "None"


def test_member_page_shows_a_chain_that_does_not_resolve_as_an_error(kit: RegistryKit) -> None:
    kit.member(COUNCIL, council_metadata(COUNCIL))
    kit.onboard(COUNCIL)
    kit.fed.serve_token(kit.fed.ec_url(COUNCIL), httpx.Response(503, text="down for maintenance"))
    doc = page(kit.client.get("/members/view", params={"sub": COUNCIL}))
    error = doc.one(id="chain-error")
    assert error.one("h2").text() == "The trust chain of this member does not resolve"
    assert error.all("p")[0].text().startswith(f"cannot fetch the entity configuration of {COUNCIL}: ")
    assert doc.all(id="trust-chain") == []
    assert doc.all(id="configured-marks") == []
    # the metadata recorded at onboarding is still shown
    rp = doc.one("table", data_entity_type="openid_relying_party")
    assert rp.one("td", data_parameter="redirect_uris").text() == f"{COUNCIL}/callback"

    del kit.fed.overrides[kit.fed.ec_url(COUNCIL)]
    assert kit.admin("POST", "/subordinate/suspend", sub=COUNCIL).status_code == 200
    doc = page(kit.client.get("/members/view", params={"sub": COUNCIL}))
    assert doc.one("dd", data_field="status").text() == "Suspended"
    assert f"{COUNCIL} is not a subordinate of {kit.entity_id}" in doc.one(id="chain-error").text()


def test_unknown_member_is_a_404_page(kit: RegistryKit) -> None:
    doc = page(kit.client.get("/members/view", params={"sub": "https://nobody.example"}), 404)
    assert [h.text() for h in doc.all("h1")] == ["Page not found"]
    assert doc.one(id="problem").text() == (
        "https://nobody.example is not a member of this registry. Check the entity ID or search the members."
    )


BAD_REQUESTS = [
    ("/members", {"page": "0"}, "The page number must be a whole number from 1 to 1,000,000."),
    ("/members", {"page": "two"}, "The page number must be a whole number from 1 to 1,000,000."),
    ("/members", {"page": "2"}, "Page 2 does not exist: there is 1 page of results."),
    ("/members", {"q": "x" * 201}, "The search must be 200 characters or fewer."),
    ("/members", {"status": "gone"}, "The status must be active or suspended."),
    ("/members", {"intermediate": "maybe"}, "intermediate must be true or false, not 'maybe'"),
    ("/members", {"entity_type": "e" * 129}, "The entity type must be 128 characters or fewer."),
    (
        "/members",
        {"trust_mark_type": "gold"},
        "This registry does not issue trust marks of type 'gold'.",
    ),
    ("/members", {"q": "a\x01b"}, "q contains control characters"),
    ("/members/view", {}, "required parameter sub is missing"),
    ("/members/view", {"sub": "council.example"}, "sub is not an entity ID: 'council.example'"),
]


def test_bad_parameters_are_400_pages(kit: RegistryKit) -> None:
    for path, params, message in BAD_REQUESTS:
        doc = page(kit.client.get(path, params=params), 400)
        assert len(doc.all("h1")) == 1, params
        assert doc.one(id="problem").text() == message, params


def test_member_supplied_text_is_escaped(kit: RegistryKit) -> None:
    hostile = '<script>alert("x")</script> & Co'
    metadata = council_metadata(COUNCIL)
    metadata["federation_entity"]["organization_name"] = hostile
    kit.member(COUNCIL, metadata)
    kit.onboard(COUNCIL)
    for response in (
        kit.client.get("/members"),
        kit.client.get("/members", params={"q": "<script>"}),
        kit.client.get("/members/view", params={"sub": COUNCIL}),
    ):
        assert '<script>alert("x")' not in response.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in response.text
        doc = page(response)
        assert len(doc.all("script")) == 2  # the layout's own: the nonce'd one and the module
    listing = page(kit.client.get("/members", params={"q": "<script>"}))
    assert listing.one("td", data_field="organisation").text() == hostile
    assert listing.one("input", id="q").attrs["value"] == "<script>"


def test_pages_meet_accessibility_basics(kit: RegistryKit) -> None:
    onboard_two(kit)
    for path, params in (("/", {}), ("/members", {}), ("/members/view", {"sub": COUNCIL})):
        response = kit.client.get(path, params=params)
        doc = page(response)
        assert doc.one("html").attrs["lang"] == "en"
        assert len(doc.all("h1")) == 1
        assert doc.one("a", class_="govuk-skip-link").attrs["href"] == "#main-content"
        assert doc.one("main").attrs["id"] == "main-content"
        labels = {label.attrs["for"] for label in doc.all("label")}
        for control in doc.all("input") + doc.all("select"):
            assert control.attrs["id"] in labels
        for table in doc.all("table"):
            assert table.one("caption").text()
        assert doc.one(class_="govuk-phase-banner").one("strong").text() == "Reference implementation"
        nonce = doc.all("script")[0].attrs["nonce"]
        policy = response.headers["content-security-policy"]
        assert f"script-src 'self' 'nonce-{nonce}';" in policy
        assert "frame-ancestors 'none'" in policy


def _fake_govuk(root: Path) -> Path:
    dist = root / "govuk"
    (dist / "assets" / "fonts").mkdir(parents=True)
    (dist / "govuk-frontend.min.css").write_text("@font-face{src:url(/assets/fonts/x.woff2)}")
    (dist / "govuk-frontend.min.js").write_text("export function initAll(){}")
    (dist / "assets" / "fonts" / "x.woff2").write_bytes(b"font")
    return dist


def test_govuk_frontend_served_under_the_entity_id_path(database_url: str, tmp_path: Path) -> None:
    settings: dict[str, Any] = {
        "entity_id": "https://registry.example/ta",
        "frontend_dir": _fake_govuk(tmp_path),
    }
    with registry_kit(database_url, tmp_path, **settings) as kit:
        doc = page(kit.client.get("/"))
        stylesheets = [link.attrs["href"] for link in doc.all("link", rel="stylesheet")]
        assert stylesheets == ["/ta/assets/govuk-frontend.min.css", "/ta/assets/registry/registry.css"]
        assert doc.one("script", type="module").attrs["src"] == "/ta/assets/registry/init.js"
        assert doc.one("a", href="/ta/members", class_="govuk-service-navigation__link").text() == "Members"
        css = kit.client.get("/assets/govuk-frontend.min.css")
        assert css.headers["content-type"] == "text/css; charset=utf-8"
        assert css.text == "@font-face{src:url(/ta/assets/fonts/x.woff2)}"
        assert kit.client.get("/assets/fonts/x.woff2").content == b"font"
        assert kit.client.get("/assets/govuk-frontend.min.js").text == "export function initAll(){}"
        init = kit.client.get("/assets/registry/init.js").text
        assert 'import { initAll } from "../govuk-frontend.min.js";' in init


def test_pages_fall_back_without_govuk_frontend(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "no-node-modules"
    with (
        caplog.at_level(logging.WARNING, "trust_registry.pages"),
        registry_kit(database_url, tmp_path, frontend_dir=missing) as kit,
    ):
        doc = page(kit.client.get("/"))
        page(kit.client.get("/members"))
        stylesheets = [link.attrs["href"] for link in doc.all("link", rel="stylesheet")]
        assert stylesheets == ["/assets/registry/fallback.css", "/assets/registry/registry.css"]
        assert doc.all("script", type="module") == []
        assert kit.client.get("/assets/registry/fallback.css").status_code == 200
        assert kit.client.get("/assets/govuk-frontend.min.css").status_code == 404
    warnings = [r.getMessage() for r in caplog.records if r.name == "trust_registry.pages"]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"govuk-frontend not found (looked in {missing})")


TA = "https://ta.example"


def test_intermediate_draws_the_chain_from_its_trust_anchor(database_url: str, tmp_path: Path) -> None:
    anchor_keys = KeyStore.open(None)
    pinned = tmp_path / "ta.jwks.json"
    pinned.write_text(json.dumps(anchor_keys.public_jwks()))
    settings: dict[str, Any] = {
        "role": "intermediate",
        "organization_name": "NHS Health Intermediate",
        "authority_hints": [TA],
        "trust_anchors": [{"entity_id": TA, "jwks_file": pinned}],
    }
    with registry_kit(database_url, tmp_path, **settings) as kit:
        anchor = kit.fed.add(TA, authority=True)
        anchor.keys = anchor_keys
        registry_keys = services(kit).registry.keys
        anchor.subordinates[kit.entity_id] = Subordination(jwks=registry_keys.public_jwks())
        council = kit.member(COUNCIL, council_metadata(COUNCIL))
        kit.onboard(COUNCIL)
        doc = page(kit.client.get("/members/view", params={"sub": COUNCIL}))
        steps = doc.one(id="trust-chain").all("li", class_="registry-chain__step")
        assert [s.attrs["data-entity-id"] for s in steps] == [TA, kit.entity_id, COUNCIL]
        assert [s.one("h3").text() for s in steps] == [
            "Trust anchor ta.example",
            "Intermediate NHS Health Intermediate",
            "Member Example Borough Council",
        ]
        ta_kid = anchor_keys.signing_key().kid
        registry_kid = registry_keys.signing_key().kid
        assert _statements(doc) == [
            (TA, TA, ta_kid),
            (TA, kit.entity_id, ta_kid),
            (kit.entity_id, COUNCIL, registry_kid),
            (COUNCIL, COUNCIL, council.keys.signing_key().kid),
        ]
        overview = page(kit.client.get("/"))
        assert overview.one("span", class_="govuk-header__product-name").text() == "Intermediate"
        assert overview.all(id="trust-mark-issuers") == []
        summary = overview.one(id="registry-summary").all("div", class_="govuk-summary-list__row")
        rows = {row.one("dt").text(): row.one("dd").text() for row in summary}
        assert rows["Role"] == "Intermediate"
        assert rows["Superiors (authority hints)"] == TA
        assert rows["Trust anchors"] == f"{TA} (keys pinned)"
