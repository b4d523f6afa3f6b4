"""The authorization's sign-in with a second factor (OpenID Connect Core §3.1.2.3, RFC 6238):
after the right password an enrolled citizen must enter a code on ``/login/totp`` (CSRF-protected,
bound to the interaction and the browser) before a session exists; the session's credential is then
``Cl.Cm`` and the ID token's ``vot`` and ``amr`` say so (RFC 8485 §5, RFC 8176)."""

from __future__ import annotations

import pytest

from idp.core import totp
from idp.core.interaction import csrf_token
from tests.idp.flows import (
    assert_problem_page,
    authorization_params,
    citizen,
    follow,
    form_fields,
    sign_in,
    start,
)
from tests.idp.idpkit import IdpKit, unchanged
from tests.idp.securitykit import (
    CALLBACK,
    CODE_LOCKED,
    CODE_MISSING,
    CODE_REUSED,
    CODE_WRONG,
    RECOVERY_USED,
    WRONG_PASSWORD,
    account_area_code,
    account_area_sign_in,
    authorize,
    code,
    code_after_consent,
    enrol,
    error_text,
    module_kit,
    next_code,
    send_code,
    session_count,
    to_code_page,
)
from tests.idp.tokenkit import exchange, verify_id_token
from tests.trust_registry.htmlpage import page

shared = module_kit()


@pytest.fixture
def kit(shared: IdpKit) -> IdpKit:
    shared.client.cookies.clear()
    return shared


def _wrong(kit: IdpKit, secret: str) -> str:
    window = {code(kit, secret, offset) for offset in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)


