"""Vouching, the voucher's side and the whole journey (issue 6; GPG 45 vouching; OpenID Connect for
Identity Assurance 1.0 §5.1.1 ``vouch`` evidence): the voucher's own sign-in and lockout, issuing a
one-time code for a named person within a daily limit, and a thin-file citizen reaching low
confidence by redeeming it in the browser."""

from __future__ import annotations

import re

from pydantic import TypeAdapter
from sqlalchemy import create_engine, select

from idp.core.identity import identity_of, scores_of
from idp.core.vouching import CODE_ALPHABET, VOUCH_SCORES
from idp.endpoints.vouching import VOUCHER_COOKIE
from idp.store import digest
from idp.tables import vouch_codes
from schemas.evidence import Evidence, VouchEvidence
from schemas.gpg45 import LevelOfConfidence, evaluate
from schemas.verified_claims import VerifiedClaims
from tests.idp.flows import assert_problem_page
from tests.idp.idpkit import IdpKit, unchanged
from tests.idp.vouchingkit import (
    THIN_FILE,
    THIN_FILE_FORM,
    form_of,
    fraud_checked_citizen,
    issue,
    issued_code,
    redeem,
    sign_in_citizen,
    sign_in_voucher,
    voucher,
)
from tests.trust_registry.htmlpage import page

WRONG_CREDENTIALS = "Enter a correct username and password"
SIGN_IN_NEEDED = "You need to sign in as a voucher to issue a vouch code."
_CODE = re.compile(f"[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}")


def _code_rows(kit: IdpKit) -> list[dict[str, object]]:
    engine = create_engine(kit.database_url)
    try:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(select(vouch_codes)).mappings()]
    finally:
        engine.dispose()


# -- the whole journey ------------------------------------------------------------------------------


def test_gpg45_vouch_thin_file_citizen_reaches_low_confidence_in_the_browser(kit: IdpKit) -> None:
    key_worker = voucher(kit)
    assert sign_in_voucher(kit, key_worker.username).headers["location"] == "/voucher"
    issued = issue(kit)
    code = issued_code(issued)
    assert _CODE.fullmatch(code), code
    assert page(issued, 200).one(id="vouch-issued-for").text() == (
        "Give this code to Dylan Price (born 27 March 1990). It will not be shown again."
    )
    citizen = fraud_checked_citizen(kit)
    assert identity_of(kit.services.accounts, citizen, kit.now()).level is None  # fraud check alone
    sign_in_citizen(kit, citizen)

    done = redeem(kit, code.lower().replace("-", " "))  # typed in lower case, with spaces

    doc = page(done, 200)
    assert doc.one(id="vouch-level").attrs["data-level"] == "low"
    assert doc.one(id="vouch-level").text() == (
        "You have reached low confidence in your identity (GPG 45 profile L1A)."
    )
    assert (
        doc.one(id="vouch-by").text() == "Sam Okafor, Hostel key worker at Riverside Hostel, vouched for you."
    )
    assert doc.one(id="vouch-next").text().startswith("Services that need low confidence can now accept")
    # the evidence: IDA vouch evidence with the voucher, its GPG 45 scores, and the evaluator's level
    records = [r for r in kit.services.accounts.evidence_of(citizen.id) if r.type == "vouch"]
    assert len(records) == 1
    record = records[0]
    parsed = TypeAdapter(Evidence).validate_python(record.evidence)
    assert isinstance(parsed, VouchEvidence)
    assert parsed.attestation is not None and parsed.attestation.voucher is not None
    assert parsed.attestation.type == "digital_attestation"
    assert parsed.attestation.reference_number == record.id
    assert (
        parsed.attestation.voucher.name,
        parsed.attestation.voucher.occupation,
        parsed.attestation.voucher.organization,
    ) == ("Sam Okafor", "Hostel key worker", "Riverside Hostel")
    assert [c.check_method.value for c in parsed.check_details or ()] == ["vdig", "token"]
    assert record.evidence["derived_claims"] == THIN_FILE
    assert record.scores == VOUCH_SCORES == {"strength": 2, "validity": 2, "verification": 1}
    everything = kit.services.accounts.evidence_of(citizen.id)
    result = evaluate(scores_of(everything))
    assert (result.level, result.profiles) == (LevelOfConfidence.LOW, ("L1A",))
    identity = identity_of(kit.services.accounts, citizen, kit.now())
    assert identity.level is LevelOfConfidence.LOW
    assert identity.verified_claims is not None
    VerifiedClaims.model_validate(identity.verified_claims.to_json_dict())
    assert identity.verified_claims.verification.assurance_process is not None
    assert identity.verified_claims.verification.assurance_process.procedure == "l1a"
    # the code is used, by this citizen; the voucher's page lists it as used, never showing the code
    (row,) = _code_rows(kit)
    assert (row["code_hash"], row["used_by"], row["used_at"]) == (
        digest(code.replace("-", "")),
        citizen.id,
        kit.now(),
    )
    listing = kit.client.get("/voucher")
    assert code not in listing.text and code.replace("-", "") not in listing.text
    (listed,) = page(listing, 200).one(id="vouch-codes").all("tr", data_status="vouch_status_used")
    assert listed.text().startswith("Dylan Price 27 March 1990")


