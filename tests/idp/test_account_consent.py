"""Consent choices (OpenID Connect Core 1.0 §3.1.2.4): the page says who is asking (organisation,
trust registry and trust marks, OpenID Federation 1.0 §7), optional claims can be declined one by
one while ``essential`` ones (Core §5.5.1) cannot, a declined claim is released nowhere (ID token,
UserInfo, the record of releases), and the remembered consent holds only what was agreed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from idp.tables import consents, grants, releases
from tests.idp.accountkit import (
    CALLBACK,
    consent_page,
    exchange_code,
    signed_in,
    submit_consent,
)
from tests.idp.fedclients import COUNCIL_RP, add_rp, federation_kit, rp_key
from tests.idp.flows import (
    assert_problem_page,
    authorization_params,
    citizen,
    client_assertion,
    follow,
    pkce,
    push,
    redirect_query,
    shared_kit,
    start,
)
from tests.idp.idpkit import IdpKit, unchanged
from tests.idp.tokenkit import userinfo, verify_id_token
from tests.trust_registry.htmlpage import page

CLAIMS = {"given_name": "Ada", "family_name": "Lovelace", "email": "ada@example.org", "email_verified": True}
#: The ID token asks for given_name (optional) and family_name (essential); email comes by scope.
REQUEST = {"id_token": {"given_name": None, "family_name": {"essential": True}}}
DECLINE_ONLY_OPTIONAL = (
    "The form could not be read: only information marked as optional can be left out, by ticking its box."
)


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


def _checkboxes(response: Any) -> dict[str, str]:
    doc = page(response)
    return {
        box.attrs["name"]: doc.one("label", **{"for": box.attrs["id"]}).text()
        for box in doc.all("input", class_="govuk-checkboxes__input")
    }


def test_core_section_3_1_2_4_static_client_is_named_and_has_no_trust_marks(kit: IdpKit) -> None:
    signed_in(kit, citizen(kit, CLAIMS))
    response, _verifier = consent_page(kit, scope="openid email", claims=REQUEST)
    doc = page(response)
    assert doc.one(id="rp-organisation").text() == "Static Services Ltd"
    assert doc.one(id="rp-registry").text() == (
        "Not in the trust registry: Sample Citizen Identity Provider set up this service directly."
    )
    assert doc.one(id="trust-marks-none").text() == (
        "None: only services in the trust registry can hold trust marks."
    )


def test_core_section_5_5_1_only_optional_claims_have_a_decline_box(kit: IdpKit) -> None:
    signed_in(kit, citizen(kit, CLAIMS))
    response, _verifier = consent_page(kit, scope="openid email", claims=REQUEST)
    assert _checkboxes(response) == {
        "decline.email": "Email address",
        "decline.email_verified": "Whether your email address has been confirmed",
        "decline.given_name": "First name",
    }
    doc = page(response)
    family = doc.one("div", data_claim="family_name")
    assert family.one("dt").text() == "Last name Needed"
    assert doc.one(id="essential-note").text().startswith("Information marked as needed is required")


def test_core_section_5_5_1_an_essential_claim_cannot_be_declined(kit: IdpKit) -> None:
    who = citizen(kit, CLAIMS)
    signed_in(kit, who)
    response, _verifier = consent_page(kit, scope="openid email", claims=REQUEST)
    with unchanged(kit):
        answer = submit_consent(kit, response, extra={"decline.family_name": "yes"})
    assert assert_problem_page(answer, "form").one(id="problem").text() == DECLINE_ONLY_OPTIONAL


def test_core_section_3_1_2_4_a_claim_not_asked_for_cannot_be_declined(kit: IdpKit) -> None:
    signed_in(kit, citizen(kit, CLAIMS))
    response, _verifier = consent_page(kit, scope="openid email")
    for field, value in (("decline.birthdate", "yes"), ("decline.email", "no")):
        with unchanged(kit):
            answer = submit_consent(kit, response, extra={field: value})
        assert assert_problem_page(answer, "form").one(id="problem").text() == DECLINE_ONLY_OPTIONAL


def test_core_section_3_1_2_4_declined_claims_are_released_nowhere(kit: IdpKit) -> None:
    who = citizen(kit, CLAIMS)
    signed_in(kit, who)
    response, verifier = consent_page(kit, scope="openid email", claims=REQUEST)
    answer = submit_consent(kit, response, extra={"decline.email": "yes", "decline.given_name": "yes"})
    body = exchange_code(kit, answer, verifier)
    token = verify_id_token(kit, body["id_token"])
    assert token["family_name"] == "Lovelace"
    assert "given_name" not in token
    info = userinfo(kit, body["access_token"])
    assert info.status_code == 200, info.text
    assert set(info.json()) == {"sub", "email_verified"}
    [grant] = kit.rows_of(grants, who.id)
    assert grant.consented_claims == ["email_verified", "family_name"]
    recorded = {row.channel: row.claims for row in kit.rows_of(releases, who.id)}
    assert recorded == {"id_token": ["family_name"], "userinfo": ["email_verified"]}
    [consent] = kit.rows_of(consents, who.id)
    assert consent.claims == ["email_verified", "family_name"]


def test_core_section_3_1_2_4_declined_claim_is_asked_for_again(kit: IdpKit) -> None:
    """The remembered consent covers what was agreed only: the same request shows the page again,
    a request for the agreed claims alone does not."""
    who = citizen(kit, CLAIMS)
    signed_in(kit, who)
    response, _verifier = consent_page(kit, scope="openid", claims=REQUEST)
    assert "code" in redirect_query(
        submit_consent(kit, response, extra={"decline.given_name": "yes"}), CALLBACK
    )
    again = start(kit, authorization_params(scope="openid", claims=REQUEST))
    assert again.headers["location"].startswith("/consent?interaction=")
    agreed = {"id_token": {"family_name": {"essential": True}}}
    assert "code" in redirect_query(start(kit, authorization_params(scope="openid", claims=agreed)), CALLBACK)


def test_core_section_3_1_2_4_declining_on_a_new_answer_withdraws_it_from_the_remembered_consent(
    kit: IdpKit,
) -> None:
    who = citizen(kit, CLAIMS)
    signed_in(kit, who)
    response, _verifier = consent_page(kit, scope="openid email")
    submit_consent(kit, response)
    [consent] = kit.rows_of(consents, who.id)
    assert consent.claims == ["email", "email_verified"]
    response, _verifier = consent_page(kit, scope="openid email", extra={"prompt": "consent"})
    submit_consent(kit, response, extra={"decline.email": "yes"})
    [consent] = kit.rows_of(consents, who.id)
    assert consent.claims == ["email_verified"]


def test_core_section_3_1_2_4_remembered_consent_is_asked_again_when_the_request_grows(kit: IdpKit) -> None:
    who = citizen(kit, CLAIMS)
    signed_in(kit, who)
    response, _verifier = consent_page(kit, scope="openid email")
    assert "code" in redirect_query(submit_consent(kit, response), CALLBACK)
    assert "code" in redirect_query(start(kit, authorization_params(scope="openid email")), CALLBACK)
    grown = start(kit, authorization_params(scope="openid email", claims={"userinfo": {"family_name": None}}))
    doc = page(follow(kit, grown))
    assert [row.attrs["data-claim"] for row in doc.one(id="claims").all("div")] == [
        "email",
        "email_verified",
        "family_name",
    ]


def test_openid_federation_7_consent_page_shows_the_rps_trust_marks(
    database_url: str, tmp_path: Path
) -> None:
    with federation_kit(database_url, tmp_path) as kit:
        add_rp(kit.fed, COUNCIL_RP, organization_name="Example Council")
        verifier, challenge = pkce()
        params = authorization_params(client_id=COUNCIL_RP, scope="openid email", challenge=challenge)
        pushed = push(kit, {**params, **client_assertion(COUNCIL_RP, now=kit.now(), key=rp_key(COUNCIL_RP))})
        assert pushed.status_code == 201, pushed.text
        signed_in(kit, citizen(kit, CLAIMS))
        response = follow(
            kit, start(kit, {"client_id": COUNCIL_RP, "request_uri": pushed.json()["request_uri"]})
        )
        doc = page(response)
        assert doc.one(id="rp-organisation").text() == "Example Council"
        assert doc.one(id="rp-registry").text() == (
            "Registered in the UK digital identity trust registry (https://ta.example), which checked who "
            "they are."
        )
        marks = {li.attrs["data-trust-mark"]: li.text() for li in doc.one(id="trust-marks").all("li")}
        assert marks == {"https://ta.example/trust-mark-types/council": "Council: a local authority"}
        del verifier
