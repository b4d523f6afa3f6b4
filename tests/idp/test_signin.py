"""The account area's sign-in (``/signin?next=``): the same session as an authorization's sign-in,
``next`` only ever a page of this provider (no open redirect), CSRF-protected forms, the generic
answer for every failed password, and the code step for a citizen with two-step sign-in."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.idp.flows import assert_problem_page, citizen
from tests.idp.idpkit import PASSWORD, IdpKit, unchanged
from tests.idp.securitykit import (
    CODE_WRONG,
    WRONG_PASSWORD,
    account_area_code,
    account_area_sign_in,
    enrol,
    error_text,
    form_of,
    module_kit,
    next_code,
)
from tests.trust_registry.htmlpage import page

shared = module_kit()
NEXT_PROBLEM = "The page to go back to after signing in is not a page of this service."


@pytest.fixture
def kit(shared: IdpKit) -> IdpKit:
    shared.client.cookies.clear()
    return shared


def _session(kit: IdpKit) -> tuple[str, tuple[str, ...]]:
    found = kit.services.interactions.live_session(kit.client.cookies["ukid_idp_session"])
    assert found is not None
    return found[0].credential, found[0].amr


def test_signin_with_a_password_goes_to_next_with_a_cl_session(kit: IdpKit) -> None:
    who = citizen(kit)
    answer = account_area_sign_in(kit, who.username, target="/account?tab=evidence")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account?tab=evidence"
    assert _session(kit) == ("Cl", ("pwd",))


def test_signin_without_next_goes_to_the_account_page(kit: IdpKit) -> None:
    who = citizen(kit)
    form = kit.client.get("/signin")
    assert form_of(form, "/signin")["next"] == "/account"
    assert page(form).one(id="password-reset").text().startswith("Password reset is not available")
    assert page(form).one(id="sign-in-lead").text() == (
        f"Sign in to your account with {kit.services.config.organization_name}."
    )
    data = {**form_of(form, "/signin"), "username": who.username, "password": PASSWORD}
    answer = kit.client.post("/signin", data=data, follow_redirects=False)
    assert answer.headers["location"] == "/account"


def test_signin_ends_the_browsers_previous_session(kit: IdpKit) -> None:
    who = citizen(kit)
    account_area_sign_in(kit, who.username)
    first = kit.client.cookies["ukid_idp_session"]
    account_area_sign_in(kit, who.username)
    assert kit.client.cookies["ukid_idp_session"] != first
    assert kit.services.interactions.live_session(first) is None


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/account",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example/account",
        "/account/../../elsewhere",
        "/account/%2e%2e/%2e%2e/elsewhere",
        "/%2fevil.example",
        "https://idp.example/account",
    ],
)
def test_signin_next_off_site_is_refused_and_never_redirected_to(kit: IdpKit, target: str) -> None:
    who = citizen(kit)
    with unchanged(kit):
        shown = kit.client.get(f"/signin?next={quote(target, safe='')}", follow_redirects=False)
    doc = assert_problem_page(shown, "next")
    assert doc.one(id="problem").text() == NEXT_PROBLEM
    form = form_of(kit.client.get("/signin"), "/signin")
    with unchanged(kit):
        posted = kit.client.post(
            "/signin",
            data={**form, "next": target, "username": who.username, "password": PASSWORD},
            follow_redirects=False,
        )
    assert_problem_page(posted, "next")
    assert "ukid_idp_session" not in kit.client.cookies


def test_csrf_signin_without_a_valid_token_is_refused(kit: IdpKit) -> None:
    who = citizen(kit)
    kit.client.get("/signin")  # the browser cookie
    data = {"next": "/account", "username": who.username, "password": PASSWORD}
    with unchanged(kit):
        missing = kit.client.post("/signin", data=data, follow_redirects=False)
        forged = kit.client.post("/signin", data={**data, "csrf_token": "x" * 43}, follow_redirects=False)
    assert_problem_page(missing, "csrf")
    assert_problem_page(forged, "csrf")


def test_signin_wrong_password_and_unknown_username_get_the_same_answer(kit: IdpKit) -> None:
    who = citizen(kit)
    wrong = account_area_sign_in(kit, who.username, "not the password")
    with unchanged(kit):
        unknown = account_area_sign_in(kit, "nobody@example.org", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert page(response).one(id="login-error").text() == WRONG_PASSWORD
    found = kit.services.accounts.by_id(who.id)
    assert found is not None
    assert found.failed_logins == 1


def test_signin_with_two_step_sign_in_needs_the_code(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    kit.client.cookies.clear()
    after_password = account_area_sign_in(kit, enrolled.account.username, target="/account")
    assert after_password.headers["location"] == "/signin/totp?next=%2Faccount"
    assert "ukid_idp_session" not in kit.client.cookies
    wrong = account_area_code(
        kit, after_password, "000000" if next_code(kit, enrolled.secret) != "000000" else "1"
    )
    assert error_text(wrong) == CODE_WRONG
    answer = account_area_code(kit, after_password, next_code(kit, enrolled.secret))
    assert answer.headers["location"] == "/account"
    assert _session(kit) == ("Cl.Cm", ("pwd", "otp", "mfa"))


def test_signin_code_page_without_the_password_goes_back_to_the_sign_in(kit: IdpKit) -> None:
    with unchanged(kit):
        response = kit.client.get("/signin/totp?next=%2Faccount", follow_redirects=False)
    assert response.headers["location"] == "/signin?next=%2Faccount"


def test_csrf_signin_code_without_a_valid_token_is_refused(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    kit.client.cookies.clear()
    account_area_sign_in(kit, enrolled.account.username)
    typed = next_code(kit, enrolled.secret)
    with unchanged(kit):
        response = kit.client.post(
            "/signin/totp", data={"next": "/account", "code": typed}, follow_redirects=False
        )
    assert_problem_page(response, "csrf")
