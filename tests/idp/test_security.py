"""Two-step sign-in in the account area (RFC 6238): set up with a QR code and the key in text, only a
confirmed secret counts, recovery codes shown once and stored as SHA-256, turning it off needs a
current code, and every form is CSRF-protected."""

from __future__ import annotations

import httpx
import pytest

from idp.core import totp
from idp.store import digest
from tests.idp.flows import assert_problem_page, citizen, follow
from tests.idp.idpkit import IdpKit, unchanged
from tests.idp.securitykit import (
    CODE_MISSING,
    CODE_REUSED,
    CODE_WRONG,
    CONFIRM_WRONG,
    RECOVERY_USED,
    account_area_sign_in,
    code,
    enrol,
    error_text,
    form_of,
    heading,
    module_kit,
    next_code,
    setup_page,
    shown_secret,
)
from tests.trust_registry.htmlpage import page

shared = module_kit()


@pytest.fixture
def kit(shared: IdpKit) -> IdpKit:
    shared.client.cookies.clear()
    return shared


def _remove(kit: IdpKit, typed: str) -> httpx.Response:
    overview = kit.client.get("/account/security")
    data = {**form_of(overview, "/account/security/remove"), "code": typed}
    response: httpx.Response = kit.client.post("/account/security/remove", data=data, follow_redirects=False)
    return response


