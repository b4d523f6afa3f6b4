"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2-§3): the hint must be an ID token
this provider signed (an expired one is fine); ``post_logout_redirect_uri`` must be registered
exactly (an error page otherwise: never an open redirect); without a hint naming the signed-in
citizen, the citizen confirms in a CSRF-protected form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from federation.jose import sign_jwt
from federation.keys import generate_key
from idp.core.id_token import pairwise_subject
from idp.store.accounts import Account
from tests.idp.flows import (
    assert_problem_page,
    authorize_code,
    citizen,
    form_fields,
    redirect_query,
    shared_kit,
)
from tests.idp.idpkit import ISSUER, SECRET_CLIENT, IdpKit, unchanged
from tests.trust_registry.htmlpage import page

SIGNED_OUT = "https://static.example/signed-out"


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


def _signed_in(kit: IdpKit) -> Account:
    who = citizen(kit)
    authorize_code(kit, username=who.username)
    return who


def _session(kit: IdpKit) -> str:
    session_id = kit.client.cookies.get("ukid_idp_session")
    assert isinstance(session_id, str)
    return session_id


def _claims(kit: IdpKit, who: Account, **changes: Any) -> dict[str, Any]:
    claims = {
        "iss": ISSUER,
        "sub": pairwise_subject(kit.services.config.pairwise_salt, "static.example", who.id),
        "aud": SECRET_CLIENT,
        "iat": kit.now() - 60,
        "exp": kit.now() + 240,
    }
    claims.update(changes)
    return claims


def _hint(kit: IdpKit, who: Account, **changes: Any) -> str:
    return kit.services.protocol_keys.sign(_claims(kit, who, **changes))


def _live(kit: IdpKit, session_id: str) -> bool:
    return kit.services.interactions.session(session_id) is not None


def _logout(kit: IdpKit, **params: str) -> httpx.Response:
    response: httpx.Response = kit.client.get("/logout", params=params, follow_redirects=False)
    return response


def test_rp_initiated_logout_section_2_hint_ends_the_session_and_redirects_with_state(kit: IdpKit) -> None:
    who = _signed_in(kit)
    sid = _session(kit)
    response = _logout(kit, id_token_hint=_hint(kit, who), post_logout_redirect_uri=SIGNED_OUT, state="s-1")
    assert redirect_query(response, SIGNED_OUT) == {"state": "s-1"}
    assert not _live(kit, sid)
    assert 'ukid_idp_session=""' in response.headers["set-cookie"]


def test_rp_initiated_logout_section_2_expired_hint_is_accepted(kit: IdpKit) -> None:
    who = _signed_in(kit)
    sid = _session(kit)
    hint = _hint(kit, who, iat=kit.now() - 7200, exp=kit.now() - 3600)
    response = _logout(kit, id_token_hint=hint, client_id=SECRET_CLIENT, post_logout_redirect_uri=SIGNED_OUT)
    assert redirect_query(response, SIGNED_OUT) == {}
    assert not _live(kit, sid)


def test_rp_initiated_logout_section_3_unregistered_redirect_is_an_error_page(kit: IdpKit) -> None:
    who = _signed_in(kit)
    sid = _session(kit)
    for target in (
        "https://evil.example/",
        "https://static.example/signed-out/",
        "https://static.example/callback",
    ):
        with unchanged(kit):
            response = _logout(kit, id_token_hint=_hint(kit, who), post_logout_redirect_uri=target)
        doc = assert_problem_page(response, "logout")
        assert (
            doc.one(id="problem").text() == "The post_logout_redirect_uri is not registered for this client."
        )
    assert _live(kit, sid)


def test_rp_initiated_logout_section_3_redirect_without_a_client_is_an_error_page(kit: IdpKit) -> None:
    _signed_in(kit)
    with unchanged(kit):
        response = _logout(kit, post_logout_redirect_uri=SIGNED_OUT)
    doc = assert_problem_page(response, "logout")
    assert doc.one(id="problem").text() == (
        "A post_logout_redirect_uri needs the client: send client_id or id_token_hint."
    )


def test_rp_initiated_logout_section_2_hint_signed_by_another_key_is_refused(kit: IdpKit) -> None:
    who = _signed_in(kit)
    sid = _session(kit)
    forged = sign_jwt(_claims(kit, who), generate_key("ES256"), "JWT")
    with unchanged(kit):
        response = _logout(kit, id_token_hint=forged, post_logout_redirect_uri=SIGNED_OUT)
    doc = assert_problem_page(response, "logout")
    assert (
        doc.one(id="problem")
        .text()
        .startswith("The id_token_hint is not an ID token issued by this provider")
    )
    assert _live(kit, sid)


def test_rp_initiated_logout_section_2_hint_of_another_issuer_is_refused(kit: IdpKit) -> None:
    who = _signed_in(kit)
    with unchanged(kit):
        response = _logout(kit, id_token_hint=_hint(kit, who, iss="https://other.example"))
    doc = assert_problem_page(response, "logout")
    assert doc.one(id="problem").text() == "The id_token_hint was not issued by this provider."


def test_rp_initiated_logout_section_2_client_id_must_be_the_hints_audience(kit: IdpKit) -> None:
    who = _signed_in(kit)
    with unchanged(kit):
        response = _logout(kit, id_token_hint=_hint(kit, who), client_id="https://static-jwt.example/app")
    doc = assert_problem_page(response, "logout")
    assert doc.one(id="problem").text() == "The client_id is not the audience of the id_token_hint."


def test_rp_initiated_logout_section_2_without_hint_the_citizen_confirms(kit: IdpKit) -> None:
    _signed_in(kit)
    sid = _session(kit)
    with unchanged(kit):
        response = _logout(kit, client_id=SECRET_CLIENT, post_logout_redirect_uri=SIGNED_OUT, state="s-2")
    doc = page(response)
    assert doc.one("h1").text() == "Sign out"
    assert "form-action 'self' https://static.example;" in response.headers["content-security-policy"]
    fields = form_fields(response)
    assert set(fields) == {"csrf_token", "client_id", "post_logout_redirect_uri", "state"}
    answer = kit.client.post("/logout", data=fields, follow_redirects=False)
    assert redirect_query(answer, SIGNED_OUT) == {"state": "s-2"}
    assert not _live(kit, sid)


def test_rp_initiated_logout_section_2_hint_for_another_citizen_asks_to_confirm(kit: IdpKit) -> None:
    other = citizen(kit)
    _signed_in(kit)
    sid = _session(kit)
    with unchanged(kit):
        response = _logout(kit, id_token_hint=_hint(kit, other), post_logout_redirect_uri=SIGNED_OUT)
    assert page(response).one("h1").text() == "Sign out"
    assert _live(kit, sid)


def test_csrf_logout_confirmation_without_the_right_token_is_refused(kit: IdpKit) -> None:
    _signed_in(kit)
    sid = _session(kit)
    fields = form_fields(_logout(kit))
    for token in ("forged-token", fields["csrf_token"][:-1] + "x"):
        with unchanged(kit):
            response = kit.client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert_problem_page(response, "csrf")
    assert _live(kit, sid)


def test_rp_initiated_logout_section_2_without_a_session_shows_signed_out(kit: IdpKit) -> None:
    with unchanged(kit):
        response = _logout(kit, ui_locales="cy")
    doc = page(response)
    assert doc.one("h1").text() == "Rydych wedi allgofnodi"
    assert response.headers["x-frame-options"] == "DENY"
