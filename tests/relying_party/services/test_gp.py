"""The GP practice sample service: its pages (NHS.UK look), registering with a vouch and no fixed
address, ordering repeat prescriptions, the library's pages (choose, why not, failed), its forms'
validation and CSRF tokens, its entity configuration and its own migrations."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine

from federation.jose import decode_unverified
from federation.service.database import SchemaError
from relying_party.services import gp
from relying_party.services.gp.forms import (
    ADDRESS_MISSING,
    ADDRESS_TOO_LONG,
    FIXED_ADDRESS_MISSING,
    MEDICINE_MISSING,
    MEDICINE_UNKNOWN,
    PHONE_INVALID,
)
from tests.relying_party.services.gpkit import (
    AISHA,
    ENTITY,
    IDP,
    NHS_NUMBER,
    STATIC,
    GpKit,
    errors_of,
    form_of,
    gp_kit,
    medium,
    static_provider,
    summary,
    vouched,
)
from tests.trust_registry.htmlpage import page

ADDRESS = {"formatted": "14 Oak Lane\nOxford\nOX1 1AA", "postal_code": "OX1 1AA", "country_code": "GB"}


@pytest.fixture
def kit(database_url: str, tmp_path: Path) -> Iterator[GpKit]:
    """The practice on a fresh database."""
    with gp_kit(database_url, tmp_path) as running:
        yield running


# -- home, start pages, look -------------------------------------------------------------------------
def test_home_offers_both_services_and_sign_out_only_when_signed_in(kit: GpKit) -> None:
    doc = page(kit.client.get("/"))
    assert doc.one("span", class_="nhsuk-header__organisation-name").text() == "Oak Lane Medical Practice"
    assert "Demonstration" in doc.one("div", class_="gp-banner").text()
    links = [(a.attrs["href"], a.text()) for a in doc.one("ul", id="services").all("a")]
    assert links == [
        ("/register", "Register with this GP practice"),
        ("/prescriptions", "Order a repeat prescription"),
    ]
    assert doc.all("form", action="/auth/signout") == []
    kit.sign_in(vouched("register"))
    signed_in = page(kit.client.get("/"))
    assert len(signed_in.all("form", action="/auth/signout")) == 2  # header and page
    answer = kit.client.post("/auth/signout", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/")


def test_register_start_page_says_anyone_may_register(kit: GpKit) -> None:
    doc = page(kit.client.get("/register"))
    right = doc.one("div", id="right-to-register").text()
    assert "You have the right to register with a GP practice" in right
    assert "even if you do not have a fixed address or any ID documents" in right
    assert doc.one("a", class_="nhsuk-button").attrs["href"] == "/register/apply"
    assert page(kit.client.get("/prescriptions")).one("a", class_="nhsuk-button").attrs["href"] == (
        "/prescriptions/order"
    )


def test_nhsuk_frontend_served_and_its_remote_fonts_dropped(kit: GpKit) -> None:
    doc = page(kit.client.get("/"))
    stylesheets = [link.attrs["href"] for link in doc.all("link", rel="stylesheet")]
    assert stylesheets == ["/assets/nhsuk-frontend.min.css", "/assets/gp/gp.css"]
    assert doc.one("script", type="module").attrs["src"] == "/assets/gp/init.js"
    css = kit.client.get("/assets/nhsuk-frontend.min.css")
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert "assets.nhs.uk" not in css.text and "url(/assets/images/" in css.text
    assert 'from "../nhsuk-frontend.min.js"' in kit.client.get("/assets/gp/init.js").text
    assert kit.client.get("/assets/nhsuk-frontend.min.js").status_code == 200
    assert kit.client.get("/assets/images/favicon.svg").status_code == 200


def test_pages_fall_back_without_nhsuk_frontend(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "no-node-modules"
    with (
        caplog.at_level(logging.WARNING, "relying_party.services.gp"),
        gp_kit(database_url, tmp_path, frontend_dir=missing) as kit,
    ):
        doc = page(kit.client.get("/"))
        page(kit.client.get("/register"))
        stylesheets = [link.attrs["href"] for link in doc.all("link", rel="stylesheet")]
        assert stylesheets == ["/assets/gp/fallback.css", "/assets/gp/gp.css"]
        assert doc.all("script", type="module") == []
        assert kit.client.get("/assets/gp/fallback.css").status_code == 200
        assert kit.client.get("/assets/nhsuk-frontend.min.css").status_code == 404
    warnings = [r.getMessage() for r in caplog.records if r.name == "relying_party.services.gp"]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"nhsuk-frontend not found (looked in {missing})")
    assert warnings[0].endswith("for the NHS.UK design system look")


# -- the library's pages -----------------------------------------------------------------------------
def test_login_required_sends_the_browser_to_choose_a_provider(kit: GpKit) -> None:
    answer = kit.client.get("/register/apply", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/auth/choose?service=register&return_to=/register/apply"


def test_choose_without_a_reachable_provider_says_none_is_available(kit: GpKit) -> None:
    doc = page(kit.client.get("/auth/choose?service=register&return_to=/register/apply"))
    assert doc.one("h1").text() == "No identity provider is available"
    assert "no identity provider we can use" in doc.one("p", id="none").text()
    assert doc.all("form", action="/auth/start") == []


def test_csp3_6_4_1_choose_lists_each_provider_and_its_origin_in_form_action(
    database_url: str, tmp_path: Path
) -> None:
    path, client = static_provider(tmp_path)
    with gp_kit(database_url, tmp_path, static_providers_file=path, http_client=client) as kit:
        answer = kit.client.get("/auth/choose?service=register&return_to=/register/apply")
        doc = page(answer)
        assert doc.one("h1").text() == "Choose how to prove who you are"
        assert form_of(doc, "/auth/start") == {
            "service": "register",
            "issuer": STATIC,
            "return_to": "/register/apply",
        }
        assert doc.one("button", class_="gp-provider__button").text() == "Static Sign-in"
        details = doc.one("p", class_="gp-provider__details").text()
        assert details.startswith(
            f"{STATIC} Certified for low, medium levels of confidence, set up by the practice"
        )
        assert (
            summary(doc, "purposes")["NHS number"] == "To find your NHS records (if you have an NHS number)"
        )
        assert f"form-action 'self' {STATIC};" in answer.headers["content-security-policy"]


def test_failed_login_is_a_polite_page_when_the_citizen_declines(database_url: str, tmp_path: Path) -> None:
    path, client = static_provider(tmp_path)
    with gp_kit(database_url, tmp_path, static_providers_file=path, http_client=client) as kit:
        form = {"service": "register", "issuer": STATIC, "return_to": "/register/apply"}
        started = kit.client.post("/auth/start", data=form, follow_redirects=False)
        assert started.status_code == 303
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
        answer = kit.client.get(
            "/auth/callback", params={"state": state, "error": "access_denied", "iss": STATIC}
        )
        doc = page(answer, status=400)
        assert doc.one("h1").text() == "Sorry, we could not sign you in"
        assert doc.one("p", id="problem").text() == (
            "You chose not to share your information, so the service could not sign you in."
        )
        assert doc.one("p", id="problem").attrs["data-code"] == "provider_error"
        assert doc.one("main").one("a", href="/").text() == "Go to the practice's home page"
        assert "Traceback" not in answer.text
        assert kit.registrations() == []


def test_why_not_explains_the_refusal_of_the_thin_file_citizen_with_a_step_up(kit: GpKit) -> None:
    kit.sign_in(vouched("repeat-prescriptions"))
    answer = kit.client.get("/prescriptions/order", follow_redirects=False)
    assert answer.headers["location"] == "/auth/why-not?service=repeat-prescriptions"
    answer = kit.client.get(answer.headers["location"])
    doc = page(answer)
    assert doc.one("h1").text() == "We could not accept your proof of identity"
    assert [li.text() for li in doc.one("ul", id="reasons").all("li")] == [
        "This service needs a medium level of confidence in your identity; your identity check reached a low level.",
        "Your identity provider did not confirm your NHS number.",
        "This service needs you to sign in with a security code as well as your password.",
    ]
    assert form_of(doc, "/auth/start") == {
        "service": "repeat-prescriptions",
        "issuer": IDP,
        "return_to": "/prescriptions/order",
        "step_up": "yes",
    }
    assert doc.one("form", id="step-up").one("button").text() == "Prove your identity to a medium level"
    assert f"form-action 'self' {IDP};" in answer.headers["content-security-policy"]
    checked = summary(doc, "checked")
    assert checked["Level of confidence"] == "Low (GPG 45 profile L1A)"
    assert checked["Our decision"] == "Not accepted for “Order a repeat prescription”."
    assert "vouch by Resettlement officer, HMP Bristol" in checked["How it was proven"]
    another = doc.one("a", id="another").attrs["href"]
    assert another == "/auth/choose?service=repeat-prescriptions&return_to=/prescriptions/order"


# -- registering -------------------------------------------------------------------------------------
def test_register_with_a_vouch_and_no_fixed_address(kit: GpKit) -> None:
    kit.sign_in(vouched("register"))
    doc, form = kit.form("/register/apply", phone="07700 900 982", **{"fixed-address": "no"})
    assert summary(doc, "received") == {
        "First name": "Daniel",
        "Last name": "Price",
        "Date of birth": "3 May 1990",
    }
    checked = summary(doc, "checked")
    assert checked["Level of confidence"] == "Low (GPG 45 profile L1A)"
    assert checked["How it was proven"].startswith(
        "vouch by Resettlement officer, HMP Bristol (checked by validation of a physical document, in person"
    )
    assert checked["Identity provider"] == f"Sample IdP {IDP}"
    assert checked["Our decision"] == "Accepted: this is enough to register with the practice."
    assert doc.one("legend").text() == "Do you have a fixed address?"
    answer = kit.client.post("/register/apply", data=form, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/register/confirmation")
    [row] = kit.registrations()
    assert re.fullmatch(r"REG-[A-HJ-NP-Z2-9]{8}", row["reference"])
    assert {k: row[k] for k in ("subject", "issuer", "given_name", "family_name", "birthdate")} == {
        "subject": "0e9b7c14-58d2-4a6f-a3e1-7f42c8d05b9a",
        "issuer": IDP,
        "given_name": "Daniel",
        "family_name": "Price",
        "birthdate": "1990-05-03",
    }
    assert (row["address"], row["address_verified"], row["phone"]) == (
        "no fixed address",
        False,
        "+447700900982",
    )
    assert (row["nhs_number"], row["level"]) == (None, "low")
    assert row["evidence"] == "vouch by Resettlement officer, HMP Bristol"
    done = page(kit.client.get("/register/confirmation"))
    assert done.one("h1", class_="nhsuk-panel__heading").text() == "Registration complete"
    assert done.one("strong", id="reference").text() == row["reference"]
    assert summary(done, "registration")["Address"] == "no fixed address"


def test_a_second_registration_shows_the_first_reference(kit: GpKit) -> None:
    kit.sign_in(vouched("register"))
    _, form = kit.form("/register/apply", **{"fixed-address": "no"})
    kit.client.post("/register/apply", data=form)
    [row] = kit.registrations()
    again = page(kit.client.get("/register/apply"))
    assert again.one("h1").text() == "You are already registered"
    assert again.one("strong", id="reference").text() == row["reference"]
    answer = kit.client.post("/register/apply", data=form)
    assert page(answer).one("h1").text() == "You are already registered"
    assert len(kit.registrations()) == 1


def test_register_with_a_verified_address_and_nhs_number(kit: GpKit) -> None:
    claims = {"given_name": "Aisha", "family_name": "Rahman", "birthdate": "1979-02-23"}
    kit.sign_in(medium("register", {**claims, "address": ADDRESS, "nhs_number": NHS_NUMBER}))
    doc, form = kit.form("/register/apply")
    received = summary(doc, "received")
    assert received["Address"] == "14 Oak Lane, Oxford, OX1 1AA"
    assert received["NHS number"] == "943 476 5919"
    assert doc.all("fieldset") == []
    assert summary(doc, "checked")["Why we trust it"].startswith(
        "It is a member of the identity federation, certified for low, medium levels of confidence "
        "(certificate DIATF-2026-0042). Trust chain: https://idp.example https://health.example "
        "https://ta.example (trust anchor)"
    )
    kit.client.post("/register/apply", data=form)
    [row] = kit.registrations()
    assert (row["address"], row["address_verified"], row["phone"]) == (
        "14 Oak Lane, Oxford, OX1 1AA",
        True,
        None,
    )
    assert (row["nhs_number"], row["level"], row["evidence"]) == (NHS_NUMBER, "medium", "passport")


def test_register_with_a_typed_address(kit: GpKit) -> None:
    kit.sign_in(vouched("register"))
    _, form = kit.form(
        "/register/apply",
        phone="+44 (0)20 7946 0000",
        address="Flat 2\r\n 9 Mill Road\r\nOxford",
        **{"fixed-address": "yes"},
    )
    kit.client.post("/register/apply", data=form)
    [row] = kit.registrations()
    assert (row["address"], row["address_verified"], row["phone"]) == (
        "Flat 2, 9 Mill Road, Oxford",
        False,
        "+442079460000",
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"phone": "12345", "fixed-address": "no"}, "phone", PHONE_INVALID),
        ({"phone": "+33 1 42 68 53 00", "fixed-address": "no"}, "phone", PHONE_INVALID),
        ({"phone": "0" * 31, "fixed-address": "no"}, "phone", PHONE_INVALID),
        ({}, "fixed-address", FIXED_ADDRESS_MISSING),
        ({"fixed-address": "maybe"}, "fixed-address", FIXED_ADDRESS_MISSING),
        ({"fixed-address": "yes", "address": " \r\n "}, "address", ADDRESS_MISSING),
        ({"fixed-address": "yes", "address": "x" * 301}, "address", ADDRESS_TOO_LONG),
    ],
)
def test_bad_registration_answers_are_refused_and_nothing_stored(
    kit: GpKit, fields: dict[str, str], field: str, message: str
) -> None:
    kit.sign_in(vouched("register"))
    _, form = kit.form("/register/apply", **fields)
    doc = page(kit.client.post("/register/apply", data=form), status=400)
    assert errors_of(doc) == [(f"#{field}", message)]
    assert doc.one("span", id=f"{field}-error").text() == f"Error: {message}"
    assert doc.one("head").one("title").text().startswith("Error: ")
    assert doc.one("input", id="phone").attrs["value"] == fields.get("phone", "")
    assert kit.registrations() == []


@pytest.mark.parametrize("token", ["", "0" * 64, "other-session"])
def test_owasp_csrf_a_form_without_this_session_token_is_refused(kit: GpKit, token: str) -> None:
    kit.sign_in(vouched("register"))
    _, form = kit.form("/register/apply", **{"fixed-address": "no"})
    if token == "other-session":
        kit.client.cookies.clear()
        kit.sign_in(vouched("register"))
    else:
        form["csrf"] = token
    doc = page(kit.client.post("/register/apply", data=form), status=400)
    assert doc.one("h1").text() == "Your form has expired"
    assert kit.registrations() == []


# -- repeat prescriptions ----------------------------------------------------------------------------
def test_order_repeat_medicines(kit: GpKit) -> None:
    kit.sign_in(medium("repeat-prescriptions", {**AISHA, "nhs_number": NHS_NUMBER}))
    doc = page(kit.client.get("/prescriptions/order"))
    assert doc.one("strong", id="nhs-number").text() == "943 476 5919"
    labels = [label.text() for label in doc.all("label", class_="nhsuk-checkboxes__label")]
    assert labels == ["Amlodipine 5mg tablets", "Salbutamol 100mcg inhaler", "Sertraline 50mg tablets"]
    assert summary(doc, "checked")["Level of confidence"] == "Medium (GPG 45 profile M1B)"
    assert "passport" in summary(doc, "checked")["How it was proven"]
    form = {**form_of(doc, "/prescriptions/order"), "medicines": ["amlodipine-5mg", "sertraline-50mg"]}
    answer = kit.client.post("/prescriptions/order", data=form, follow_redirects=False)
    [row] = kit.orders()
    assert re.fullmatch(r"RX-[A-HJ-NP-Z2-9]{8}", row["reference"])
    assert answer.headers["location"] == f"/prescriptions/orders/{row['reference']}"
    assert (row["nhs_number"], row["issuer"], row["subject"]) == (NHS_NUMBER, IDP, "patient-1")
    assert row["medicines"] == ["Amlodipine 5mg tablets", "Sertraline 50mg tablets"]
    done = page(kit.client.get(answer.headers["location"]))
    assert done.one("strong", id="reference").text() == row["reference"]
    assert [li.text() for li in done.one("ul", id="ordered").all("li")] == row["medicines"]


@pytest.mark.parametrize(
    ("medicines", "message"),
    [([], MEDICINE_MISSING), (["amlodipine-5mg", "morphine"], MEDICINE_UNKNOWN)],
)
def test_bad_orders_are_refused_and_nothing_stored(kit: GpKit, medicines: list[str], message: str) -> None:
    kit.sign_in(medium("repeat-prescriptions", {**AISHA, "nhs_number": NHS_NUMBER}))
    doc = page(kit.client.get("/prescriptions/order"))
    form = {**form_of(doc, "/prescriptions/order"), "medicines": medicines}
    doc = page(kit.client.post("/prescriptions/order", data=form), status=400)
    assert errors_of(doc) == [("#medicines", message)]
    assert doc.one("span", id="medicines-error").text() == f"Error: {message}"
    assert kit.orders() == []


def test_an_order_of_another_patient_is_not_shown(kit: GpKit) -> None:
    kit.sign_in(medium("repeat-prescriptions", {**AISHA, "nhs_number": NHS_NUMBER}))
    doc = page(kit.client.get("/prescriptions/order"))
    kit.client.post(
        "/prescriptions/order", data={**form_of(doc, "/prescriptions/order"), "medicines": "amlodipine-5mg"}
    )
    [row] = kit.orders()
    kit.client.cookies.clear()
    claims = {"given_name": "Ben", "family_name": "Ng", "birthdate": "1950-01-01", "nhs_number": "4010232137"}
    kit.sign_in(medium("repeat-prescriptions", claims, subject="patient-2"))
    doc = page(kit.client.get(f"/prescriptions/orders/{row['reference']}"), status=404)
    assert doc.one("h1").text() == "Order not found"


# -- federation and migrations -----------------------------------------------------------------------
def test_fed_9_entity_configuration_carries_the_relying_party_metadata(kit: GpKit) -> None:
    answer = kit.client.get("/.well-known/openid-federation")
    assert answer.headers["content-type"] == "application/entity-statement+jwt"
    _, payload = decode_unverified(answer.text)
    assert payload["iss"] == payload["sub"] == ENTITY
    rp = payload["metadata"]["openid_relying_party"]
    assert rp["client_registration_types"] == ["automatic"]
    assert rp["redirect_uris"] == [f"{ENTITY}/auth/callback"]
    assert rp["claim_purposes"]["nhs_number"] == (
        "To find your NHS records (if you have an NHS number); To find your prescriptions in your NHS record"
    )
    assert set(rp["claim_purposes"]) == {"given_name", "family_name", "birthdate", "address", "nhs_number"}
    assert [key["kty"] for key in rp["jwks"]["keys"]] == ["EC"]
    assert all("d" not in key for key in rp["jwks"]["keys"])


def test_migrations_are_recorded_in_the_gp_version_table(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with pytest.raises(SchemaError) as refused:
            gp.MIGRATIONS.check_schema(engine)
        assert str(refused.value).endswith("is not migrated: run `ukid rp migrate --service gp` first")
        assert gp.MIGRATIONS.migrate(engine) == "gp_0001"
        gp.MIGRATIONS.check_schema(engine)
        assert gp.MIGRATIONS.version_table == "rp_gp_alembic_version"
    finally:
        engine.dispose()
