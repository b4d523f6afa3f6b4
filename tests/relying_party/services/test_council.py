"""The council sample service: its pages for accepted results (what was received, the level, the
provider, the trust chain, the evidence, the decision), its forms (CSRF, validation, nothing stored on
bad input) and the gazetteer check. The library's pages and the setup: ``test_council_setup.py``.
Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest

from relying_party.services.council.forms import (
    REASON_MISSING_ERROR,
    REGISTRATION_FORMAT_ERROR,
    REGISTRATION_MISSING_ERROR,
    format_registration,
    parse_registration,
)
from relying_party.services.council.routes import CSRF_ERROR
from tests.relying_party.services.councilkit import (
    FEDERATED,
    IN_AREA,
    STATIC,
    CouncilKit,
    council_kit,
    csrf_of,
    login_result,
    text_of,
)

PERMIT = "/parking-permit/apply"
BADGE = "/blue-badge/apply"


@pytest.fixture
def kit(database_url: str, tmp_path: Path) -> Iterator[CouncilKit]:
    """The council on a fresh database, with no trust anchor and no static provider."""
    with council_kit(database_url, tmp_path) as running:
        yield running


# -- home and start pages -------------------------------------------------------------------------
def test_home_lists_both_services_and_signs_out_only_when_signed_in(kit: CouncilKit) -> None:
    page = kit.get("/")
    assert page.status_code == 200
    assert text_of(page.text, "organisation") == "Oxford City Council"
    assert "This is a demonstration service" in page.text
    assert 'href="/parking-permit"' in page.text and 'href="/blue-badge"' in page.text
    assert "sign-out" not in page.text
    assert "script-src 'self' 'nonce-" in page.headers["content-security-policy"]
    kit.sign_in(login_result())
    page = kit.get("/")
    assert 'action="/auth/signout"' in page.text
    assert text_of(page.text, "signed-in-parking-permit") == (
        "You have proven your identity for this service with Example Identity Provider."
    )
    signed_out = kit.post("/auth/signout", {})
    assert signed_out.status_code == 303
    assert "sign-out" not in kit.get("/").text


def test_data_minimisation_parking_start_page_says_name_and_birthdate_are_not_asked(kit: CouncilKit) -> None:
    page = kit.get("/parking-permit")
    assert text_of(page.text, "asked") == "your address, to check you live in a permit zone in our area"
    assert text_of(page.text, "not-asked") == (
        "We will not ask for your name or your date of birth: we do not need them to give you a parking permit."
    )
    assert f'href="{PERMIT}"' in page.text and "Start now" in page.text
    assert 'href="/blue-badge/apply"' in kit.get("/blue-badge").text


def test_apply_without_a_login_goes_to_choose_a_provider(kit: CouncilKit) -> None:
    answer = kit.get(PERMIT)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/auth/choose?service=parking-permit&return_to={PERMIT}"


# -- resident parking permit ----------------------------------------------------------------------
def test_ida_5_parking_page_shows_what_was_received_level_provider_chain_and_evidence(
    kit: CouncilKit,
) -> None:
    kit.sign_in(login_result())
    page = kit.get(PERMIT)
    assert page.status_code == 200
    assert text_of(page.text, "address") == "12 St Aldate's, Oxford OX1 1BX"
    assert text_of(page.text, "zone") == "City Centre (Zone A)"
    assert text_of(page.text, "claims") == "Address 12 St Aldate's Oxford OX1 1BX"
    assert text_of(page.text, "level") == "medium"
    assert text_of(page.text, "needed") == "low or higher"
    assert text_of(page.text, "profiles") == "M1B"
    assert text_of(page.text, "decision") == "Accepted: your identity was proven well enough for this service"
    assert text_of(page.text, "provider") == (
        "Name Example Identity Provider Issuer https://idp.example.test Certificate DIATF-CERT-0042 "
        "Certified for low, medium"
    )
    assert text_of(page.text, "trust-chain") == " ".join(FEDERATED.trust_chain)
    assert text_of(page.text, "evidence") == (
        "Document: driving permit validation of a physical document, remote and unattended "
        "record check against an authoritative source knowledge-based verification "
        "Electronic record: credit reference file record check against an authoritative source "
        "Checked on 20 January 2026"
    )


def test_parking_page_for_a_static_provider_says_it_is_not_through_the_federation(kit: CouncilKit) -> None:
    kit.sign_in(login_result(provider=STATIC))
    page = kit.get(PERMIT)
    assert text_of(page.text, "trust-chain-static") == (
        "It is not reached through the federation: Oxford City Council set it up directly."
    )


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("ab12 cde", "AB12CDE", "AB12 CDE"),
        (" AB12CDE ", "AB12CDE", "AB12 CDE"),
        ("A123 BCD", "A123BCD", "A123 BCD"),
        ("abc 123d", "ABC123D", "ABC 123D"),
        ("ABC 123", "ABC123", "ABC 123"),
        ("1234 AB", "1234AB", "1234 AB"),
        ("ABZ 1234", "ABZ1234", "ABZ 1234"),
    ],
)
def test_parking_application_stored_with_a_reference_and_confirmed(
    kit: CouncilKit, typed: str, stored: str, shown: str
) -> None:
    kit.sign_in(login_result())
    answer = kit.submit(PERMIT, {"registration": typed})
    assert answer.status_code == 303
    [row] = kit.rows("parking-permit")
    assert answer.headers["location"] == f"/parking-permit/application/{row['reference']}"
    assert row["reference"].startswith("PP-") and len(row["reference"]) == 11
    assert {k: row[k] for k in ("subject", "issuer", "level", "uprn", "zone", "vehicle_registration")} == {
        "subject": "sub-4f1c9e",
        "issuer": "https://idp.example.test",
        "level": "medium",
        "uprn": "100120834567",
        "zone": "City Centre (Zone A)",
        "vehicle_registration": stored,
    }
    page = kit.get(answer.headers["location"])
    assert page.status_code == 200
    assert text_of(page.text, "reference") == row["reference"]
    assert text_of(page.text, "registration") == shown
    assert text_of(page.text, "address") == "12 St Aldate's, Oxford OX1 1BX"
    assert text_of(page.text, "provider").startswith("Name Example Identity Provider")
    assert text_of(page.text, "trust-chain") == " ".join(FEDERATED.trust_chain)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", REGISTRATION_MISSING_ERROR),
        ("   ", REGISTRATION_MISSING_ERROR),
        ("AB12 CD", REGISTRATION_FORMAT_ERROR),
        ("AB-12-CDE", REGISTRATION_FORMAT_ERROR),
        ("ABCD 1234", REGISTRATION_FORMAT_ERROR),
        ("12345", REGISTRATION_FORMAT_ERROR),
        ("ÄB12 CDE", REGISTRATION_FORMAT_ERROR),
        ("AB12 CDE" * 5, REGISTRATION_FORMAT_ERROR),
        ("<script>", REGISTRATION_FORMAT_ERROR),
    ],
)
def test_parking_bad_registration_refused_and_nothing_stored(
    kit: CouncilKit, typed: str, message: str
) -> None:
    kit.sign_in(login_result())
    page = kit.submit(PERMIT, {"registration": typed})
    assert page.status_code == 400
    assert text_of(page.text, "error-summary") == f"There is a problem {message}"
    assert text_of(page.text, "registration-error") == f"Error: {message}"
    assert "<title>Error: " in page.text
    assert "<script>" not in page.text
    assert (
        f'name="registration" type="text" value="{html.escape(typed)}"' in page.text
    )  # shown again, escaped
    assert kit.rows("parking-permit") == []


def test_owasp_csrf_parking_form_without_the_session_token_is_refused(kit: CouncilKit) -> None:
    kit.sign_in(login_result())
    for token in ("", "0" * 64, csrf_of(kit.get(PERMIT).text)[:-1] + "x"):
        page = kit.post(PERMIT, {"csrf_token": token, "registration": "AB12 CDE"})
        assert page.status_code == 400
        assert text_of(page.text, "registration-error") == f"Error: {CSRF_ERROR}"
    assert kit.rows("parking-permit") == []


def test_owasp_csrf_token_of_another_session_is_refused(kit: CouncilKit) -> None:
    kit.sign_in(login_result())
    token = csrf_of(kit.get(PERMIT).text)
    kit.client.cookies.clear()
    kit.sign_in(login_result())
    page = kit.post(PERMIT, {"csrf_token": token, "registration": "AB12 CDE"})
    assert text_of(page.text, "registration-error") == f"Error: {CSRF_ERROR}"
    assert kit.rows("parking-permit") == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        (
            {
                **IN_AREA,
                "street_address": "14 Heol y Bont",
                "locality": "Cardiff",
                "postal_code": "CF10 1EP",
                "uprn": "10002500123",
            },
            "This address is not in our area.",
        ),
        (
            {k: v for k, v in IN_AREA.items() if k != "uprn"},
            "Your identity provider did not give the property reference number (UPRN) of this address, "
            "so we cannot check it is in our area.",
        ),
    ],
)
def test_parking_outside_the_area_is_explained_and_nothing_stored(
    kit: CouncilKit, address: dict[str, str], reason: str
) -> None:
    kit.sign_in(login_result(claims={"address": address}))
    page = kit.get(PERMIT)
    assert page.status_code == 200
    assert text_of(page.text, "explanation") == (
        "Resident parking permits are only for people who live in Oxford City Council's area."
    )
    lines = [address[k] for k in ("street_address", "locality", "postal_code")]
    assert text_of(page.text, "address-received") == " ".join(lines)
    assert text_of(page.text, "reason") == reason
    assert 'name="registration"' not in page.text
    posted = kit.post(PERMIT, {"csrf_token": "x", "registration": "AB12 CDE"})
    assert text_of(posted.text, "reason") == reason
    assert kit.rows("parking-permit") == []


def test_ida_5_an_unverified_address_is_not_used_for_the_area_check(kit: CouncilKit) -> None:
    kit.sign_in(login_result(verified=()))
    page = kit.get(PERMIT)
    assert text_of(page.text, "reason").startswith(
        "Your identity provider did not give the property reference"
    )


def test_confirmation_is_only_shown_to_the_applicant(kit: CouncilKit) -> None:
    kit.sign_in(login_result())
    location = kit.submit(PERMIT, {"registration": "AB12 CDE"}).headers["location"]
    kit.sign_in(login_result(subject="someone-else"))
    page = kit.get(location)
    assert page.status_code == 404
    assert text_of(page.text, "problem") == "There is no application with this reference made by you."
    assert kit.get("/parking-permit/application/PP-NOTMINE1").status_code == 404


# -- Blue Badge -----------------------------------------------------------------------------------
def test_blue_badge_page_shows_the_verified_details_and_one_question(kit: CouncilKit) -> None:
    kit.sign_in(login_result("blue-badge"))
    page = kit.get(BADGE)
    assert page.status_code == 200
    assert text_of(page.text, "details") == (
        "Name Priya Shah Date of birth 2 November 1985 Address 12 St Aldate's Oxford OX1 1BX"
    )
    assert page.text.count('name="reason" type="radio"') == 4
    assert "I get PIP (8+ points moving around)" in page.text
    assert text_of(page.text, "needed") == "medium or higher"
    assert text_of(page.text, "provider").startswith("Name Example Identity Provider")


def test_blue_badge_application_stored_and_confirmed(kit: CouncilKit) -> None:
    kit.sign_in(login_result("blue-badge"))
    answer = kit.submit(BADGE, {"reason": "registered-blind"})
    assert answer.status_code == 303
    [row] = kit.rows("blue-badge")
    assert row["reference"].startswith("BB-") and len(row["reference"]) == 11
    assert {k: row[k] for k in ("given_name", "family_name", "birthdate", "address", "reason", "level")} == {
        "given_name": "Priya",
        "family_name": "Shah",
        "birthdate": "1985-11-02",
        "address": IN_AREA,
        "reason": "registered-blind",
        "level": "medium",
    }
    page = kit.get(answer.headers["location"])
    assert text_of(page.text, "reference") == row["reference"]
    assert text_of(page.text, "application") == (
        "Name Priya Shah Date of birth 2 November 1985 Address 12 St Aldate's Oxford OX1 1BX "
        "Why you are applying I am registered blind"
    )


@pytest.mark.parametrize("reason", ["", "i-just-want-one", "x" * 5000])
def test_blue_badge_without_a_valid_reason_refused_and_nothing_stored(kit: CouncilKit, reason: str) -> None:
    kit.sign_in(login_result("blue-badge"))
    data = {"reason": reason} if reason else {}
    page = kit.submit(BADGE, data)
    assert page.status_code == 400
    assert text_of(page.text, "error-summary") == f"There is a problem {REASON_MISSING_ERROR}"
    assert text_of(page.text, "reason-error") == f"Error: {REASON_MISSING_ERROR}"
    assert kit.rows("blue-badge") == []


def test_owasp_csrf_blue_badge_form_without_the_token_is_refused(kit: CouncilKit) -> None:
    kit.sign_in(login_result("blue-badge"))
    page = kit.post(BADGE, {"reason": "registered-blind"})
    assert text_of(page.text, "reason-error") == f"Error: {CSRF_ERROR}"
    assert 'value="registered-blind" checked' in page.text
    assert kit.rows("blue-badge") == []


def test_a_parking_login_does_not_open_the_blue_badge(kit: CouncilKit) -> None:
    kit.sign_in(login_result())
    answer = kit.get(BADGE)
    assert answer.headers["location"] == f"/auth/choose?service=blue-badge&return_to={BADGE}"


def test_registration_formats() -> None:
    assert parse_registration("ab12cde") == "AB12CDE"
    assert format_registration("AB12CDE") == "AB12 CDE"
    assert format_registration("A1") == "A 1"
    assert parse_registration("AB12 CDE\u00a0") == "AB12CDE"


def test_result_without_the_blue_badge_claims_is_explained(kit: CouncilKit) -> None:
    kit.sign_in(login_result("blue-badge", claims={"address": IN_AREA}))
    page = kit.get(BADGE)
    assert page.status_code == 400
    assert text_of(page.text, "problem") == (
        "Your identity provider did not send your first name, which this service needs."
    )