def test_gpg45_vouch_alone_meets_no_profile(kit: IdpKit) -> None:
    """GPG 45 §Identity profiles: a vouch (22|0|0|1) without an identity fraud check meets no profile;
    the page says so and what else is needed."""
    sign_in_voucher(kit, voucher(kit).username)
    code = issued_code(issue(kit))
    citizen = kit.account("no-fraud-check@example.org", dict(THIN_FILE))
    sign_in_citizen(kit, citizen)

    doc = page(redeem(kit, code), 200)

    assert doc.one(id="vouch-level").attrs["data-level"] == "none"
    assert (
        doc.one(id="vouch-level").text() == "You have not reached a level of confidence in your identity yet."
    )
    assert doc.one(id="vouch-next").text() == (
        "A vouch on its own is not enough: you also need a check that your identity is not known to be "
        "used fraudulently, or other evidence such as a bank account or an identity document."
    )
    assert identity_of(kit.services.accounts, citizen, kit.now()).level is None


def test_gpg45_vouch_code_stored_only_as_sha256(kit: IdpKit) -> None:
    sign_in_voucher(kit, voucher(kit).username)
    code = issued_code(issue(kit))
    symbols = code.replace("-", "")
    snapshot = repr(kit.snapshot())
    assert code not in snapshot and symbols not in snapshot
    (row,) = _code_rows(kit)
    assert row["code_hash"] == digest(symbols)
    assert row["expires_at"] == kit.now() + 7 * 86400
    assert (row["given_name"], row["family_name"], row["birthdate"]) == ("Dylan", "Price", "1990-03-27")
    assert row["relationship"] == THIN_FILE_FORM["relationship"]


# -- the voucher's sign-in --------------------------------------------------------------------------


