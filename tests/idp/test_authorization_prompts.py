"""Sessions, ``prompt``, ``max_age``, remembered consent and vectors of trust at the authorization
endpoint (OpenID Connect Core 1.0 §3.1.2.1, §3.1.2.3-§3.1.2.6; RFC 9207 §2; RFC 8485 §6.1;
OpenID Connect Unmet Authentication Requirements 1.0 §2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Table, select

from idp.tables import grants, interactions, sessions
from tests.idp.flows import (
    assert_redirect_error,
    authorization_params,
    authorize_code,
    citizen,
    decide,
    follow,
    redirect_query,
    shared_kit,
    sign_in,
    start,
)
from tests.idp.idpkit import ISSUER, IdpKit, unchanged
from tests.trust_registry.htmlpage import page

CALLBACK = "https://static.example/callback"
STATE = "af0ifjsldkj"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpKit]:
    """One provider per database for the module; each test signs in with its own account."""
    with shared_kit(request.param, tmp_path_factory) as running:
        yield running


@pytest.fixture
def kit(shared: IdpKit) -> IdpKit:
    """The shared provider, with a browser that has no cookies."""
    shared.client.cookies.clear()
    return shared


def _rows(kit: IdpKit, table: Table, account_id: str) -> list[Any]:
    with kit.services.accounts.engine.connect() as connection:
        return list(connection.execute(select(table).where(table.c.account_id == account_id)).all())


def _path(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    return urlsplit(str(response.headers["location"])).path


def test_core_section_3_1_2_5_successful_response_has_code_state_and_iss(kit: IdpKit) -> None:
    who = citizen(kit)
    got = authorize_code(kit, username=who.username, scope="openid profile")
    assert set(got.response) == {"code", "state", "iss"}
    assert got.response["state"] == STATE
    assert got.response["iss"] == ISSUER
    [grant] = _rows(kit, grants, who.id)
    assert set(grant.consented_claims) == {"given_name", "family_name", "birthdate"}
    assert grant.amr == ["pwd"]
    [interaction] = _rows(kit, interactions, who.id)
    assert interaction.completed_at is not None


def test_core_section_3_1_2_1_authorization_request_by_form_post(kit: IdpKit) -> None:
    who = citizen(kit)
    response = start(kit, authorization_params(), method="POST")
    assert _path(response) == "/login"
    consent = follow(kit, sign_in(kit, follow(kit, response), who.username))
    assert "code" in redirect_query(decide(kit, consent), CALLBACK)


def test_core_section_3_1_2_6_prompt_none_without_a_session_is_login_required(kit: IdpKit) -> None:
    with unchanged(kit):
        response = start(kit, authorization_params(extra={"prompt": "none"}))
    assert_redirect_error(
        response, CALLBACK, "login_required", "the citizen is not signed in (prompt=none)", STATE
    )


def test_core_section_3_1_2_6_prompt_none_without_consent_is_consent_required(kit: IdpKit) -> None:
    who = citizen(kit)
    authorize_code(kit, username=who.username)
    with unchanged(kit):
        response = start(kit, authorization_params(scope="openid email", extra={"prompt": "none"}))
    assert_redirect_error(
        response,
        CALLBACK,
        "consent_required",
        "the citizen has not agreed to share this information with this client",
        STATE,
    )


def test_core_section_3_1_2_6_prompt_none_with_session_and_consent_returns_a_code(kit: IdpKit) -> None:
    who = citizen(kit)
    authorize_code(kit, username=who.username, scope="openid profile")
    response = start(kit, authorization_params(scope="openid profile", extra={"prompt": "none"}))
    query = redirect_query(response, CALLBACK)
    assert set(query) == {"code", "state", "iss"}
    assert len(_rows(kit, sessions, who.id)) == 1


def test_core_section_3_1_2_4_remembered_consent_skips_the_consent_page(kit: IdpKit) -> None:
    who = citizen(kit)
    authorize_code(kit, username=who.username, scope="openid profile email")
    response = start(kit, authorization_params(scope="openid email"))
    assert "code" in redirect_query(response, CALLBACK)


def test_core_section_3_1_2_4_consent_is_asked_again_for_more_information(kit: IdpKit) -> None:
    who = citizen(kit)
    authorize_code(kit, username=who.username, scope="openid profile")
    response = start(kit, authorization_params(scope="openid profile phone"))
    consent = follow(kit, response)
    rows = page(consent).one(id="claims").all("div", class_="govuk-summary-list__row")
    assert [row.attrs["data-claim"] for row in rows] == [
        "given_name",
        "family_name",
        "birthdate",
        "phone_number",
        "phone_number_verified",
    ]


def test_core_section_3_1_2_1_prompt_consent_asks_again(kit: IdpKit) -> None:
    who = citizen(kit)
    authorize_code(kit, username=who.username, scope="openid profile")
    response = start(kit, authorization_params(scope="openid profile", extra={"prompt": "consent"}))
    assert _path(response) == "/consent"


def test_core_section_3_1_2_1_prompt_login_signs_in_again(kit: IdpKit) -> None:
    who = citizen(kit)
    authorize_code(kit, username=who.username)
    for prompt in ("login", "select_account"):
        response = start(kit, authorization_params(extra={"prompt": prompt}))
        assert _path(response) == "/login"


def test_core_section_3_1_2_1_max_age_exceeded_signs_in_again(kit: IdpKit) -> None:
    who = citizen(kit)
    authorize_code(kit, username=who.username)
    kit.advance(120)
    assert "code" in redirect_query(start(kit, authorization_params(extra={"max_age": "300"})), CALLBACK)
    response = start(kit, authorization_params(extra={"max_age": "60"}))
    assert _path(response) == "/login"
    assert "code" in redirect_query(sign_in(kit, follow(kit, response), who.username), CALLBACK)
    assert sorted(g.auth_time for g in _rows(kit, grants, who.id)) == [kit.now() - 120] * 2 + [kit.now()]


def test_core_section_3_1_2_6_prompt_none_with_max_age_exceeded_is_login_required(kit: IdpKit) -> None:
    who = citizen(kit)
    authorize_code(kit, username=who.username)
    kit.advance(120)
    with unchanged(kit):
        response = start(kit, authorization_params(extra={"prompt": "none", "max_age": "60"}))
    assert_redirect_error(
        response, CALLBACK, "login_required", "the citizen is not signed in (prompt=none)", STATE
    )


def test_core_section_3_1_2_1_login_hint_fills_in_the_username(kit: IdpKit) -> None:
    response = follow(kit, start(kit, authorization_params(extra={"login_hint": "ann@example.org"})))
    assert page(response).one("input", id="username").attrs["value"] == "ann@example.org"


def test_unmet_authentication_requirements_section_2_vector_beyond_the_account_offers_a_step_up(
    kit: IdpKit,
) -> None:
    """RFC 8485 §6.1: the citizen is offered to prove more (``test_step_up``); nothing is issued yet."""
    who = citizen(kit)
    response = follow(kit, start(kit, authorization_params(vtr=["Cl.Cm.P2", "Cl.P1"])))
    answer = sign_in(kit, response, who.username)
    assert _path(answer) == "/step-up"
    assert _rows(kit, grants, who.id) == []
    [interaction] = _rows(kit, interactions, who.id)
    assert interaction.completed_at is None


def test_unmet_authentication_requirements_with_a_session_offers_a_step_up(kit: IdpKit) -> None:
    who = citizen(kit)
    authorize_code(kit, username=who.username)
    response = start(kit, authorization_params(vtr=["P2.Cl"]))
    assert _path(response) == "/step-up"
    assert sorted(row.completed_at is None for row in _rows(kit, interactions, who.id)) == [False, True]


def test_unmet_authentication_requirements_prompt_none_answers_at_once_and_nothing_is_written(
    kit: IdpKit,
) -> None:
    who = citizen(kit)
    authorize_code(kit, username=who.username)
    with unchanged(kit):
        response = start(kit, authorization_params(vtr=["P2.Cl"], extra={"prompt": "none"}))
    assert_redirect_error(
        response,
        CALLBACK,
        "unmet_authentication_requirements",
        "the requested vectors need identity confidence or a credential this account has not reached "
        "(identity confidence reached: none; credential: Cl)",
        STATE,
    )


def test_rfc8485_section_6_1_met_vector_and_acr_values_are_granted(kit: IdpKit) -> None:
    who = citizen(kit)
    authorize_code(
        kit, username=who.username, vtr=["Cl.Cm", "Cl"], extra={"acr_values": "urn:ukid:gpg45:low"}
    )
    [grant] = _rows(kit, grants, who.id)
    assert grant.vot == "Cl"
    assert grant.acr == "urn:ukid:gpg45:none"


def test_core_section_3_1_2_3_sign_in_starts_a_new_session_and_ends_the_old(kit: IdpKit) -> None:
    who = citizen(kit)
    authorize_code(kit, username=who.username)
    first = kit.client.cookies.get("ukid_idp_session")
    authorize_code(kit, username=who.username, extra={"prompt": "login"})
    second = kit.client.cookies.get("ukid_idp_session")
    assert first and second and first != second
    ended = [row for row in _rows(kit, sessions, who.id) if row.ended_at is not None]
    assert len(ended) == 1
