"""The consent page (OpenID Connect Core 1.0 §3.1.2.4): the client's organisation and name, each
claim asked for (by scope, Core §5.4, or the claims parameter, Core §5.5 and IDA §6) with its
purpose; agree returns the code and remembers the consent, cancel returns ``access_denied``; the
form is CSRF-protected and answers once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from idp.tables import consents, grants
from tests.idp.flows import (
    assert_problem_page,
    assert_redirect_error,
    authorization_params,
    citizen,
    decide,
    follow,
    form_fields,
    redirect_query,
    shared_kit,
    sign_in,
    start,
)
from tests.idp.idpkit import IdpKit, unchanged
from tests.trust_registry.htmlpage import page

CALLBACK = "https://static.example/callback"
VERIFIED = {
    "userinfo": {
        "email": {"purpose": "To send you your parking permit"},
        "verified_claims": {
            "verification": {"trust_framework": None},
            "claims": {"given_name": None, "birthdate": {"purpose": "To check you are old enough"}},
        },
    }
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpKit]:
    """One provider per database for the module; each test uses its own accounts."""
    with shared_kit(request.param, tmp_path_factory) as running:
        yield running


@pytest.fixture
def kit(shared: IdpKit) -> IdpKit:
    """The shared provider, with a browser that has no cookies."""
    shared.client.cookies.clear()
    return shared


def _consent_page(kit: IdpKit, username: str, **options: Any) -> httpx.Response:
    response = follow(kit, sign_in(kit, follow(kit, start(kit, authorization_params(**options))), username))
    assert response.status_code == 200, response.text
    return response


def test_core_section_3_1_2_4_consent_page_names_the_organisation_and_each_claim(kit: IdpKit) -> None:
    who = citizen(kit)
    doc = page(_consent_page(kit, who.username, scope="openid address", claims=VERIFIED))
    assert doc.one("h1").text() == "Share your information"
    assert doc.one(id="consent-lead").text() == (
        "Static test app from Static Services Ltd is asking for the following information about you."
    )
    rows = {
        row.attrs["data-claim"]: (row.one("dt").text(), row.one("dd").text())
        for row in doc.one(id="claims").all("div", class_="govuk-summary-list__row")
    }
    assert rows == {
        "address": ("Address", "No reason given"),
        "birthdate": ("Date of birth Checked against your evidence", "To check you are old enough"),
        "email": ("Email address", "To send you your parking permit"),
        "given_name": ("First name Checked against your evidence", "No reason given"),
    }
    assert [b.text() for b in doc.all("button")] == ["Agree and continue", "Cancel"]


def test_core_section_3_1_2_4_openid_alone_asks_for_no_information(kit: IdpKit) -> None:
    who = citizen(kit)
    doc = page(_consent_page(kit, who.username))
    assert doc.one(id="claims-none").text().startswith("Only that you have signed in")


def test_core_section_3_1_2_4_consent_page_in_welsh(kit: IdpKit) -> None:
    who = citizen(kit)
    doc = page(_consent_page(kit, who.username, scope="openid profile", extra={"ui_locales": "cy"}))
    assert doc.one("h1").text() == "Rhannu eich gwybodaeth"
    assert [b.text() for b in doc.all("button")] == ["Cytuno a pharhau", "Canslo"]


def test_core_section_3_1_2_4_agree_returns_the_code_and_remembers_the_consent(kit: IdpKit) -> None:
    who = citizen(kit)
    query = redirect_query(decide(kit, _consent_page(kit, who.username, scope="openid email")), CALLBACK)
    assert set(query) == {"code", "state", "iss"}
    [consent] = kit.rows_of(consents, who.id)
    assert consent.scopes == ["email", "openid"]
    assert consent.claims == ["email", "email_verified"]
    assert consent.organization_name == "Static Services Ltd"


def test_rfc6749_section_4_1_2_1_cancel_is_access_denied(kit: IdpKit) -> None:
    who = citizen(kit)
    response = decide(kit, _consent_page(kit, who.username), "cancel")
    assert_redirect_error(
        response,
        CALLBACK,
        "access_denied",
        "the citizen did not agree to share the information",
        "af0ifjsldkj",
    )
    assert kit.rows_of(grants, who.id) == []
    assert kit.rows_of(consents, who.id) == []


def test_csrf_consent_without_token_is_refused_and_changes_nothing(kit: IdpKit) -> None:
    who = citizen(kit)
    fields = form_fields(_consent_page(kit, who.username))
    with unchanged(kit):
        response = kit.client.post(
            "/consent",
            data={"interaction": fields["interaction"], "decision": "agree"},
            follow_redirects=False,
        )
    assert_problem_page(response, "csrf")


def test_csrf_consent_with_a_wrong_token_is_refused_and_changes_nothing(kit: IdpKit) -> None:
    who = citizen(kit)
    fields = form_fields(_consent_page(kit, who.username))
    data = {**fields, "csrf_token": fields["csrf_token"][:-2] + "AA", "decision": "agree"}
    with unchanged(kit):
        response = kit.client.post("/consent", data=data, follow_redirects=False)
    assert_problem_page(response, "csrf")


def test_csrf_consent_from_another_browser_is_refused(kit: IdpKit) -> None:
    who = citizen(kit)
    consent_page = _consent_page(kit, who.username)
    kit.client.cookies.clear()
    with unchanged(kit):
        response = decide(kit, consent_page)
    assert_problem_page(response, "csrf")


def test_consent_answer_cannot_be_replayed(kit: IdpKit) -> None:
    who = citizen(kit)
    consent_page = _consent_page(kit, who.username)
    assert "code" in redirect_query(decide(kit, consent_page), CALLBACK)
    with unchanged(kit):
        again = decide(kit, consent_page)
    assert_problem_page(again, "completed")
    with unchanged(kit):
        cancel = decide(kit, consent_page, "cancel")
    assert_problem_page(cancel, "completed")


def test_consent_decision_must_be_agree_or_cancel(kit: IdpKit) -> None:
    who = citizen(kit)
    consent_page = _consent_page(kit, who.username)
    with unchanged(kit):
        response = decide(kit, consent_page, "maybe")
    assert_problem_page(response, "form")


def test_consent_page_without_the_session_asks_to_sign_in_again(kit: IdpKit) -> None:
    who = citizen(kit)
    consent_page = _consent_page(kit, who.username)
    kit.client.cookies.delete("ukid_idp_session")
    interaction = form_fields(consent_page)["interaction"]
    with unchanged(kit):
        shown = kit.client.get(f"/consent?interaction={interaction}", follow_redirects=False)
        answered = decide(kit, consent_page)
    assert shown.headers["location"] == f"/login?interaction={interaction}"
    assert answered.headers["location"] == f"/login?interaction={interaction}"