def test_voucher_session_cookie_is_its_own_and_http_only(kit: IdpKit) -> None:
    response = sign_in_voucher(kit, voucher(kit).username)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{VOUCHER_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "ukid_idp_session" not in cookie


def test_voucher_signin_wrong_password_counted(kit: IdpKit) -> None:
    who = voucher(kit)
    response = sign_in_voucher(kit, who.username, "not the password")
    doc = page(response, 200)
    assert doc.one(id="vouch-signin-error").text() == WRONG_CREDENTIALS
    assert VOUCHER_COOKIE not in response.headers.get("set-cookie", "")
    found = kit.services.vouchers.by_username(who.username)
    assert found is not None and (found.failed_logins, found.locked_until) == (1, None)


def test_voucher_signin_unknown_username_same_message_nothing_changed(kit: IdpKit) -> None:
    voucher(kit)
    kit.client.get("/voucher/signin")  # the browser cookie
    with unchanged(kit):
        response = sign_in_voucher(kit, "nobody@riverside.example")
    assert page(response, 200).one(id="vouch-signin-error").text() == WRONG_CREDENTIALS


def test_voucher_lockout_after_five_failures_then_count_restarts(kit: IdpKit) -> None:
    who = voucher(kit)
    for _ in range(5):
        sign_in_voucher(kit, who.username, "guess")
    locked = kit.services.vouchers.by_username(who.username)
    assert locked is not None and (locked.failed_logins, locked.locked_until) == (5, kit.now() + 900)
    with unchanged(kit):  # locked: the right password is refused with the same message, not counted
        response = sign_in_voucher(kit, who.username)
    assert page(response, 200).one(id="vouch-signin-error").text() == WRONG_CREDENTIALS
    kit.advance(900)
    sign_in_voucher(kit, who.username, "guess again")  # the lock expired: the count restarts
    again = kit.services.vouchers.by_username(who.username)
    assert again is not None and (again.failed_logins, again.locked_until) == (1, None)
    assert sign_in_voucher(kit, who.username).headers["location"] == "/voucher"
    reset = kit.services.vouchers.by_username(who.username)
    assert reset is not None and (reset.failed_logins, reset.locked_until) == (0, None)


def test_voucher_signout_ends_the_session(kit: IdpKit) -> None:
    sign_in_voucher(kit, voucher(kit).username)
    home = kit.client.get("/voucher")
    response = kit.client.post(
        "/voucher/signout", data=form_of(home, "vouch-signout-form"), follow_redirects=False
    )
    assert response.headers["location"] == "/voucher/signin"
    kit.client.cookies.delete(VOUCHER_COOKIE)  # the browser obeys the cleared cookie
    assert kit.client.get("/voucher", follow_redirects=False).headers["location"] == "/voucher/signin"


# -- issuing codes ----------------------------------------------------------------------------------


def test_voucher_cannot_issue_without_signing_in(kit: IdpKit) -> None:
    sign_in_voucher(kit, voucher(kit).username)
    home = kit.client.get("/voucher")
    fields = form_of(home, "vouch-issue-form")
    kit.client.cookies.delete(VOUCHER_COOKIE)
    with unchanged(kit):
        response = kit.client.post(
            "/voucher/codes", data={**fields, **THIN_FILE_FORM}, follow_redirects=False
        )
    assert page(response, 401).one(id="vouch-signin-needed").text() == SIGN_IN_NEEDED


def test_voucher_cannot_issue_beyond_daily_limit(kit: IdpKit) -> None:
    who = voucher(kit, daily_limit=2)
    sign_in_voucher(kit, who.username)
    issue(kit)
    kit.advance(3600)
    issue(kit)
    with unchanged(kit):
        response = issue(kit)
    assert page(response, 429).one(id="vouch-limit").text() == (
        "You have issued as many vouch codes as you can in 24 hours (2). You can issue another once 24 "
        "hours have passed since the oldest of them."
    )
    kit.advance(86400 - 3600)  # the first code is 24 hours old (and the session has ended)
    sign_in_voucher(kit, who.username)
    assert _CODE.fullmatch(issued_code(issue(kit)))
    assert page(kit.client.get("/voucher"), 200).one(id="vouch-remaining").text() == (
        "You can issue 0 more vouch codes in the next 24 hours (your limit is 2)."
    )


def test_voucher_issue_form_errors_change_nothing(kit: IdpKit) -> None:
    sign_in_voucher(kit, voucher(kit).username)
    cases = [
        ({"given_name": " "}, "given_name", "Enter their first name"),
        ({"family_name": ""}, "family_name", "Enter their last name"),
        ({"birth_day": "31", "birth_month": "2"}, "birth_day", "Date of birth must be a real date"),
        ({"birth_year": "2999"}, "birth_day", "Date of birth must be in the past"),
        ({"birth_month": ""}, "birth_day", "Enter their date of birth"),
        ({"relationship": ""}, "relationship", "Enter how you know this person"),
    ]
    for change, field, message in cases:
        with unchanged(kit):
            response = issue(kit, {**THIN_FILE_FORM, **change})
        errors = page(response, 400).one(id="vouch-errors").all("a")
        assert [(a.attrs["data-field"], a.text()) for a in errors] == [(field, message)], change


# -- CSRF -------------------------------------------------------------------------------------------


def test_vouching_forms_without_a_valid_csrf_token_change_nothing(kit: IdpKit) -> None:
    who = voucher(kit)
    citizen = fraud_checked_citizen(kit)
    sign_in_voucher(kit, who.username)
    code = issued_code(issue(kit))
    sign_in_citizen(kit, citizen)
    kit.client.get("/account/proofing/vouch")
    posts = [
        ("/voucher/signin", {"username": who.username, "password": "guess"}),
        ("/voucher/codes", dict(THIN_FILE_FORM)),
        ("/voucher/signout", {"other": "ignored"}),  # a form body, without the token
        ("/account/proofing/vouch", {"code": code}),
    ]
    for path, data in posts:
        for token in (None, "forged-token", "x" * 43):
            sent = dict(data) if token is None else {**data, "csrf_token": token}
            with unchanged(kit):
                response = kit.client.post(path, data=sent, follow_redirects=False)
            doc = assert_problem_page(response, "csrf")
            assert doc.one(id="problem").text() == (
                "The form could not be accepted: it was not sent from this page in this browser, or it has "
                "expired. Go back to the service you were using and start again."
            )
    # a token for another form is refused too (each form has its own purpose)
    issue_token = form_of(kit.client.get("/voucher"), "vouch-issue-form")["csrf_token"]
    with unchanged(kit):
        response = kit.client.post(
            "/account/proofing/vouch", data={"csrf_token": issue_token, "code": code}, follow_redirects=False
        )
    assert_problem_page(response, "csrf")
