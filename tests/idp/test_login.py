"""The sign-in page (OpenID Connect Core 1.0 §3.1.2.3): CSRF-protected form bound to the browser and
the interaction, one generic message for every failed sign-in, a simple lockout, security headers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.responses import Response

from federation.keys import KeyStore, public_jwk
from idp.core.config import IdpConfig
from idp.endpoints._pages import CookiePolicy
from tests.idp.flows import (
    assert_problem_page,
    authorization_params,
    citizen,
    follow,
    form_fields,
    redirect_query,
    shared_kit,
    sign_in,
    start,
)
from tests.idp.idpkit import JWT_CLIENT, IdpKit, client_key, idp_kit, unchanged
from tests.trust_registry.htmlpage import page

CALLBACK = "https://static.example/callback"
WRONG = "Enter a correct username and password"


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


def _login_page(kit: IdpKit, **extra: str) -> httpx.Response:
    response = follow(kit, start(kit, authorization_params(extra=extra)))
    assert response.status_code == 200, response.text
    return response


def _failed(response: httpx.Response) -> None:
    doc = page(response)
    assert doc.one(id="login-error").text() == WRONG
    assert doc.one("h1").text() == "Sign in"


def test_csrf_login_without_token_is_refused_and_changes_nothing(kit: IdpKit) -> None:
    who = citizen(kit)
    fields = form_fields(_login_page(kit))
    with unchanged(kit):
        response = kit.client.post(
            "/login",
            data={"interaction": fields["interaction"], "username": who.username, "password": "wrong"},
            follow_redirects=False,
        )
    assert_problem_page(response, "csrf")


def test_csrf_login_with_another_interactions_token_is_refused(kit: IdpKit) -> None:
    who = citizen(kit)
    first = form_fields(_login_page(kit))
    second = form_fields(_login_page(kit))
    data = {"interaction": first["interaction"], "csrf_token": second["csrf_token"], "username": who.username}
    with unchanged(kit):
        response = kit.client.post("/login", data={**data, "password": "wrong"}, follow_redirects=False)
    assert_problem_page(response, "csrf")


def test_csrf_login_from_another_browser_is_refused(kit: IdpKit) -> None:
    who = citizen(kit)
    login_page = _login_page(kit)
    kit.client.cookies.clear()
    with unchanged(kit):
        response = sign_in(kit, login_page, who.username)
    assert_problem_page(response, "csrf")


def test_login_page_of_another_browser_is_refused(kit: IdpKit) -> None:
    location = start(kit, authorization_params()).headers["location"]
    kit.client.cookies.clear()
    with unchanged(kit):
        response = kit.client.get(location)
    assert_problem_page(response, "other_browser")


def test_unknown_interaction_is_refused(kit: IdpKit) -> None:
    with unchanged(kit):
        response = kit.client.get("/login?interaction=nothing")
    assert_problem_page(response, "expired")


def test_expired_interaction_is_refused(kit: IdpKit) -> None:
    who = citizen(kit)
    login_page = _login_page(kit)
    kit.advance(1801)
    with unchanged(kit):
        response = sign_in(kit, login_page, who.username)
    assert_problem_page(response, "expired")


def test_login_form_that_is_not_a_form_is_refused(kit: IdpKit) -> None:
    with unchanged(kit):
        response = kit.client.post("/login", json={"username": "x"})
    assert_problem_page(response, "form")


def test_wrong_password_shows_the_generic_message_and_counts_a_failure(kit: IdpKit) -> None:
    who = citizen(kit)
    response = sign_in(kit, _login_page(kit), who.username, "not the password")
    _failed(response)
    assert page(response).one("input", id="username").attrs["value"] == who.username
    found = kit.services.accounts.by_id(who.id)
    assert found is not None
    assert found.failed_logins == 1


def test_unknown_username_shows_the_same_message_and_changes_nothing(kit: IdpKit) -> None:
    login_page = _login_page(kit)
    with unchanged(kit):
        response = sign_in(kit, login_page, "nobody@example.org", "whatever")
    _failed(response)


def test_account_is_locked_after_five_failures(kit: IdpKit) -> None:
    who = citizen(kit)
    login_page = _login_page(kit)
    for _attempt in range(5):
        _failed(sign_in(kit, login_page, who.username, "guess"))
    locked = kit.services.accounts.by_id(who.id)
    assert locked is not None
    assert locked.locked_until == kit.now() + 15 * 60
    _failed(sign_in(kit, login_page, who.username))  # the right password, but locked: same message
    kit.advance(15 * 60 + 1)
    login_page = _login_page(kit)
    answer = sign_in(kit, login_page, who.username)
    assert answer.headers["location"].startswith("/consent?interaction=")
    unlocked = kit.services.accounts.by_id(who.id)
    assert unlocked is not None
    assert (unlocked.failed_logins, unlocked.locked_until) == (0, None)


def test_username_is_case_insensitive(kit: IdpKit) -> None:
    who = citizen(kit)
    answer = sign_in(kit, _login_page(kit), who.username.upper())
    assert answer.headers["location"].startswith("/consent?interaction=")


def test_login_page_security_headers(kit: IdpKit) -> None:
    response = _login_page(kit)
    doc = page(response)
    nonce = doc.all("script")[0].attrs["nonce"]
    policy = response.headers["content-security-policy"]
    assert f"script-src 'self' 'nonce-{nonce}';" in policy
    assert "form-action 'self' https://static.example;" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    labels = {label.attrs["for"] for label in doc.all("label")}
    assert {"username", "password"} <= labels
    assert doc.one(id="password-reset").text().startswith("Password reset is not available")


def test_cookies_are_httponly_samesite_lax_and_not_secure_in_dev(kit: IdpKit) -> None:
    who = citizen(kit)
    first = start(kit, authorization_params())
    [browser] = first.headers.get_list("set-cookie")
    answer = sign_in(kit, follow(kit, first), who.username)
    [session] = answer.headers.get_list("set-cookie")
    for cookie, name in ((browser, "ukid_idp_browser"), (session, "ukid_idp_session")):
        attributes = [part.strip().lower() for part in cookie.split(";")]
        assert attributes[0].startswith(f"{name}=")
        assert {"httponly", "samesite=lax", "path=/"} <= set(attributes)
        assert "secure" not in attributes


def test_core_section_3_1_2_1_ui_locales_cy_shows_the_welsh_page(kit: IdpKit) -> None:
    doc = page(_login_page(kit, ui_locales="fr-CA cy en"))
    assert doc.one("html").attrs["lang"] == "cy"
    assert doc.one("h1").text() == "Mewngofnodi"
    assert doc.one("button").text() == "Parhau"
    assert [label.text() for label in doc.all("label")] == ["Enw defnyddiwr", "Cyfrinair"]


def test_core_section_3_1_2_1_unsupported_ui_locales_fall_back_to_english(kit: IdpKit) -> None:
    doc = page(_login_page(kit, ui_locales="fr de"))
    assert doc.one("html").attrs["lang"] == "en"
    assert doc.one("h1").text() == "Sign in"


def test_completed_interaction_cannot_be_signed_in_again(kit: IdpKit) -> None:
    who = citizen(kit)
    login_page = _login_page(kit, prompt="login")
    consent = follow(kit, sign_in(kit, login_page, who.username))
    fields = form_fields(consent)
    assert "code" in redirect_query(
        kit.client.post("/consent", data={**fields, "decision": "agree"}, follow_redirects=False), CALLBACK
    )
    with unchanged(kit):
        response = sign_in(kit, login_page, who.username)
    assert_problem_page(response, "completed")


def test_cookies_are_secure_outside_dev(database_url: str, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    KeyStore(keys / "federation").generate("ES256")
    KeyStore(keys / "ES256").generate("ES256")
    clients = tmp_path / "production-clients.json"
    clients.write_text(
        json.dumps(
            {
                "clients": [
                    {
                        "client_id": JWT_CLIENT,
                        "organization_name": "Static JWT Services Ltd",
                        "redirect_uris": ["https://static-jwt.example/callback"],
                        "jwks": {"keys": [public_jwk(client_key(), "ES256")]},
                    }
                ]
            }
        )
    )
    overrides = {
        "environment": "test",
        "generate_keys": False,
        "keys_dir": keys,
        "id_token_algorithms": ["ES256"],
        "password_hashing": "standard",
        "pairwise_salt": "a-test-pairwise-salt-of-at-least-32-characters",
        "static_clients_file": clients,
    }
    with idp_kit(database_url, tmp_path, **overrides) as production:
        response = start(production, authorization_params(client_id=JWT_CLIENT))
    [cookie] = response.headers.get_list("set-cookie")
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes


def test_cookies_are_scoped_to_the_issuer_path() -> None:
    config = IdpConfig(issuer="https://gov.example/idp", organization_name="IdP", development=False)
    policy = CookiePolicy.of(config)
    response = Response()
    policy.set(response, "ukid_idp_session", "value", 60)
    attributes = {part.strip().lower() for part in response.headers["set-cookie"].split(";")}
    assert {"secure", "httponly", "samesite=lax", "path=/idp", "max-age=60"} <= attributes


def test_pages_serve_govuk_frontend_under_the_issuer_path(database_url: str, tmp_path: Path) -> None:
    dist = tmp_path / "govuk"
    (dist / "assets" / "fonts").mkdir(parents=True)
    (dist / "govuk-frontend.min.css").write_text("@font-face{src:url(/assets/fonts/x.woff2)}")
    (dist / "govuk-frontend.min.js").write_text("export function initAll(){}")
    (dist / "assets" / "fonts" / "x.woff2").write_bytes(b"font")
    issuer = "https://gov.example/idp"
    with idp_kit(database_url, tmp_path, issuer=issuer, frontend_dir=dist) as kit:
        at = "https://gov.example"
        response = kit.client.get(
            f"{at}/idp/authorize", params=authorization_params(), follow_redirects=False
        )
        assert response.headers["location"].startswith("/idp/login?interaction=")
        [cookie] = response.headers.get_list("set-cookie")
        assert "path=/idp" in cookie.lower()
        login_page = kit.client.get(at + response.headers["location"])
        links = [link.attrs["href"] for link in page(login_page).all("link", rel="stylesheet")]
        assert links == ["/idp/assets/govuk-frontend.min.css", "/idp/assets/idp/idp.css"]
        assert page(login_page).one("form").attrs["action"] == "/idp/login"
        stylesheet = kit.client.get(f"{at}/idp/assets/govuk-frontend.min.css")
        assert stylesheet.text == "@font-face{src:url(/idp/assets/fonts/x.woff2)}"
        assert kit.client.get(f"{at}/idp/assets/fonts/x.woff2").content == b"font"
        assert kit.client.get(f"{at}/idp/assets/idp/init.js").status_code == 200
        assert kit.client.get(f"{at}/idp/assets/idp/idp.css").headers["content-type"].startswith("text/css")


def _normalised(response: httpx.Response) -> str:
    """The page with everything that differs per request or per username blanked."""
    return re.sub(r'(value|nonce)="[^"]*"', r'\1=""', response.text)


def test_lockout_ends_and_the_count_starts_again_from_zero(kit: IdpKit) -> None:
    who = citizen(kit)
    login_page = _login_page(kit)
    for _attempt in range(5):
        _failed(sign_in(kit, login_page, who.username, "guess"))
    kit.advance(15 * 60 + 1)
    login_page = _login_page(kit)
    _failed(sign_in(kit, login_page, who.username, "guess"))
    found = kit.services.accounts.by_id(who.id)
    assert found is not None
    assert (found.failed_logins, found.locked_until) == (1, None)  # not locked again by one failure
    for _attempt in range(3):
        _failed(sign_in(kit, login_page, who.username, "guess"))
    assert sign_in(kit, login_page, who.username).headers["location"].startswith("/consent?interaction=")


def test_lockout_failures_while_locked_are_not_counted_and_do_not_extend_the_lock(kit: IdpKit) -> None:
    who = citizen(kit)
    login_page = _login_page(kit)
    for _attempt in range(5):
        _failed(sign_in(kit, login_page, who.username, "guess"))
    kit.advance(10 * 60)
    with unchanged(kit):
        for _attempt in range(3):
            _failed(sign_in(kit, login_page, who.username, "guess"))
    kit.advance(5 * 60 + 1)
    login_page = _login_page(kit)
    assert sign_in(kit, login_page, who.username).headers["location"].startswith("/consent?interaction=")


def test_lockout_locked_account_answer_does_not_reveal_that_the_account_exists(kit: IdpKit) -> None:
    who = citizen(kit)
    login_page = _login_page(kit)
    for _attempt in range(5):
        _failed(sign_in(kit, login_page, who.username, "guess"))
    with unchanged(kit):
        locked = sign_in(kit, login_page, who.username)  # the right password
        unknown = sign_in(kit, login_page, "nobody@example.org", "guess")
        wrong = sign_in(kit, login_page, who.username, "guess")
    assert locked.status_code == unknown.status_code == wrong.status_code == 200
    assert _normalised(locked) == _normalised(unknown) == _normalised(wrong)
    _failed(locked)
