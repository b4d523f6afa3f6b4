"""The council sample service's setup: the relying-party library's pages in the council's look (choose,
why not with the step-up, failed), its entity configuration, its migrations, its gazetteer and its
paths under the entity ID. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from federation.service.database import SchemaError
from relying_party.services import council
from relying_party.services.council.gazetteer import Gazetteer
from relying_party.services.wiring import StartupError
from tests.relying_party.services.councilkit import (
    ENTITY,
    CouncilKit,
    council_kit,
    jwt_payload,
    login_result,
    refused_result,
    text_of,
)

PERMIT = "/parking-permit/apply"
BADGE = "/blue-badge/apply"


@pytest.fixture
def kit(database_url: str, tmp_path: Path) -> Iterator[CouncilKit]:
    """The council on a fresh database, with no trust anchor and no static provider."""
    with council_kit(database_url, tmp_path) as running:
        yield running


# -- the library's pages --------------------------------------------------------------------------
def test_choose_with_no_reachable_provider_says_none_is_available(kit: CouncilKit) -> None:
    page = kit.get(f"/auth/choose?service=parking-permit&return_to={PERMIT}")
    assert page.status_code == 200
    assert text_of(page.text, "no-providers") == (
        "No identity provider can prove your identity for this service at the moment"
    )
    assert (
        "No identity provider is available that is certified to prove identities to low confidence"
        in page.text
    )


def _discovery(request: httpx.Request) -> httpx.Response:
    assert str(request.url) == "http://idp.test/.well-known/openid-configuration"
    return httpx.Response(
        200, json={"issuer": "http://idp.test", "authorization_endpoint": "http://login.idp.test/authorize"}
    )


def test_choose_shows_each_provider_with_issuer_and_certified_levels(
    database_url: str, tmp_path: Path
) -> None:
    static = tmp_path / "static.json"
    entry = {
        "issuer": "http://idp.test",
        "name": "Test Identity Provider",
        "discovery_url": "http://idp.test/.well-known/openid-configuration",
        "client_id": ENTITY,
        "levels": ["medium", "low"],
    }
    static.write_text(json.dumps([entry]))
    with council_kit(database_url, tmp_path, handler=_discovery, static_providers_file=static) as kit:
        page = kit.get(f"/auth/choose?service=parking-permit&return_to={PERMIT}")
        assert page.status_code == 200
        assert "Choose how to prove who you are" in page.text
        assert '<h2 class="govuk-heading-m">Test Identity Provider</h2>' in page.text
        assert '<dd class="govuk-summary-list__value council-levels">low, medium</dd>' in page.text
        assert 'data-issuer="http://idp.test"' in page.text
        assert '<input type="hidden" name="return_to" value="/parking-permit/apply">' in page.text
        assert "Continue with Test Identity Provider" in page.text
        csp = page.headers["content-security-policy"]
        assert "form-action 'self' http://idp.test http://login.idp.test;" in csp


def test_choose_leaves_out_a_provider_not_certified_for_the_level(database_url: str, tmp_path: Path) -> None:
    static = tmp_path / "static.json"
    entry = {
        "issuer": "http://idp.test",
        "name": "Test Identity Provider",
        "discovery_url": "http://idp.test/.well-known/openid-configuration",
        "client_id": ENTITY,
        "levels": ["low"],
    }
    static.write_text(json.dumps([entry]))
    with council_kit(database_url, tmp_path, handler=_discovery, static_providers_file=static) as kit:
        page = kit.get(f"/auth/choose?service=blue-badge&return_to={BADGE}")
        assert "Test Identity Provider" not in page.text
        assert text_of(page.text, "no-providers").startswith("No identity provider can prove your identity")


def test_rfc8485_6_1_why_not_page_lists_reasons_and_offers_the_step_up(kit: CouncilKit) -> None:
    kit.sign_in(refused_result())
    answer = kit.get(BADGE)
    assert answer.headers["location"] == "/auth/why-not?service=blue-badge"
    page = kit.get(answer.headers["location"])
    assert page.status_code == 200
    assert (
        text_of(page.text, "reasons")
        == "Your identity was proven to low confidence; this service needs medium."
    )
    assert text_of(page.text, "step-up-reason") == (
        "You can prove your identity to medium confidence with the same provider."
    )
    assert text_of(page.text, "step-up") == "Prove your identity to a higher level"
    for field in (
        '<form method="post" action="/auth/start" id="step-up">',
        '<input type="hidden" name="service" value="blue-badge">',
        '<input type="hidden" name="issuer" value="https://idp.example.test">',
        '<input type="hidden" name="return_to" value="/blue-badge/apply">',
        '<input type="hidden" name="step_up" value="yes">',
    ):
        assert field in page.text
    assert text_of(page.text, "level") == "low"
    assert text_of(page.text, "decision") == "Not accepted for this service"
    assert "form-action 'self' https://idp.example.test;" in page.headers["content-security-policy"]


def test_why_not_page_without_a_step_up_has_no_step_up_form(kit: CouncilKit) -> None:
    kit.sign_in(refused_result(step_up=False))
    page = kit.get("/auth/why-not?service=blue-badge")
    assert 'name="step_up"' not in page.text
    assert 'id="choose-another"' in page.text


def test_failed_login_shows_the_description_politely_with_status_400(kit: CouncilKit) -> None:
    page = kit.get("/auth/callback?state=unknown&code=abc")
    assert page.status_code == 400
    assert "Sorry, we could not check who you are" in page.text
    assert "Traceback" not in page.text
    assert 'id="back"' in page.text


def test_failed_unknown_service(kit: CouncilKit) -> None:
    page = kit.get("/auth/choose?service=dog-licence")
    assert page.status_code == 400
    assert text_of(page.text, "problem") == "There is no service called 'dog-licence'."
    assert text_of(page.text, "back") == "Go back to Oxford City Council services"


# -- federation, migrations, gazetteer, assets ------------------------------------------------------
def test_fed_9_entity_configuration_carries_the_relying_party_metadata(kit: CouncilKit) -> None:
    answer = kit.get("/.well-known/openid-federation")
    assert answer.headers["content-type"] == "application/entity-statement+jwt"
    payload = jwt_payload(answer.text)
    assert payload["iss"] == payload["sub"] == ENTITY
    rp = payload["metadata"]["openid_relying_party"]
    assert rp["client_registration_types"] == ["automatic"]
    assert rp["redirect_uris"] == [f"{ENTITY}/auth/callback"]
    assert rp["claim_purposes"] == {
        "address": "To check you live in a permit zone of the council's area; To send your Blue Badge to your home",
        "given_name": "To put your name on your Blue Badge",
        "family_name": "To put your name on your Blue Badge",
        "birthdate": "To check your eligibility for a Blue Badge",
    }
    assert [key["kty"] for key in rp["jwks"]["keys"]] == ["EC"]
    assert all("d" not in key for key in rp["jwks"]["keys"])


def test_migrations_are_recorded_in_the_council_version_table(database_url: str, tmp_path: Path) -> None:
    engine = create_engine(database_url)
    try:
        with pytest.raises(SchemaError) as refused:
            council.MIGRATIONS.check_schema(engine)
        assert str(refused.value).endswith("is not migrated: run `ukid rp migrate --service council` first")
        assert council.MIGRATIONS.migrate(engine) == "council_0001"
        council.MIGRATIONS.check_schema(engine)
        assert council.MIGRATIONS.version_table == "rp_council_alembic_version"
    finally:
        engine.dispose()


def test_development_gazetteer_holds_oxford_addresses_with_the_medium_persona() -> None:
    gazetteer = Gazetteer.load()
    found = gazetteer.lookup("100120834567")
    assert found is not None and (found.address, found.zone) == (
        "12 St Aldate's, Oxford OX1 1BX",
        "City Centre (Zone A)",
    )
    assert len(gazetteer) >= 6
    assert gazetteer.lookup("72012345") is None and gazetteer.lookup(None) is None


def test_a_bad_gazetteer_file_stops_the_start(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "gazetteer.json"
    bad.write_text(json.dumps({"not-a-uprn": {"address": "x", "zone": "y"}}))
    with pytest.raises(StartupError) as refused, council_kit(database_url, tmp_path, gazetteer_file=bad):
        pass
    assert str(refused.value) == f"{bad}: 'not-a-uprn' is not a UPRN (1 to 12 digits)"


def test_routes_and_assets_live_under_the_entity_id_path(database_url: str, tmp_path: Path) -> None:
    entity = f"{ENTITY}/council"
    with council_kit(database_url, tmp_path, entity_id=entity) as kit:
        assert kit.get("/council").status_code == 200
        assert kit.get("/council/parking-permit").status_code == 200
        assert kit.get("/council/assets/council/council.css").status_code == 200
        page = kit.get("/council/parking-permit")
        assert 'href="/council/parking-permit/apply"' in page.text
        kit.sign_in(login_result())
        assert kit.submit("/council/parking-permit/apply", {"registration": "AB12CDE"}).status_code == 303


def test_without_govuk_frontend_the_pages_use_the_fallback_stylesheet(
    database_url: str, tmp_path: Path
) -> None:
    with council_kit(database_url, tmp_path, frontend_dir=tmp_path / "no-frontend") as kit:
        page = kit.get("/")
        assert '<link rel="stylesheet" href="/assets/council/fallback.css">' in page.text
        assert "govuk-frontend.min" not in page.text
        for asset in ("fallback.css", "council.css"):
            answer = kit.get(f"/assets/council/{asset}")
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/css")
        assert kit.get("/assets/govuk-frontend.min.css").status_code == 404