def test_rfc8485_enrolled_citizen_signs_in_with_a_code_and_the_id_token_says_cl_cm(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    typed = next_code(kit, enrolled.secret)
    step = to_code_page(kit, enrolled.account.username)
    assert "ukid_idp_session" not in kit.client.cookies
    answer = send_code(kit, step.code_page, typed)
    authorization_code = code_after_consent(kit, answer)
    response = exchange(kit, authorization_code, verifier=step.verifier, redirect_uri=CALLBACK)
    assert response.status_code == 200, response.text
    claims = verify_id_token(kit, response.json()["id_token"])
    assert claims["vot"] == "Cl.Cm"
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["auth_time"] == kit.now()


def test_rfc8485_password_only_citizen_gets_cl(kit: IdpKit) -> None:
    who = citizen(kit)
    response, verifier = authorize(kit)
    answer = sign_in(kit, follow(kit, response), who.username)
    assert answer.headers["location"].startswith("/consent?interaction=")
    authorization_code = code_after_consent(kit, answer)
    claims = verify_id_token(kit, exchange(kit, authorization_code, verifier=verifier).json()["id_token"])
    assert (claims["vot"], claims["amr"]) == ("Cl", ["pwd"])


def test_rfc8485_vtr_cl_cm_from_a_citizen_without_a_second_factor_offers_to_set_it_up(kit: IdpKit) -> None:
    """RFC 8485 §6.1: the step-up page offers two-step sign-in (the whole journey: ``test_step_up``)."""
    who = citizen(kit)
    login = follow(kit, start(kit, authorization_params(vtr=["Cl.Cm"])))
    answer = sign_in(kit, login, who.username)
    assert answer.headers["location"].startswith("/step-up?interaction="), answer.headers["location"]
    assert page(follow(kit, answer)).one(id="remedy").attrs["data-remedy"] == "security"


def test_rfc8485_vtr_cl_cm_with_a_password_only_session_asks_an_enrolled_citizen_to_sign_in_again(
    kit: IdpKit,
) -> None:
    enrolled = enrol(kit)  # the browser keeps the account area's password-only session
    response, verifier = authorize(kit, vtr=["Cl.Cm"])
    assert response.headers["location"].startswith("/login?interaction=")
    answer = sign_in(kit, follow(kit, response), enrolled.account.username)
    assert answer.headers["location"].startswith("/login/totp?interaction=")
    authorization_code = code_after_consent(
        kit, send_code(kit, follow(kit, answer), next_code(kit, enrolled.secret))
    )
    claims = verify_id_token(kit, exchange(kit, authorization_code, verifier=verifier).json()["id_token"])
    assert claims["vot"] == "Cl.Cm"


def test_rfc6238_wrong_code_is_refused_and_counted(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    step = to_code_page(kit, enrolled.account.username)
    sessions = session_count(kit)
    response = send_code(kit, step.code_page, _wrong(kit, enrolled.secret))
    assert response.status_code == 200
    assert error_text(response) == CODE_WRONG
    assert page(response).one("h1").text() == "Enter your security code"
    assert session_count(kit) == sessions
    after = kit.services.accounts.by_id(enrolled.account.id)
    assert after is not None
    assert after.failed_logins == 1


def test_rfc6238_section_5_2_code_of_the_same_step_twice_is_refused_as_reused(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    typed = next_code(kit, enrolled.secret)
    first = to_code_page(kit, enrolled.account.username)
    assert send_code(kit, first.code_page, typed).headers["location"].startswith("/consent")
    second = to_code_page(kit, enrolled.account.username)
    sessions = session_count(kit)
    response = send_code(kit, second.code_page, typed)
    assert error_text(response) == CODE_REUSED
    assert session_count(kit) == sessions
    # a code of an earlier step than the last accepted (still inside the skew window) is refused too
    kit.advance(totp.STEP_SECONDS)
    later = code(kit, enrolled.secret)
    assert send_code(kit, to_code_page(kit, enrolled.account.username).code_page, later).status_code == 303
    earlier = code(kit, enrolled.secret, -1)
    assert error_text(send_code(kit, to_code_page(kit, enrolled.account.username).code_page, earlier)) == (
        CODE_REUSED
    )


def test_rfc6238_section_5_2_code_outside_the_skew_window_is_refused_as_expired(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    kit.advance(totp.STEP_SECONDS * 5)
    step = to_code_page(kit, enrolled.account.username)
    for offset in (-2, 2):
        response = send_code(kit, step.code_page, code(kit, enrolled.secret, offset))
        assert error_text(response) == CODE_WRONG
    after = kit.services.accounts.by_id(enrolled.account.id)
    assert after is not None
    assert after.failed_logins == 2
    accepted = send_code(kit, step.code_page, code(kit, enrolled.secret, 1))  # one step of skew is fine
    assert accepted.headers["location"].startswith("/consent?interaction=")


def test_nist_800_63b_recovery_code_signs_in_once(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    recovery = enrolled.recovery[3]
    step = to_code_page(kit, enrolled.account.username)
    authorization_code = code_after_consent(kit, send_code(kit, step.code_page, recovery))
    claims = verify_id_token(
        kit, exchange(kit, authorization_code, verifier=step.verifier).json()["id_token"]
    )
    assert claims["vot"] == "Cl.Cm"
    again = to_code_page(kit, enrolled.account.username)
    response = send_code(kit, again.code_page, recovery)
    assert error_text(response) == RECOVERY_USED
    left = kit.services.accounts.recovery_codes_left(enrolled.account.id)
    assert left == 9
    unknown = send_code(kit, again.code_page, "aaaa-bbbb-cccc")
    assert error_text(unknown) == CODE_WRONG


def test_empty_code_asks_for_one_and_changes_nothing(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    step = to_code_page(kit, enrolled.account.username)
    with unchanged(kit):
        response = send_code(kit, step.code_page, "")
    assert error_text(response) == CODE_MISSING


def test_csrf_code_form_without_a_valid_token_is_refused_and_changes_nothing(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    step = to_code_page(kit, enrolled.account.username)
    fields = form_fields(step.code_page)
    typed = next_code(kit, enrolled.secret)
    with unchanged(kit):
        missing = kit.client.post(
            "/login/totp", data={"interaction": fields["interaction"], "code": typed}, follow_redirects=False
        )
        forged = kit.client.post(
            "/login/totp",
            data={"interaction": fields["interaction"], "csrf_token": "x" * 43, "code": typed},
            follow_redirects=False,
        )
    assert_problem_page(missing, "csrf")
    assert_problem_page(forged, "csrf")


def test_code_step_is_bound_to_the_interaction_and_the_password(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    kit.client.cookies.clear()
    # a code page of an interaction whose password was not given: back to the sign-in, nothing written
    location = start(kit, authorization_params()).headers["location"]
    interaction = location.split("interaction=")[1]
    with unchanged(kit):
        shown = kit.client.get(f"/login/totp?interaction={interaction}", follow_redirects=False)
    assert shown.headers["location"] == f"/login?interaction={interaction}"
    # the password's cookie of one interaction does not open the code step of another
    step = to_code_page(kit, enrolled.account.username)
    other = start(kit, authorization_params()).headers["location"].split("interaction=")[1]
    fields = {**form_fields(step.code_page), "interaction": other}
    # the right CSRF token for the other interaction
    fields["csrf_token"] = csrf_token(
        kit.services.config.pairwise_salt, kit.client.cookies["ukid_idp_browser"], f"interaction:{other}"
    )
    with unchanged(kit):
        response = kit.client.post(
            "/login/totp", data={**fields, "code": next_code(kit, enrolled.secret)}, follow_redirects=False
        )
    doc = assert_problem_page(response, "second_step")
    assert doc.one(id="problem").text() == (
        "The time to enter your security code has run out, or you signed in in another window. Sign in again."
    )


def test_code_step_expires_five_minutes_after_the_password(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    step = to_code_page(kit, enrolled.account.username)
    kit.advance(5 * 60 + 1)
    with unchanged(kit):
        response = send_code(kit, step.code_page, code(kit, enrolled.secret))
    assert_problem_page(response, "second_step")


def test_code_failures_count_towards_the_lock_and_a_right_password_does_not_clear_them(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    wrong = _wrong(kit, enrolled.secret)
    for _attempt in range(4):
        step = to_code_page(kit, enrolled.account.username)  # the right password each time
        assert error_text(send_code(kit, step.code_page, wrong)) == CODE_WRONG
    counted = kit.services.accounts.by_id(enrolled.account.id)
    assert counted is not None
    assert (counted.failed_logins, counted.locked_until) == (4, None)
    step = to_code_page(kit, enrolled.account.username)
    assert error_text(send_code(kit, step.code_page, wrong)) == CODE_WRONG
    locked = kit.services.accounts.by_id(enrolled.account.id)
    assert locked is not None
    assert locked.locked_until == kit.now() + 15 * 60
    with unchanged(kit):
        refused = send_code(kit, step.code_page, next_code(kit, enrolled.secret))
    assert error_text(refused) == CODE_LOCKED
    # while locked, the right password gets the generic answer
    kit.client.cookies.clear()
    login = follow(kit, start(kit, authorization_params()))
    with unchanged(kit):
        answer = sign_in(kit, login, enrolled.account.username)
    assert page(answer).one(id="login-error").text() == WRONG_PASSWORD
    # after the lock, a right password and code sign in and clear the count
    kit.advance(15 * 60)
    step = to_code_page(kit, enrolled.account.username)
    assert send_code(kit, step.code_page, next_code(kit, enrolled.secret)).status_code == 303
    cleared = kit.services.accounts.by_id(enrolled.account.id)
    assert cleared is not None
    assert (cleared.failed_logins, cleared.locked_until) == (0, None)


def test_code_page_says_that_reset_is_not_available(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    step = to_code_page(kit, enrolled.account.username)
    assert (
        page(step.code_page)
        .one(id="password-reset")
        .text()
        .startswith("Turning off two-step sign-in without a code, and password reset, are not available")
    )
    assert "form-action 'self' https://static.example;" in step.code_page.headers["content-security-policy"]


def test_account_area_session_with_a_code_is_cl_cm(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    kit.client.cookies.clear()
    answer = account_area_code(
        kit, account_area_sign_in(kit, enrolled.account.username), next_code(kit, enrolled.secret)
    )
    assert answer.headers["location"] == "/account/security"
    found = kit.services.interactions.live_session(kit.client.cookies["ukid_idp_session"])
    assert found is not None
    assert (found[0].credential, found[0].amr) == ("Cl.Cm", ("pwd", "otp", "mfa"))