def test_security_page_needs_a_sign_in_and_comes_back_to_it(kit: IdpKit) -> None:
    with unchanged(kit):
        response = kit.client.get("/account/security", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Faccount%2Fsecurity"


def test_rfc6238_setup_shows_an_inline_qr_code_and_the_key_and_counts_only_once_confirmed(
    kit: IdpKit,
) -> None:
    who = citizen(kit)
    assert account_area_sign_in(kit, who.username).status_code == 303
    overview = kit.client.get("/account/security")
    assert page(overview).one(id="totp-state").attrs["data-state"] == "off"
    setup = setup_page(kit)
    secret = shown_secret(setup)
    held = kit.services.accounts.by_id(who.id)
    assert held is not None
    assert (held.totp_secret, held.totp_confirmed_at, held.second_factor) == (secret, None, False)
    qr = page(setup).one(id="qr")
    svg = qr.one("svg")
    assert svg.attrs["role"] == "img"
    assert svg.one("title").text() == "QR code for setting up two-step sign-in"
    assert not page(setup).all("img")  # inline SVG: no image request, nothing for the CSP to allow
    assert "img-src 'self' data:;" in setup.headers["content-security-policy"]
    assert setup.headers["cache-control"] == "no-store"
    # the same pending secret is shown again until it is confirmed (a GET changes nothing)
    with unchanged(kit):
        again = kit.client.get("/account/security")
    assert shown_secret(again) == secret


def test_rfc6238_confirm_with_a_wrong_code_is_refused_and_changes_nothing(kit: IdpKit) -> None:
    who = citizen(kit)
    account_area_sign_in(kit, who.username)
    setup = setup_page(kit)
    secret = shown_secret(setup)
    wrong = f"{(int(code(kit, secret)) + 1) % 1_000_000:06d}"
    with unchanged(kit):
        response = kit.client.post(
            "/account/security/confirm",
            data={**form_of(setup, "/account/security/confirm"), "code": wrong},
            follow_redirects=False,
        )
    assert response.status_code == 200
    assert error_text(response) == CONFIRM_WRONG
    assert shown_secret(response) == secret


def test_rfc6238_confirm_shows_ten_recovery_codes_once_and_stores_only_their_digests(kit: IdpKit) -> None:
    who = citizen(kit)
    enrolled = enrol(kit, who)
    assert len(enrolled.recovery) == 10
    rows = kit.snapshot()["recovery_codes"]
    mine = sorted(row[1].strip("'") for row in rows if row[0] == repr(who.id))
    assert mine == sorted(digest(c.replace("-", "")) for c in enrolled.recovery)
    account = enrolled.account
    assert account.totp_confirmed_at == kit.now()
    assert account.totp_last_step == kit.now() // totp.STEP_SECONDS  # the confirming code is spent
    overview = kit.client.get("/account/security")
    doc = page(overview)
    assert doc.one(id="totp-state").attrs["data-state"] == "on"
    assert doc.one(id="recovery-left").text() == "Unused recovery codes: 10 of 10."
    assert not any(c in overview.text for c in enrolled.recovery)  # never shown again


def test_rfc6238_setup_needs_a_recent_sign_in(kit: IdpKit) -> None:
    who = citizen(kit)
    account_area_sign_in(kit, who.username)
    overview = kit.client.get("/account/security")
    kit.advance(15 * 60 + 1)
    with unchanged(kit):
        stale = kit.client.get("/account/security")
        response = kit.client.post(
            "/account/security/setup",
            data=form_of(overview, "/account/security/setup"),
            follow_redirects=False,
        )
    assert page(stale).one(id="stale").text().startswith("To change two-step sign-in, sign in again first")
    assert page(stale).one(id="sign-in-again").attrs["href"] == "/signin?next=%2Faccount%2Fsecurity"
    doc = assert_problem_page(response, "stale")
    assert doc.one(id="problem").text() == (
        "To change two-step sign-in, sign in again first: your sign-in was more than 15 minutes ago."
    )


@pytest.mark.parametrize("path", ["/account/security/setup", "/account/security/confirm"])
def test_csrf_security_forms_without_a_valid_token_are_refused(kit: IdpKit, path: str) -> None:
    who = citizen(kit)
    account_area_sign_in(kit, who.username)
    setup_page(kit)
    with unchanged(kit):
        missing = kit.client.post(path, data={"code": "123456"}, follow_redirects=False)
        forged = kit.client.post(
            path, data={"csrf_token": "x" * 43, "code": "123456"}, follow_redirects=False
        )
    assert_problem_page(missing, "csrf")
    assert_problem_page(forged, "csrf")


def test_csrf_token_of_another_account_is_refused(kit: IdpKit) -> None:
    first = enrol(kit)
    overview = kit.client.get("/account/security")
    token = form_of(overview, "/account/security/remove")["csrf_token"]
    other = citizen(kit)
    account_area_sign_in(kit, other.username)  # the same browser, now another citizen
    with unchanged(kit):
        response = kit.client.post(
            "/account/security/remove",
            data={"csrf_token": token, "code": code(kit, first.secret)},
            follow_redirects=False,
        )
    assert_problem_page(response, "csrf")


def test_rfc6238_remove_needs_a_current_code(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    wrong = f"{(int(code(kit, enrolled.secret, 5)) + 1) % 1_000_000:06d}"
    wrong_answer = _remove(kit, wrong)
    assert error_text(wrong_answer) == CODE_WRONG
    after = kit.services.accounts.by_id(enrolled.account.id)
    assert after is not None
    assert (after.second_factor, after.failed_logins) == (True, 1)  # counted like a failed sign-in
    with unchanged(kit):
        empty = _remove(kit, "")
    assert error_text(empty) == CODE_MISSING
    # the code that confirmed the set-up is spent: it cannot turn it off
    reused = _remove(kit, code(kit, enrolled.secret))
    assert error_text(reused) == CODE_REUSED
    # an expired code (two steps ago) is refused like a wrong one
    kit.advance(totp.STEP_SECONDS * 3)
    expired = _remove(kit, code(kit, enrolled.secret, -2))
    assert error_text(expired) == CODE_WRONG
    removed = _remove(kit, code(kit, enrolled.secret))
    assert removed.status_code == 303
    assert removed.headers["location"] == "/account/security?done=off"
    shown = follow(kit, removed)
    assert page(shown).one(id="done").text() == "Two-step sign-in has been turned off."
    assert page(shown).one(id="totp-state").attrs["data-state"] == "off"
    gone = kit.services.accounts.by_id(enrolled.account.id)
    assert gone is not None
    assert (gone.totp_secret, gone.totp_confirmed_at, gone.totp_last_step) == (None, None, None)
    assert [row for row in kit.snapshot()["recovery_codes"] if row[0] == repr(gone.id)] == []


def test_nist_800_63b_recovery_code_turns_it_off_once(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    first = enrolled.recovery[0]
    # spend the code at sign-in, then try it again to turn two-step sign-in off
    assert kit.services.accounts.use_recovery_code(enrolled.account.id, totp.recovery_digest(first))
    used = _remove(kit, first)
    assert error_text(used) == RECOVERY_USED
    removed = _remove(kit, enrolled.recovery[1].upper())
    assert removed.headers["location"] == "/account/security?done=off"


def test_rfc6238_remove_refused_while_locked(kit: IdpKit) -> None:
    enrolled = enrol(kit)
    for _attempt in range(5):
        error_text(_remove(kit, "000000" if code(kit, enrolled.secret) != "000000" else "111111"))
    with unchanged(kit):
        locked = _remove(kit, next_code(kit, enrolled.secret))
    assert (
        error_text(locked) == "There have been too many wrong attempts: wait 15 minutes, then sign in again"
    )
    assert heading(locked).text() == "Two-step sign-in"


def test_rp_initiated_logout_section_2_security_page_signs_out_with_its_form(kit: IdpKit) -> None:
    who = citizen(kit)
    account_area_sign_in(kit, who.username)
    session = kit.client.cookies["ukid_idp_session"]
    overview = kit.client.get("/account/security")
    response = kit.client.post("/logout", data=form_of(overview, "/logout"), follow_redirects=False)
    assert response.status_code == 200
    assert heading(response).text() == "You have signed out"
    assert kit.services.interactions.live_session(session) is None
    assert kit.client.get("/account/security", follow_redirects=False).status_code == 303
